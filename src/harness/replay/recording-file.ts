/**
 * Reading `serve --record` files as a stream of recorded calls in decision order. Lines are
 * checked by a strict schema (a fast hand check first; the zod schema only names what is wrong),
 * and a bad line is reported as `file:line: path: message` while the rest is still read. Several
 * files (a rotated recording: `FILE.2 FILE.1 FILE`) are read in the order given. A line is written
 * when its call settles, so a slow call's line may follow later ones: lines are reordered by
 * their decision time within `REORDER_HORIZON_MS`, which covers the longest wait of a call.
 */
import { closeSync, openSync, readSync } from "node:fs";
import { z } from "zod";
import { messageOf, type Issue } from "../../core/errors.js";
import { errorMap, issuesFromZod } from "../../core/schema-issues.js";
import { DENY_CODES } from "../../policy/decision.js";

const OUTCOMES = ["ok", "tool_error", "rpc_error", "timeout", "upstream_closed", "not_forwarded", "not_sent", "cancelled"] as const;
const WouldDenySchema = z.strictObject({ code: z.enum(DENY_CODES), rule: z.string() });

export const RecordedCallSchema = z.strictObject({
  time: z.iso.datetime(),
  decisionId: z.string(),
  grant: z.string().nullable(),
  session: z.string(),
  server: z.string().optional(),
  nameAtServer: z.string().optional(),
  method: z.string().min(1),
  name: z.string(),
  args: z.record(z.string(), z.unknown()),
  redacted: z.array(z.string()).optional(),
  truncated: z.array(z.string()).optional(),
  decision: z.enum(["allow", "deny"]),
  code: z.enum(DENY_CODES).nullable(),
  rule: z.string().nullable(),
  wouldDeny: z.array(WouldDenySchema).optional(),
  approvalId: z.string().optional(),
  outcome: z.enum(OUTCOMES),
  latencyMs: z.number().nullable(),
  policyVersion: z.string().nullable(),
});

export type Recorded = z.output<typeof RecordedCallSchema> & { readonly atMs: number; readonly source: string };

/** Ten upstream timeouts of a minute: no call waits longer for its line to be written. */
export const REORDER_HORIZON_MS = 10 * 60_000;

const KNOWN_KEYS = new Set(Object.keys(RecordedCallSchema.shape));
const CODES: ReadonlySet<string> = new Set(DENY_CODES);
const OUTCOME_SET: ReadonlySet<string> = new Set(OUTCOMES);
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** The common case, checked without allocating; anything unusual goes to the schema for its message. */
function plainlyValid(v: Record<string, unknown>): boolean {
  for (const key in v) if (!KNOWN_KEYS.has(key)) return false;
  const opt = (x: unknown, t: string): boolean => x === undefined || typeof x === t;
  return (
    typeof v.time === "string" && ISO.test(v.time) &&
    typeof v.decisionId === "string" && (v.grant === null || typeof v.grant === "string") && typeof v.session === "string" &&
    opt(v.server, "string") && opt(v.nameAtServer, "string") && typeof v.method === "string" && v.method !== "" && typeof v.name === "string" &&
    v.args !== null && typeof v.args === "object" && !Array.isArray(v.args) &&
    v.redacted === undefined && v.truncated === undefined && v.wouldDeny === undefined &&
    (v.decision === "allow" || v.decision === "deny") && (v.code === null || (typeof v.code === "string" && CODES.has(v.code))) &&
    (v.rule === null || typeof v.rule === "string") && opt(v.approvalId, "string") && typeof v.outcome === "string" && OUTCOME_SET.has(v.outcome) &&
    (v.latencyMs === null || typeof v.latencyMs === "number") && (v.policyVersion === null || typeof v.policyVersion === "string")
  );
}

function* linesOf(file: string): Generator<string> {
  const fd = openSync(file, "r");
  try {
    const chunk = Buffer.alloc(1 << 20);
    let rest = "";
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      const text = rest + chunk.toString("utf8", 0, n);
      let start = 0;
      for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", start)) {
        yield text.slice(start, nl);
        start = nl + 1;
      }
      rest = text.slice(start);
    }
    if (rest !== "") yield rest;
  } finally {
    closeSync(fd);
  }
}

/**
 * Every recorded call of `files`, in decision order (within the horizon); problems go to
 * `problems` (the caller decides what a problem means: replay refuses to report on a partial read).
 */
export function* readRecordedCalls(files: readonly string[], problems: string[]): Generator<Recorded> {
  const buffer: Recorded[] = [];
  let latestMs = Number.NEGATIVE_INFINITY;
  let sinceDrain = 0;
  for (const file of files) {
    let lineNo = 0;
    try {
      for (const line of linesOf(file)) {
        lineNo++;
        if (line.trim() === "") continue;
        const call = parseLine(line, `${file}:${lineNo}`, problems);
        if (call === undefined) continue;
        buffer.push(call);
        if (call.atMs > latestMs) latestMs = call.atMs;
        if (++sinceDrain >= 4_096) {
          sinceDrain = 0;
          yield* drain(buffer, latestMs - REORDER_HORIZON_MS);
        }
      }
    } catch (error) {
      problems.push(`${file}: cannot read the recording: ${messageOf(error)}`);
    }
  }
  yield* drain(buffer, Number.POSITIVE_INFINITY);
}

/** Yields (in time order, stably) the buffered calls decided before `untilMs`, keeping the rest. */
function* drain(buffer: Recorded[], untilMs: number): Generator<Recorded> {
  buffer.sort((a, b) => a.atMs - b.atMs);
  let n = 0;
  while (n < buffer.length && buffer[n]!.atMs < untilMs) n++;
  const ready = buffer.splice(0, n);
  yield* ready;
}

function parseLine(line: string, where: string, problems: string[]): Recorded | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    problems.push(`${where}: (root): not valid JSON; expected one recorded call per line, as \`serve --record\` writes them`);
    return undefined;
  }
  if (value !== null && typeof value === "object" && !Array.isArray(value) && plainlyValid(value as Record<string, unknown>)) {
    const v = value as z.output<typeof RecordedCallSchema>;
    return Object.assign(v, { atMs: Date.parse(v.time), source: where });
  }
  const parsed = RecordedCallSchema.safeParse(value, { error: errorMap, reportInput: true });
  if (!parsed.success) {
    for (const issue of issuesFromZod(parsed.error.issues) as Issue[]) problems.push(`${where}: ${issue.path === "" ? "(root)" : issue.path}: ${issue.message}`);
    return undefined;
  }
  return { ...parsed.data, atMs: Date.parse(parsed.data.time), source: where };
}

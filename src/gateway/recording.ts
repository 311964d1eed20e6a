/**
 * `toolgate serve --record FILE`: every governed request as a JSON line — the audit line's facts
 * plus the method and the argument values — for `toolgate replay` and `toolgate scenario
 * from-recording`. Argument values are written only here (the audit log never has them), after
 * redaction: keys matching a pattern (`token,password,*_secret`, case-insensitive, at any depth)
 * become `"[redacted]"`, and strings longer than `maxValueChars` are cut; each line lists the
 * argument paths it redacted or cut. The file rotates by size: past `maxFileBytes` it is renamed
 * `FILE.1` (the older ones shift up to `FILE.<keep>`, the oldest is dropped) and a new one begins.
 */
import { appendFileSync, existsSync, renameSync, rmSync, statSync } from "node:fs";
import type { AuditRecord } from "./audit-log.js";

export const REDACTED = "[redacted]";
export const DEFAULT_MAX_VALUE_CHARS = 4_096;
export const DEFAULT_MAX_RECORDING_BYTES = 64 * 1024 * 1024;
export const DEFAULT_RECORDINGS_KEPT = 5;

/** One governed request as recorded. */
export interface RecordedCall {
  readonly time: string;
  readonly decisionId: string;
  readonly grant: string | null;
  readonly session: string;
  readonly server?: string;
  /** With `server`: the name at that server, when the agent used another (`kommo__stop_salesbot` → `stop_salesbot`). */
  readonly nameAtServer?: string;
  /** The JSON-RPC method (`tools/call`, `resources/read`, …). */
  readonly method: string;
  /** The tool, resource URI, prompt or method, as the agent named it. */
  readonly name: string;
  readonly args: Record<string, unknown>;
  readonly redacted?: readonly string[];
  readonly truncated?: readonly string[];
  readonly decision: "allow" | "deny";
  readonly code: string | null;
  readonly rule: string | null;
  readonly wouldDeny?: AuditRecord["wouldDeny"];
  readonly approvalId?: string;
  readonly outcome: AuditRecord["outcome"];
  readonly latencyMs: number | null;
  readonly policyVersion: string | null;
}

/** What the gateway hands the recorder for one settled request. */
export interface RecordingInput {
  readonly audit: AuditRecord;
  readonly method: string;
  readonly args: Record<string, unknown>;
  readonly server: string | undefined;
  readonly nameAtServer: string;
}

export interface RecordingOptions {
  /** Key patterns whose values are never written: `*` matches any run of characters. */
  readonly redact: readonly string[];
  readonly maxValueChars?: number;
  readonly maxFileBytes?: number;
  readonly keep?: number;
}

/** `token,password,*_secret` → patterns; empty entries are dropped. */
export function parseRedactList(text: string): string[] {
  return text
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "");
}

export function keyMatcher(patterns: readonly string[]): (key: string) => boolean {
  const regexes = patterns.map((p) => new RegExp(`^${p.split("*").map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`, "i"));
  return (key) => regexes.some((r) => r.test(key));
}

/** The arguments with redacted keys replaced and long strings cut, and the paths of both. */
export function redactArguments(args: Record<string, unknown>, redact: (key: string) => boolean, maxValueChars: number): { args: Record<string, unknown>; redacted: string[]; truncated: string[] } {
  const redacted: string[] = [];
  const truncated: string[] = [];
  const walk = (value: unknown, path: string): unknown => {
    if (typeof value === "string") {
      if (value.length <= maxValueChars) return value;
      truncated.push(path);
      return `${value.slice(0, maxValueChars)}…[${value.length - maxValueChars} more characters cut]`;
    }
    if (Array.isArray(value)) return value.map((v, i) => walk(v, `${path}.${i}`));
    if (value !== null && typeof value === "object") {
      const out: Record<string, unknown> = {};
      for (const [key, inner] of Object.entries(value)) {
        const at = `${path}.${key}`;
        if (redact(key)) {
          redacted.push(at);
          Object.defineProperty(out, key, { value: REDACTED, enumerable: true, writable: true, configurable: true });
        } else Object.defineProperty(out, key, { value: walk(inner, at), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    return value;
  };
  return { args: walk(args, "args") as Record<string, unknown>, redacted, truncated };
}

export function recordedCall(input: RecordingInput, redact: (key: string) => boolean, maxValueChars: number): RecordedCall {
  const a = input.audit;
  const { args, redacted, truncated } = redactArguments(input.args, redact, maxValueChars);
  return {
    time: a.time,
    decisionId: a.decisionId,
    grant: a.grant,
    session: a.session,
    ...(input.server ? { server: input.server } : {}),
    ...(input.server && input.nameAtServer !== a.tool ? { nameAtServer: input.nameAtServer } : {}),
    method: input.method,
    name: a.tool,
    args,
    ...(redacted.length > 0 ? { redacted } : {}),
    ...(truncated.length > 0 ? { truncated } : {}),
    decision: a.decision,
    code: a.code,
    rule: a.rule,
    ...(a.wouldDeny ? { wouldDeny: a.wouldDeny } : {}),
    ...(a.approvalId ? { approvalId: a.approvalId } : {}),
    outcome: a.outcome,
    latencyMs: a.latencyMs,
    policyVersion: a.policyVersion,
  };
}

export interface RecordingWriter {
  readonly write: (input: RecordingInput) => void;
  /** Writes what is queued. */
  close(): void;
}

/** Appends recorded calls to `path`, a tick's worth at a time, rotating by size. */
export function createRecordingWriter(path: string, options: RecordingOptions, onError: (error: Error) => void = () => {}): RecordingWriter {
  const redact = keyMatcher(options.redact);
  const maxValueChars = options.maxValueChars ?? DEFAULT_MAX_VALUE_CHARS;
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_RECORDING_BYTES;
  const keep = options.keep ?? DEFAULT_RECORDINGS_KEPT;
  let size = existsSync(path) ? statSync(path).size : 0;
  let queued: string[] = [];
  let scheduled = false;
  const rotate = (): void => {
    rmSync(`${path}.${keep}`, { force: true });
    for (let i = keep - 1; i >= 1; i--) if (existsSync(`${path}.${i}`)) renameSync(`${path}.${i}`, `${path}.${i + 1}`);
    if (existsSync(path)) renameSync(path, `${path}.1`);
    size = 0;
  };
  const flush = (): void => {
    scheduled = false;
    const lines = queued;
    queued = [];
    try {
      for (const line of lines) {
        const bytes = Buffer.byteLength(line);
        if (size > 0 && size + bytes > maxFileBytes) rotate();
        appendFileSync(path, line);
        size += bytes;
      }
    } catch (error) {
      onError(error as Error);
    }
  };
  return {
    write(input) {
      queued.push(`${JSON.stringify(recordedCall(input, redact, maxValueChars))}\n`);
      if (!scheduled) {
        scheduled = true;
        queueMicrotask(flush);
      }
    },
    close() {
      flush();
    },
  };
}

/**
 * `toolgate replay RECORDING… --policy CANDIDATE [--baseline CURRENT] [--shadow] [--json FILE] [--html FILE]`:
 * re-decides recorded traffic (`serve --record`) under a candidate policy and reports what changes
 * against the baseline (the recorded decisions, or `--baseline` re-decided the same way). Exit 0
 * when nothing changes, 1 when a decision changes (so CI can gate a policy change on it), 2 on
 * usage errors or unreadable input (every problem is printed with its file, line and path).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { DiffBuilder, formatDiff } from "../harness/replay/replay-diff.js";
import { renderReplayHtml } from "../harness/replay/replay-html.js";
import { readRecordedCalls } from "../harness/replay/recording-file.js";
import { recordedDecision, Replayer } from "../harness/replay/replay.js";
import { parseArgs, UsageError, type CommandIo } from "./args.js";
import { loadPolicyFlag } from "./policy-flag.js";

const FLAGS = { policy: { kind: "string" }, baseline: { kind: "string" }, shadow: { kind: "boolean" }, json: { kind: "string" }, html: { kind: "string" } } as const;

export async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const { flags, positionals } = parseArgs(argv, FLAGS, { positionals: true });
  if (positionals.length === 0) throw new UsageError("expected at least one recording: toolgate replay RECORDING… --policy CANDIDATE");
  const candidateFile = flags.policy as string | undefined;
  if (candidateFile === undefined) throw new UsageError("flag `--policy CANDIDATE` is required: the policy to replay the recording under");
  const candidate = loadPolicyFlag(resolve(io.cwd, candidateFile), candidateFile);
  const baselineFile = flags.baseline as string | undefined;
  const baseline = baselineFile === undefined ? undefined : loadPolicyFlag(resolve(io.cwd, baselineFile), baselineFile);
  const shadow = flags.shadow === true;
  const problems: string[] = [];
  const candidateRun = new Replayer({ policyFor: () => candidate, shadow });
  const baselineRun = baseline === undefined ? undefined : new Replayer({ policyFor: () => baseline, shadow });
  const builder = new DiffBuilder();
  for (const call of readRecordedCalls(positionals.map((f) => resolve(io.cwd, f)), problems)) {
    if (problems.length > 0) continue; // keep reading to list every problem, but report on nothing partial
    const after = candidateRun.decide(call);
    builder.add(call, baselineRun === undefined ? recordedDecision(call) : baselineRun.decide(call), after);
  }
  if (problems.length > 0) {
    io.stderr.write(`${problems.join("\n")}\n`);
    return 2;
  }
  const diff = builder.result();
  const label = { candidate: candidateFile, baseline: baselineFile ?? "the recorded decisions", recording: positionals.join(", ") };
  io.stdout.write(`${formatDiff(diff, label)}\n`);
  const json = flags.json as string | undefined;
  if (json !== undefined) write(resolve(io.cwd, json), `${JSON.stringify({ ...label, ...diff }, null, 2)}\n`);
  const html = flags.html as string | undefined;
  if (html !== undefined) write(resolve(io.cwd, html), renderReplayHtml(diff, label));
  return diff.changed === 0 ? 0 : 1;
}

function write(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

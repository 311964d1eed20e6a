/**
 * `toolgate scenario from-recording RECORDING… --policy P [--grant G] [--window FROM..TO] [--shadow] --out FILE`:
 * turns recorded traffic (`serve --record`) into a scenario whose expectations are what the policy
 * decides now, so `toolgate check` guards them. The scenario names the policy by its path relative
 * to the scenario file: change the policy and `check` says which recorded calls it would now treat
 * differently. Exit 0 when the file is written, 2 on usage errors or unreadable input.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { basename, dirname, relative, resolve, sep } from "node:path";
import { buildScenario } from "../harness/from-recording/build-scenario.js";
import { parseWindow, resolveWindow, WINDOW_SYNTAX } from "../harness/from-recording/window.js";
import { SCENARIO_SUFFIX } from "../harness/load-scenario.js";
import { readRecordedCalls, type Recorded } from "../harness/replay/recording-file.js";
import { loadDefaultSeed } from "../kommo/crm/seed.js";
import { kommoTools } from "../kommo/tools/catalog.js";
import { parseArgs, UsageError, type CommandIo } from "./args.js";
import { loadPolicyFlag } from "./policy-flag.js";

const FLAGS = { policy: { kind: "string" }, grant: { kind: "string" }, window: { kind: "string" }, shadow: { kind: "boolean" }, out: { kind: "string" } } as const;
const SYNOPSIS = "toolgate scenario from-recording RECORDING… --policy P [--grant G] [--window FROM..TO] [--shadow] --out FILE.scenario.json";

export async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== "from-recording") throw new UsageError(`${sub === undefined ? "expected a subcommand" : `unknown subcommand \`${sub}\``}; expected: ${SYNOPSIS}`);
  const { flags, positionals } = parseArgs(rest, FLAGS, { positionals: true });
  if (positionals.length === 0) throw new UsageError(`expected at least one recording: ${SYNOPSIS}`);
  const policyFile = flags.policy as string | undefined;
  if (policyFile === undefined) throw new UsageError("flag `--policy P` is required: the policy whose decisions become the expectations (the scenario names it)");
  const out = flags.out as string | undefined;
  if (out === undefined) throw new UsageError("flag `--out FILE` is required: where to write the scenario");
  if (!out.endsWith(SCENARIO_SUFFIX)) throw new UsageError(`flag \`--out\`: found \`${out}\`, expected a file name ending in \`${SCENARIO_SUFFIX}\` (how \`check\` finds scenarios in a directory)`);
  const windowText = flags.window as string | undefined;
  const window = windowText === undefined ? undefined : parseWindow(windowText);
  if (window !== undefined && !window.ok) throw new UsageError(`flag \`--window\`: ${window.message}`);
  const policyPath = resolve(io.cwd, policyFile);
  const policy = loadPolicyFlag(policyPath, policyFile);

  const problems: string[] = [];
  const calls: Recorded[] = [...readRecordedCalls(positionals.map((f) => resolve(io.cwd, f)), problems)];
  if (problems.length > 0) {
    io.stderr.write(`${problems.join("\n")}\n`);
    return 2;
  }
  if (calls.length === 0) throw new UsageError(`found no recorded calls in ${positionals.map((p) => `\`${p}\``).join(", ")}`);
  const grant = flags.grant as string | undefined;
  if (grant !== undefined && !calls.some((c) => c.grant === grant)) {
    const grants = [...new Set(calls.map((c) => c.grant ?? "(no grant)"))].map((g) => `\`${g}\``).join(", ");
    throw new UsageError(`flag \`--grant\`: found \`${grant}\`, expected a grant of the recording: ${grants}`);
  }
  const firstMs = calls[0]!.atMs;
  const range = window === undefined ? { ok: true as const, value: { fromMs: Number.NEGATIVE_INFINITY, toMs: Number.POSITIVE_INFINITY } } : resolveWindow(window.value, firstMs);
  if (!range.ok) throw new UsageError(`flag \`--window\`: ${range.message}`);

  const outPath = resolve(io.cwd, out);
  const built = buildScenario(calls, {
    policy,
    policyRef: relative(dirname(outPath), policyPath).split(sep).join("/"),
    ...(grant !== undefined ? { grant } : {}),
    fromMs: range.value.fromMs,
    toMs: range.value.toMs,
    seedBots: new Set(loadDefaultSeed().salesbots.map((b) => b.id)),
    recordingName: positionals.map((p) => basename(p)).join(", "),
    simulatorTools: new Set(kommoTools().map((t) => t.name)),
    shadow: flags.shadow === true,
  });
  if (typeof built === "string") {
    throw new UsageError(`${built}; the recording's calls run from ${new Date(firstMs).toISOString()} to ${new Date(calls.at(-1)!.atMs).toISOString()}${windowText === undefined ? "" : ` and \`--window\` is ${WINDOW_SYNTAX}`}`);
  }
  mkdirSync(dirname(outPath), { recursive: true });
  writeFileSync(outPath, `${JSON.stringify(built.scenario, null, 2)}\n`);
  for (const note of built.notes) io.stderr.write(`note: ${note}\n`);
  const changed = built.changed === 0 ? "all as recorded" : `${built.changed} differ from the recorded decisions`;
  const todo = built.placeholders === 0 ? "" : `; ${built.placeholders} placeholder${built.placeholders === 1 ? "" : "s"} to fill in`;
  io.stdout.write(`wrote ${out}: ${built.steps} step${built.steps === 1 ? "" : "s"} for ${built.agents} agent${built.agents === 1 ? "" : "s"}, ${built.allowed} allowed and ${built.denied} denied under ${policyFile} (${changed})${todo}\n`);
  return 0;
}


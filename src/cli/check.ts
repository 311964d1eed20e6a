/**
 * `toolgate check [SCENARIO|DIR…] [--gateway-cmd TEMPLATE] [--report DIR]`: runs scenarios (default
 * `scenarios/`) against the built-in gateway on a virtual clock, or against an external gateway
 * command on the real clock, prints progress and a summary ending `N passed, N failed`, and writes
 * a report directory (default `reports/latest`). Exit 1 when any scenario fails.
 */
import { existsSync } from "node:fs";
import { relative, resolve } from "node:path";
import { expandScenarioPaths } from "../harness/load-scenario.js";
import { writeReport } from "../harness/report/write-report.js";
import { mismatchLines } from "../harness/result.js";
import { runCheck } from "../harness/run-check.js";
import { inferredProfile, loadProfile } from "../harness/capability-profile.js";
import type { ExternalGatewayOptions } from "../harness/external-gateway.js";
import { describeTime, isTimeMechanism, TIME_MECHANISMS } from "../harness/external-time.js";
import { parseArgs, UsageError, type CommandIo } from "./args.js";

const FLAGS = {
  "gateway-cmd": { kind: "string" },
  report: { kind: "string" },
  time: { kind: "string" },
  profile: { kind: "string" },
  "approve-cmd": { kind: "string" },
  "deny-cmd": { kind: "string" },
  "reload-cmd": { kind: "string" },
  "max-real-wait-ms": { kind: "string" },
} as const;

export async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const { flags, positionals } = parseArgs(argv, FLAGS, { positionals: true });
  const paths = positionals.length > 0 ? positionals : ["scenarios"];
  for (const p of paths) if (!existsSync(resolve(io.cwd, p))) throw new UsageError(`no such scenario file or directory \`${p}\``);
  const files = expandScenarioPaths(paths, io.cwd);
  if (files.length === 0) throw new UsageError(`found no \`*.scenario.json\` files in ${paths.map((p) => `\`${p}\``).join(", ")}`);
  const template = flags["gateway-cmd"] as string | undefined;
  if (template !== undefined && !template.includes("{upstream}") && !template.includes("{config}")) {
    throw new UsageError("flag `--gateway-cmd`: expected a command template containing `{upstream}` (and usually `{policy}`), or `{config}` for scenarios with `servers`");
  }
  const str = (name: keyof typeof FLAGS): string | undefined => flags[name] as string | undefined;
  const external = template === undefined ? undefined : externalOptions(template, str, io);
  if (template === undefined) {
    for (const name of ["time", "profile", "approve-cmd", "deny-cmd", "reload-cmd", "max-real-wait-ms"] as const) if (str(name) !== undefined) throw new UsageError(`flag \`--${name}\` needs \`--gateway-cmd\``);
  }
  const reportDir = resolve(io.cwd, (flags.report as string | undefined) ?? "reports/latest");
  const show = (file: string): string => relative(io.cwd, file) || file;

  const report = await runCheck(files, {
    ...(external !== undefined ? { external } : {}),
    onStart: (file, i, total) => io.stderr.write(`[${i + 1}/${total}] ${show(file)} …\n`),
    onScenario: (result, i, total) => {
      const calls = result.calls.length;
      const skipped = result.steps.filter((s) => s.verdict === "skipped").length;
      io.stderr.write(`[${i + 1}/${total}] ${result.verdict.toUpperCase().padEnd(7)} ${result.name} (${calls} calls${skipped ? `, ${skipped} steps skipped` : ""}, ${result.durationMs} ms)\n`);
    },
  });

  const out: string[] = [""];
  for (const result of report.scenarios) {
    if (result.verdict !== "failed") continue;
    out.push(`FAILED ${result.name} (${show(result.file)})`);
    for (const line of mismatchLines(result)) out.push(`  ${line.replaceAll("\n", "\n    ")}`);
    out.push("");
  }
  const paths2 = await writeReport(reportDir, report);
  out.push(`report: ${show(paths2.html)} (also report.json, junit.xml)`);
  const { passed, failed, skipped } = report.totals;
  if (external !== undefined) {
    const all = report.scenarios.flatMap((r) => r.steps);
    out.push(`time: ${describeTime(external.time ?? "clock-file")}; profile: ${external.profile?.source ?? "inferred from the template and flags"}`);
    out.push(`${all.filter((s) => s.verdict !== "skipped").length} of ${all.length} steps ran`);
  }
  out.push(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`);
  io.stdout.write(`${out.join("\n")}\n`);
  return failed > 0 ? 1 : 0;
}

function externalOptions(template: string, str: (name: keyof typeof FLAGS) => string | undefined, io: CommandIo): ExternalGatewayOptions {
  const time = str("time") ?? "clock-file";
  if (!isTimeMechanism(time)) throw new UsageError(`flag \`--time\`: expected one of ${TIME_MECHANISMS.map((m) => `\`${m}\``).join(", ")}, found \`${time}\``);
  const profileName = str("profile");
  const loaded = profileName === undefined ? undefined : loadProfile(profileName === "toolgate" ? profileName : resolve(io.cwd, profileName));
  if (loaded && !loaded.ok) throw new UsageError(`flag \`--profile\`: ${loaded.message}`);
  const approveCmd = str("approve-cmd");
  const denyCmd = str("deny-cmd");
  if ((approveCmd === undefined) !== (denyCmd === undefined)) throw new UsageError("flags `--approve-cmd` and `--deny-cmd` go together: give both, each with `{id}`");
  for (const [name, value] of [["approve-cmd", approveCmd], ["deny-cmd", denyCmd]] as const) {
    if (value !== undefined && !value.includes("{id}")) throw new UsageError(`flag \`--${name}\`: expected a command template containing \`{id}\`, found \`${value}\``);
  }
  const waitText = str("max-real-wait-ms");
  const maxRealWaitMs = waitText === undefined ? undefined : Number(waitText);
  if (maxRealWaitMs !== undefined && !(Number.isInteger(maxRealWaitMs) && maxRealWaitMs > 0)) throw new UsageError(`flag \`--max-real-wait-ms\`: expected a whole number of milliseconds above 0, found \`${waitText}\``);
  const reloadCmd = str("reload-cmd");
  const profile = loaded?.value ?? inferredProfile({ template, approveCmd, reloadCmd });
  return {
    template,
    cwd: io.cwd,
    env: io.env,
    time,
    profile,
    ...(approveCmd !== undefined ? { approveCmd } : {}),
    ...(denyCmd !== undefined ? { denyCmd } : {}),
    ...(reloadCmd !== undefined ? { reloadCmd } : {}),
    ...(maxRealWaitMs !== undefined ? { maxRealWaitMs } : {}),
    onProgress: (line) => void io.stderr.write(`${line}\n`),
  };
}

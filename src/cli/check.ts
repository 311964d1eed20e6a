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
import { parseArgs, UsageError, type CommandIo } from "./args.js";

const FLAGS = { "gateway-cmd": { kind: "string" }, report: { kind: "string" } } as const;

export async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const { flags, positionals } = parseArgs(argv, FLAGS, { positionals: true });
  const paths = positionals.length > 0 ? positionals : ["scenarios"];
  for (const p of paths) if (!existsSync(resolve(io.cwd, p))) throw new UsageError(`no such scenario file or directory \`${p}\``);
  const files = expandScenarioPaths(paths, io.cwd);
  if (files.length === 0) throw new UsageError(`found no \`*.scenario.json\` files in ${paths.map((p) => `\`${p}\``).join(", ")}`);
  const template = flags["gateway-cmd"] as string | undefined;
  if (template !== undefined && !template.includes("{upstream}")) {
    throw new UsageError("flag `--gateway-cmd`: expected a command template containing `{upstream}` (and usually `{policy}`)");
  }
  const reportDir = resolve(io.cwd, (flags.report as string | undefined) ?? "reports/latest");
  const show = (file: string): string => relative(io.cwd, file) || file;

  const report = await runCheck(files, {
    ...(template !== undefined ? { external: { template, cwd: io.cwd, env: io.env } } : {}),
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
  out.push(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`);
  io.stdout.write(`${out.join("\n")}\n`);
  return failed > 0 ? 1 : 0;
}

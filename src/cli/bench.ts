/**
 * `toolgate bench [--json FILE] [--rounds N] [--quick] [--only PATHS] [--cpu-prof DIR]`: the
 * overhead benchmark (issue 8). Paths: direct stdio and HTTP, toolgate stdio→stdio (through tsx
 * and as plain JS) and HTTP→stdio, mcp-proxy and supergateway; sections: evaluator, stores, soak, sessions.
 * `--only` takes a comma list of path ids and section names. Prints a Markdown report; exit 0
 * when every path ran without errors (targets missed are reported, not failed).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, release, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { packageRoot } from "../core/package-root.js";
import { FULL_SETTINGS, QUICK_SETTINGS, runBench, SECTIONS, type BenchSettings, type MachineInfo, type Section } from "../bench/orchestrator.js";
import { PATHS } from "../bench/paths.js";
import { renderMarkdown } from "../bench/report.js";
import { parseArgs, UsageError, type CommandRun, type FlagSpecs } from "./args.js";

const FLAGS: FlagSpecs = {
  json: { kind: "string" },
  rounds: { kind: "string" },
  quick: { kind: "boolean" },
  only: { kind: "string" },
  "cpu-prof": { kind: "string" },
};

const ROOT = packageRoot(import.meta.url);

export function parseBenchArgs(argv: readonly string[], env: Record<string, string | undefined>, cwd: string): { settings: BenchSettings; jsonFile: string | undefined } {
  const { flags } = parseArgs(argv, FLAGS);
  const base = flags.quick === true ? QUICK_SETTINGS : FULL_SETTINGS;
  let rounds = base.rounds;
  if (flags.rounds !== undefined) {
    const text = flags.rounds as string;
    rounds = Number(text);
    if (!/^\d+$/.test(text) || rounds < 1 || rounds > 20) throw new UsageError(`flag \`--rounds\`: expected a whole number from 1 to 20, found \`${text}\``);
  }
  const known = [...PATHS.map((p) => p.id), ...SECTIONS];
  let paths: string[] = PATHS.filter((p) => p.onlyWhenNamed !== true).map((p) => p.id);
  let sections: Section[] = [...SECTIONS];
  if (flags.only !== undefined) {
    const names = (flags.only as string).split(",").map((s) => s.trim()).filter((s) => s !== "");
    const unknown = names.filter((n) => !known.includes(n));
    if (names.length === 0 || unknown.length > 0) throw new UsageError(`flag \`--only\`: unknown name(s) \`${unknown.join(", ") || flags.only}\`; expected a comma list of: ${known.join(", ")}`);
    paths = PATHS.map((p) => p.id).filter((p) => names.includes(p));
    sections = sections.filter((s) => names.includes(s));
  }
  return {
    settings: {
      ...base,
      rounds,
      redisUrl: env.REDIS_URL ?? "redis://127.0.0.1:6379/0",
      paths,
      sections,
      cpuProfDir: flags["cpu-prof"] === undefined ? undefined : resolve(cwd, flags["cpu-prof"] as string),
    },
    jsonFile: flags.json === undefined ? undefined : resolve(cwd, flags.json as string),
  };
}

function machineInfo(): MachineInfo {
  const version = (pkg: string): string => {
    try {
      return (JSON.parse(readFileSync(join(ROOT, "node_modules", pkg, "package.json"), "utf8")) as { version: string }).version;
    } catch {
      return "?";
    }
  };
  let os = `Linux ${release()}`;
  try {
    os = /PRETTY_NAME="([^"]+)"/.exec(readFileSync("/etc/os-release", "utf8"))?.[1] ?? os;
  } catch {
    // keep the kernel name
  }
  return {
    node: process.version,
    cpus: cpus()[0]?.model.trim() ?? "?",
    cores: cpus().length,
    memGiB: totalmem() / 2 ** 30,
    os: `${os}, kernel ${release()}`,
    versions: Object.fromEntries(["@modelcontextprotocol/sdk", "mcp-proxy", "supergateway", "tsx", "esbuild"].map((p) => [p, version(p)])),
  };
}

export const run: CommandRun = async (argv, io) => {
  const { settings, jsonFile } = parseBenchArgs(argv, io.env, io.cwd);
  const result = await runBench(ROOT, settings, machineInfo(), (line) => io.stderr.write(`${line}\n`));
  io.stdout.write(`${renderMarkdown(result)}\n`);
  if (jsonFile) {
    writeFileSync(jsonFile, `${JSON.stringify(result, null, 2)}\n`);
    io.stderr.write(`wrote ${jsonFile}\n`);
  }
  const failed = result.runs.some((r) => r.error !== undefined || !r.client) || result.storesError !== undefined || result.soakError !== undefined || result.sessionsError !== undefined || result.replayError !== undefined || result.startupError !== undefined || (result.replay !== undefined && result.replay.changed !== result.replay.expectedChanged) || result.evaluator?.error !== undefined;
  return failed ? 1 : 0;
};

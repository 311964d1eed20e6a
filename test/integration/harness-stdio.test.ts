/**
 * The same scenarios over real stdio processes: `toolgate serve` in front of `toolgate kommo-sim`,
 * driven by an SDK 1.x client. With TOOLGATE_CLOCK_FILE the runner moves the children's time, so
 * the runaway-loop scenario runs whole; on the real clock, virtual-clock steps are skipped.
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { afterAll, expect, test } from "vitest";
import { runScenarioExternal } from "../../src/harness/external-gateway.js";
import { loadScenarioFile } from "../../src/harness/load-scenario.js";
import { mismatchLines } from "../../src/harness/result.js";
import { run as check } from "../../src/cli/check.js";
import { run as init } from "../../src/cli/init.js";
import { compilePolicy } from "../../src/policy/load-policy.js";
import { capturedIo } from "../helpers/captured-io.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const bin = join(root, "bin/toolgate.mjs");
const template = `${process.execPath} ${bin} serve --policy {policy} --grant {grant} --audit {audit} --upstream-cmd {upstream}`;
const temp = mkdtempSync(join(tmpdir(), "toolgate-harness-stdio-"));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

function load(name: string) {
  const loaded = loadScenarioFile(join(root, "scenarios", `${name}.scenario.json`));
  if (!loaded.ok) throw new Error(`${name} does not load`);
  return loaded.value;
}

const io = () => capturedIo(temp, process.env);

test("the runaway-loop scenario passes over stdio processes with the clock file steering their time", async () => {
  const result = await runScenarioExternal({ ...load("seed-policy-runaway-loop"), scenario: { ...load("seed-policy-runaway-loop").scenario, agents: [load("seed-policy-runaway-loop").scenario.agents[0]!], expect: { effects: { salesbotStops: 11 }, kommoRequests: { "POST /api/v4/bots/:id/stop": 11 }, audit: { total: 51, byCode: { rate_limited: 40 } } } } }, { template, cwd: root, env: process.env });
  expect(mismatchLines(result)).toEqual([]);
  expect(result.steps.map((s) => s.verdict)).toEqual(["passed", "passed", "passed"]);
  expect(result.calls.filter((c) => c.outcome === "allow")).toHaveLength(11);
}, 60_000);

test("the README's template, with \"{upstream}\" in quotes, runs every step of a scenario and passes", async () => {
  const readme = `${process.execPath} ${bin} serve --policy {policy} --grant {grant} --upstream-cmd "{upstream}"`;
  const result = await runScenarioExternal(load("argument-validation"), { template: readme, cwd: root, env: process.env });
  expect(mismatchLines(result)).toEqual([]);
  // The end check asserts only what reached the CRM here; without `{audit}` nothing else is asked.
  expect(result.steps.map((s) => s.verdict).filter((v) => v !== "passed")).toEqual([]);
}, 60_000);

test("a gateway that exits at start fails the scenario with its exit code and the last lines of its stderr", async () => {
  const dying = `${process.execPath} -e "process.stderr.write('cannot read the license file\\n'); process.exit(3)" {policy} {upstream}`;
  const result = await runScenarioExternal(load("hide-all"), { template: dying, cwd: root, env: process.env });
  expect(result.verdict).toBe("failed");
  expect(result.error).toMatch(/^the gateway process `.*` exited with code 3; the last lines of its stderr:\ncannot read the license file$/);
}, 60_000);

test("an external gateway that lets unknown tools through fails default deny over stdio", async () => {
  const leaky = `${process.execPath} ${bin} serve --policy ${join(root, "fixtures/scenarios/leaky-policy.json")} --grant {grant} --upstream-cmd {upstream}`;
  const full = load("default-deny-other-tools");
  const agent = full.scenario.agents[0]!;
  // Two steps are enough (the leaked read tools would otherwise page through Kommo at 7 requests/s).
  const scenario = { ...full.scenario, agents: [{ ...agent, steps: [agent.steps[0]!, agent.steps.at(-1)!] }], expect: undefined };
  const result = await runScenarioExternal({ ...full, scenario }, { template: leaky, cwd: root, env: process.env });
  expect(result.verdict).toBe("failed");
  expect(mismatchLines(result).join("\n")).toMatch(/get_account at 0 ms .*expected deny default_deny by \(default deny\), got allow/);
}, 60_000);

test("toolgate check writes the report directory and ends with the summary line", async () => {
  const t = io();
  const code = await check([join(root, "scenarios/hide-all.scenario.json"), join(root, "scenarios/deny-reason-alias.scenario.json"), "--report", join(temp, "report")], t.io);
  expect(code).toBe(0);
  expect(t.err()).toContain("[1/2] PASSED  hide-all");
  expect(t.out().trim().split("\n").at(-1)).toBe("2 passed, 0 failed");
  const json = JSON.parse(readFileSync(join(temp, "report/report.json"), "utf8"));
  expect(json.totals).toEqual({ passed: 2, failed: 0, skipped: 0 });
  expect(readFileSync(join(temp, "report/junit.xml"), "utf8")).toContain('<testsuites name="toolgate check" tests=');
  expect(readFileSync(join(temp, "report/index.html"), "utf8")).toContain("<svg ");
});

test("toolgate check exits 1 and prints the file and JSON path of an invalid scenario", async () => {
  const t = io();
  const code = await check([join(root, "fixtures/scenarios/invalid/deny-without-rule.scenario.json"), "--report", join(temp, "bad")], t.io);
  expect(code).toBe(1);
  expect(t.out()).toContain("deny-without-rule.scenario.json: agents[0].steps[0].expect.rule: missing; expected the rule that denies with `denied`");
  expect(t.out().trim().split("\n").at(-1)).toBe("0 passed, 1 failed");
});

test("toolgate check --gateway-cmd names the time mechanism and says how many steps ran", async () => {
  const t = io();
  const code = await check([join(root, "scenarios/hide-all.scenario.json"), join(root, "scenarios/shared-vs-separate-grants.scenario.json"), "--gateway-cmd", template, "--report", join(temp, "ext")], t.io);
  expect(code).toBe(0);
  const lines = t.out().trim().split("\n");
  expect(lines.slice(-3)).toEqual(["time: clock-file (TOOLGATE_CLOCK_FILE, moved by the harness); profile: inferred from the template and flags", "6 of 10 steps ran", "1 passed, 0 failed, 1 skipped"]);
  const json = JSON.parse(readFileSync(join(temp, "ext/report.json"), "utf8"));
  expect(json.gateway).toMatch(/\(time: clock-file/);
  expect(json.scenarios[1].steps[0].skipReason).toMatch(/share grant `team`/);
}, 60_000);

test("toolgate check names a bad --time, --profile or approval command template", async () => {
  const bad = async (...flags: string[]) => check([join(root, "scenarios/hide-all.scenario.json"), "--gateway-cmd", template, ...flags], io().io).then(() => "ran", (e: Error) => e.message);
  expect(await bad("--time", "later")).toBe("flag `--time`: expected one of `clock-file`, `faketime`, `real`, found `later`");
  expect(await bad("--profile", join(temp, "missing.json"))).toMatch(/^flag `--profile`: .*missing\.json: cannot read the capability profile: /);
  expect(await bad("--approve-cmd", "approve")).toBe("flags `--approve-cmd` and `--deny-cmd` go together: give both, each with `{id}`");
  expect(await bad("--approve-cmd", "approve", "--deny-cmd", "deny {id}")).toBe("flag `--approve-cmd`: expected a command template containing `{id}`, found `approve`");
  expect(await bad("--max-real-wait-ms", "soon")).toBe("flag `--max-real-wait-ms`: expected a whole number of milliseconds above 0, found `soon`");
  expect(await check([join(root, "scenarios/hide-all.scenario.json"), "--time", "real"], io().io).then(() => "ran", (e: Error) => e.message)).toBe("flag `--time` needs `--gateway-cmd`");
});

test("toolgate init classifies the Kommo simulator: salesbots execute 10/min per grant, reads allowed, writes 30/min", async () => {
  const t = io();
  const out = join(temp, "starter.json");
  const code = await init(["--upstream-cmd", `${process.execPath} ${bin} kommo-sim`, "--out", out], t.io);
  expect(code).toBe(0);
  const policy = JSON.parse(readFileSync(out, "utf8"));
  for (const tool of ["stop_salesbot", "run_salesbot"]) expect(policy.tools[tool].limits).toEqual([{ counter: `${tool}_rate`, window: "minute", max: 10, scope: "grant" }]);
  for (const tool of ["create_lead", "update_lead", "move_lead", "add_note", "pin_note", "unpin_note", "create_task"]) expect(policy.tools[tool].limits[0].max).toBe(30);
  expect(policy.tools.get_leads).toEqual({ description: expect.stringMatching(/^read/) });
  expect(Object.keys(policy.tools)).toHaveLength(23);
  expect(compilePolicy(policy).ok).toBe(true);
  expect(t.err()).toContain("23 tools classified");
}, 60_000);

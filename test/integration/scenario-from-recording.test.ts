/**
 * A recorded session becomes a regression test, end to end with real processes: a scripted
 * session through `toolgate serve --record` (a `kommo-sim` child; time driven through
 * TOOLGATE_CLOCK_FILE so the minutes are exact), `toolgate scenario from-recording`, then
 * `toolgate check` of the scenario against the policy it was made with and against a doctored one.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, expect, test } from "vitest";
import { tempDir } from "../helpers/kommo-sim-process.js";
import { recordRunawaySession, seedPolicy } from "../helpers/recorded-session.js";
import { REPO_ROOT, TOOLGATE_BIN, writeJson } from "../fixtures/servers/gateway-process.js";

const START_MS = Date.UTC(2026, 0, 1, 9, 0, 0);
const dir = tempDir("toolgate-from-recording-");
const recording = join(dir, "traffic.jsonl");
let made: { status: number | null; stdout: string; stderr: string };

beforeAll(async () => {
  await recordRunawaySession({ dir, policyName: "policy.json", recording, redact: "name", startMs: START_MS });
  made = toolgate("scenario", "from-recording", "traffic.jsonl", "--policy", "policy.json", "--out", "from-traffic.scenario.json");
  // The author's copy, with its one placeholder filled in; and the same next to a doctored policy.
  fillIn("from-traffic.scenario.json", "filled.scenario.json");
  mkdirSync(join(dir, "doctored"));
  writeJson(join(dir, "doctored"), "policy.json", seedPolicy(5));
  fillIn("from-traffic.scenario.json", "doctored/filled.scenario.json");
}, 120_000);

function toolgate(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [TOOLGATE_BIN, ...args], { cwd: dir, encoding: "utf8", timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The scenario with its one placeholder filled in, as an author would. */
function fillIn(file: string, to: string): void {
  const text = readFileSync(join(dir, file), "utf8");
  const filled = text.replace(/\{\s*"\$placeholder": "[^"]*"\s*\}/, '"A lead from the test"');
  if (filled === text) throw new Error(`no placeholder in ${file}`);
  writeFileSync(join(dir, to), filled);
}

test("the recording becomes a scenario: one step per recorded call at its relative time, expectations as the policy decides, the redacted value a placeholder", () => {
  const r = made;
  expect(r.stderr).toContain("note: 1 argument redacted or cut when recorded became `{\"$placeholder\": …}`");
  expect(r.stdout).toBe("wrote from-traffic.scenario.json: 33 steps for 1 agent, 20 allowed and 13 denied under policy.json (all as recorded); 1 placeholder to fill in\n");
  expect(r.status).toBe(0);
  const text = readFileSync(join(dir, "from-traffic.scenario.json"), "utf8");
  expect(text).not.toContain("S3CR3T");
  const scenario = JSON.parse(text);
  expect(scenario).toMatchObject({ startAt: new Date(START_MS).toISOString(), policy: "policy.json", grants: ["runaway"] });
  const steps = scenario.agents[0].steps;
  expect(steps).toHaveLength(33);
  expect(steps[0]).toEqual({ at: 0, label: "call 1, traffic.jsonl:1", call: { tool: "stop_salesbot", args: { bot_id: 7, entity_id: 101, entity_type: "leads" } }, expect: "allow" });
  // The 11th stop of the first minute, at 10 s: denied until the minute ends, 50 s later.
  expect(steps[10]).toMatchObject({ at: 10_000, expect: { decision: "deny", code: "rate_limited", rule: "/tools/stop_salesbot/limits/0", retryAfterMs: 50_000 } });
  // A default-deny expectation leaves out the rule its code determines.
  expect(steps[15]).toMatchObject({ call: { tool: "get_account" }, expect: { decision: "deny", code: "default_deny" } });
  expect(steps[15].expect).not.toHaveProperty("rule");
  expect(steps[32].call.args).toEqual({ name: { $placeholder: "`args.name` was redacted when recorded; put a value here" }, price: 10 });
  expect(scenario.expect).toEqual({
    effects: { salesbotStops: 20, stopsByBot: { "7": 20 }, stopsByEntity: { "leads:101": 20 } },
    audit: { total: 33, byDecision: { allow: 20, deny: 13 }, byCode: { rate_limited: 10, default_deny: 3 } },
  });
});

test("check and validate refuse the scenario while the placeholder is there, naming the file and the JSON path", () => {
  const message = "from-traffic.scenario.json: agents[0].steps[32].call.args.name: found a `$placeholder` left by `toolgate scenario from-recording`";
  const v = toolgate("validate", "from-traffic.scenario.json");
  expect(v.status).toBe(1);
  expect(v.stderr).toContain(message);
  const c = toolgate("check", "from-traffic.scenario.json", "--report", "report-placeholder");
  expect(c.status).toBe(1);
  expect(c.stdout).toContain("agents[0].steps[32].call.args.name: found a `$placeholder`");
});

test("filled in, the scenario passes `toolgate check` against the policy it was made with", () => {
  const r = toolgate("check", "filled.scenario.json", "--report", "report-pass");
  expect(r.stdout).toContain("1 passed, 0 failed");
  expect(r.status).toBe(0);
});

test("against a doctored policy (max 5 instead of 10) the same scenario fails, with the calls it would now deny named", () => {
  const r = toolgate("check", "doctored/filled.scenario.json", "--report", "report-doctored");
  expect(r.status).toBe(1);
  expect(r.stdout).toContain("FAILED filled");
  // Call 6 of the first minute, at 5 s: recorded allowed, now denied for 55 s.
  expect(r.stdout).toContain("call stop_salesbot at 5000 ms (2026-01-01T09:00:05.000Z): expected allow, got deny rate_limited by /tools/stop_salesbot/limits/0 retryAfterMs 55000");
  expect(r.stdout).toContain("call stop_salesbot at 65000 ms (2026-01-01T09:01:05.000Z): expected allow, got deny rate_limited");
  // Exactly calls 6–10 of each minute, and nothing else about the calls.
  expect(r.stdout.match(/: expected allow, got deny rate_limited/g)).toHaveLength(10);
  expect(r.stdout).toContain("expect: CRM effects: expected exactly 20 salesbot stops, got 10");
  expect(r.stdout).toContain("0 passed, 1 failed");
});

test("--window keeps the calls from FROM up to (not including) TO; offsets count from the first recorded call", () => {
  const r = toolgate("scenario", "from-recording", "traffic.jsonl", "--policy", "policy.json", "--window", "+1m..", "--out", "minute-two.scenario.json");
  expect(r.status).toBe(0);
  const scenario = JSON.parse(readFileSync(join(dir, "minute-two.scenario.json"), "utf8"));
  expect(scenario.startAt).toBe(new Date(START_MS + 60_000).toISOString());
  expect(scenario.agents[0].steps).toHaveLength(17);
  fillIn("minute-two.scenario.json", "minute-two.scenario.json");
  expect(toolgate("check", "minute-two.scenario.json", "--report", "report-window").stdout).toContain("1 passed, 0 failed");

  const iso = toolgate("scenario", "from-recording", "traffic.jsonl", "--policy", "policy.json", "--window", `${new Date(START_MS).toISOString()}..+10s`, "--out", "first-ten.scenario.json");
  expect(iso.stdout).toContain("10 steps for 1 agent, 10 allowed and 0 denied");
});

test("the README's from-recording example works as written", () => {
  const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
  const block = /```sh\n(node bin\/toolgate\.mjs scenario from-recording[\s\S]*?)```/.exec(readme);
  expect(block).not.toBeNull();
  const commands = block![1]!
    .replace(/\\\n\s*/g, " ")
    .split("\n")
    .map((l) => l.replace(/#.*$/, "").trim())
    .filter((l) => l !== "")
    .map((l) => l.split(/\s+/).slice(2)); // drop `node bin/toolgate.mjs`
  expect(commands.map((c) => c[0])).toEqual(["scenario", "check"]);
  const made = toolgate(...commands[0]!);
  expect(made.status).toBe(0);
  const out = commands[0]![commands[0]!.indexOf("--out") + 1]!;
  fillIn(out, out);
  const checked = toolgate(...commands[1]!);
  expect(checked.stdout).toContain("1 passed, 0 failed");
  expect(checked.status).toBe(0);
});

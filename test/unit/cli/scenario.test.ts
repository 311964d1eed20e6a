/** `toolgate scenario from-recording`: every bad flag and input is a usage error that says what was found and expected. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { main } from "../../../src/cli/main.js";
import { capturedIo } from "../../helpers/captured-io.js";

const dir = mkdtempSync(join(tmpdir(), "scenario-cli-"));
const line = (atS: number, grant: string) =>
  JSON.stringify({ time: new Date(Date.UTC(2026, 0, 1) + atS * 1_000).toISOString(), decisionId: `dec_${atS}`, grant, session: "s", method: "tools/call", name: "get_account", args: {}, decision: "deny", code: "default_deny", rule: "(default deny)", outcome: "not_forwarded", latencyMs: null, policyVersion: "v" });
writeFileSync(join(dir, "traffic.jsonl"), `${line(0, "alice")}\n${line(30, "alice")}\n`);
writeFileSync(join(dir, "policy.json"), JSON.stringify({ version: "1", default: "deny" }));
writeFileSync(join(dir, "bad-policy.json"), JSON.stringify({ version: "1" }));
writeFileSync(join(dir, "broken.jsonl"), `${line(0, "alice")}\nnot json\n`);

async function scenario(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const c = capturedIo(dir);
  const code = await main(["scenario", ...args], c.io);
  return { code, out: c.out(), err: c.err() };
}

const ok = ["traffic.jsonl", "--policy", "policy.json", "--out", "t.scenario.json"];

test.each([
  [[], "toolgate scenario: expected a subcommand; expected: toolgate scenario from-recording RECORDING… --policy P [--grant G] [--window FROM..TO] [--shadow] --out FILE.scenario.json"],
  [["from-traffic"], "toolgate scenario: unknown subcommand `from-traffic`; expected: toolgate scenario from-recording"],
  [["from-recording", "--policy", "policy.json", "--out", "t.scenario.json"], "toolgate scenario: expected at least one recording"],
  [["from-recording", "traffic.jsonl", "--out", "t.scenario.json"], "toolgate scenario: flag `--policy P` is required: the policy whose decisions become the expectations (the scenario names it)"],
  [["from-recording", "traffic.jsonl", "--policy", "policy.json"], "toolgate scenario: flag `--out FILE` is required: where to write the scenario"],
  [["from-recording", "traffic.jsonl", "--policy", "policy.json", "--out", "t.json"], "toolgate scenario: flag `--out`: found `t.json`, expected a file name ending in `.scenario.json` (how `check` finds scenarios in a directory)"],
  [["from-recording", ...ok, "--window", "5m"], "toolgate scenario: flag `--window`: found `5m`, expected `FROM..TO`"],
  [["from-recording", ...ok, "--window", "+1m..+30s"], "toolgate scenario: flag `--window`: FROM (2026-01-01T00:01:00.000Z) is not before TO (2026-01-01T00:00:30.000Z)"],
  [["from-recording", ...ok, "--window", "+1m.."], "toolgate scenario: no recorded `tools/call` matches (check `--grant` and `--window`); the recording's calls run from 2026-01-01T00:00:00.000Z to 2026-01-01T00:00:30.000Z and `--window` is `FROM..TO`"],
  [["from-recording", ...ok, "--grant", "mallory"], "toolgate scenario: flag `--grant`: found `mallory`, expected a grant of the recording: `alice`"],
  [["from-recording", ...ok, "--shadows"], "toolgate scenario: unknown flag `--shadows`; expected one of: --policy, --grant, --window, --shadow, --out"],
  [["from-recording", ...ok, "--shadow=yes"], "toolgate scenario: flag `--shadow` takes no value"],
  [["from-recording", "traffic.jsonl", "--policy", "nope.json", "--out", "t.scenario.json"], "toolgate scenario: cannot read policy file `nope.json`"],
  [["from-recording", "traffic.jsonl", "--policy", "bad-policy.json", "--out", "t.scenario.json"], "toolgate scenario: the policy is invalid:\nbad-policy.json: default: missing"],
])("scenario %j is a usage error: %s", async (args, message) => {
  const r = await scenario(...args);
  expect(r.code).toBe(2);
  expect(r.err).toContain(message);
  expect(r.out).toBe("");
});

test("a broken recording is refused with each bad line's file and number, and nothing is written", async () => {
  const r = await scenario("from-recording", "broken.jsonl", "--policy", "policy.json", "--out", "b.scenario.json");
  expect(r.code).toBe(2);
  expect(r.err).toContain("broken.jsonl:2: (root): not valid JSON");
});

test("a good run writes the file and says what it holds", async () => {
  const r = await scenario("from-recording", ...ok.slice(0, 3), "--out", "out/t.scenario.json", "--window", "..+30s");
  expect(r).toEqual({ code: 0, out: "wrote out/t.scenario.json: 1 step for 1 agent, 0 allowed and 1 denied under policy.json (all as recorded)\n", err: "" });
});

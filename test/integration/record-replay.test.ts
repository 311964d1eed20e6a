/**
 * Policy authoring from real traffic, end to end: a scripted session through `toolgate serve
 * --record` (real processes: the gateway, a `kommo-sim` child; time driven through
 * TOOLGATE_CLOCK_FILE so the minutes are exact), then `toolgate replay` of that recording.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, expect, test } from "vitest";
import { tempDir } from "../helpers/kommo-sim-process.js";
import { recordRunawaySession, seedPolicy } from "../helpers/recorded-session.js";
import { TOOLGATE_BIN, writeJson } from "../fixtures/servers/gateway-process.js";

const START_MS = Date.UTC(2026, 0, 1);
const dir = tempDir("toolgate-record-");
const recording = join(dir, "recording.jsonl");
beforeAll(() => recordRunawaySession({ dir, policyName: "seed.json", recording, redact: "name,*_token", startMs: START_MS }), 120_000);


function replay(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [TOOLGATE_BIN, "replay", recording, ...args], { cwd: dir, encoding: "utf8", timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("the recording has every governed call with its argument values, and the redacted key's value nowhere", () => {
  const text = readFileSync(recording, "utf8");
  const lines = text.trim().split("\n").map((l) => JSON.parse(l));
  expect(lines).toHaveLength(33);
  expect(lines.filter((l) => l.name === "stop_salesbot" && l.decision === "allow")).toHaveLength(20);
  expect(lines[0]).toMatchObject({ method: "tools/call", grant: "runaway", args: { bot_id: 7, entity_id: 101, entity_type: "leads" }, decision: "allow", outcome: "ok" });
  expect(lines.at(-1)).toMatchObject({ name: "create_lead", args: { name: "[redacted]", price: 10 }, redacted: ["args.name"], decision: "deny", code: "default_deny" });
  expect(text).not.toContain("S3CR3T");
});

test("replayed with max 5 instead of 10, exactly calls 6–10 of each minute are newly denied, and nothing else changes", () => {
  writeJson(dir, "max5.json", seedPolicy(5));
  const r = replay("--policy", "max5.json", "--json", "diff.json");
  expect(r.stderr).toBe("");
  expect(r.status).toBe(1);
  const diff = JSON.parse(readFileSync(join(dir, "diff.json"), "utf8"));
  expect(diff.counts).toEqual({ newly_denied: 10, newly_allowed: 0, denied_otherwise: 0 });
  expect(diff.byCode).toEqual({ rate_limited: { newly_denied: 10 } });
  expect(diff.examples.newly_denied.map((e: { time: string }) => e.time)).toEqual([5, 6, 7, 8, 9].map((s) => new Date(START_MS + s * 1_000).toISOString()));
  expect(r.stdout).toContain("10 decisions change: 10 newly denied, 0 newly allowed, 0 denied for another reason");
});

test("replayed against the policy it was recorded under, nothing changes and the exit code is 0", () => {
  expect(replay("--policy", "seed.json")).toMatchObject({ status: 0, stdout: expect.stringContaining("no decision changes") });
  expect(replay("--policy", "seed.json", "--baseline", "seed.json").status).toBe(0);
});

test("bad input is a clear error that names the file and line", () => {
  writeJson(dir, "broken.jsonl", '{"time":"x"}\nnot json\n');
  const r = spawnSync(process.execPath, [TOOLGATE_BIN, "replay", "broken.jsonl", "--policy", "seed.json"], { cwd: dir, encoding: "utf8" });
  expect(r.status).toBe(2);
  expect(r.stderr).toContain("broken.jsonl:1: time:");
  expect(r.stderr).toContain("broken.jsonl:2: (root): not valid JSON");
  expect(spawnSync(process.execPath, [TOOLGATE_BIN, "replay", "recording.jsonl"], { cwd: dir, encoding: "utf8" }).stderr).toContain("flag `--policy CANDIDATE` is required");
});

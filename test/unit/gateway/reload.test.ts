import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, test } from "vitest";
import { systemClock } from "../../../src/core/clock.js";
import { VirtualClock } from "../../../src/core/virtual-clock.js";
import type { CompiledPolicy } from "../../../src/policy/load-policy.js";
import { watchPolicyFile, watchPolicyFiles, type InvalidPolicy, type PolicyWatcher, type ReloadTrigger } from "../../../src/gateway/reload.js";
import { policyOf } from "./gateway-fixture.js";

const policyText = (max: number): string => JSON.stringify({ version: "1", default: "deny", tools: { echo: { limits: [{ counter: "c", window: "minute", max }] } } });
const maxOf = (policy: CompiledPolicy): number => policy.tools.get("echo")!.limits[0]!.max;

const dirs: string[] = [];
const watchers: Array<{ close(): void }> = [];
afterEach(() => {
  for (const w of watchers.splice(0)) w.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(initialMax = 1, clock = new VirtualClock()) {
  const dir = mkdtempSync(join(tmpdir(), "toolgate-reload-"));
  dirs.push(dir);
  const file = join(dir, "policy.json");
  writeFileSync(file, policyText(initialMax));
  const applied: Array<{ policy: CompiledPolicy; trigger: ReloadTrigger }> = [];
  const invalid: InvalidPolicy[] = [];
  let wake: (() => void) | undefined;
  const watcher: PolicyWatcher = watchPolicyFile(file, {
    clock,
    debounceMs: 50,
    currentVersion: policyOf(JSON.parse(policyText(initialMax))).version,
    onPolicy: (policy, trigger) => {
      applied.push({ policy, trigger });
      wake?.();
    },
    onInvalid: (i) => {
      invalid.push(i);
      wake?.();
    },
  });
  watchers.push(watcher);
  /** Waits (bounded) until `n` policies or rejections have been seen: fs events arrive on real time. */
  const seen = async (n: number, timeoutMs = 5_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (applied.length + invalid.length < n) {
      if (Date.now() > deadline) throw new Error(`expected ${n} reloads within ${timeoutMs} ms, saw ${applied.length + invalid.length}`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 25);
      });
    }
  };
  return { dir, file, watcher, applied, invalid, seen, clock };
}

test("reload applies a valid file with a new version and hands over the compiled policy", async () => {
  const { file, watcher, applied } = setup(1);
  writeFileSync(file, policyText(5));
  const result = await watcher.reload();
  expect(result.kind).toBe("applied");
  expect(applied.map((a) => [maxOf(a.policy), a.trigger])).toEqual([[5, "request"]]);
});

test("reloading the same content changes nothing", async () => {
  const { watcher, applied } = setup(1);
  expect(await watcher.reload()).toMatchObject({ kind: "unchanged" });
  expect(applied).toEqual([]);
});

test("an invalid file is rejected with every issue, its file and JSON path, and nothing is applied", async () => {
  const { file, watcher, applied, invalid } = setup(1);
  writeFileSync(file, JSON.stringify({ version: "1", default: "maybe", tools: { echo: { limits: [{ counter: "c", window: "fortnight", max: 1 }] } } }));
  const result = await watcher.reload();
  expect(result.kind).toBe("invalid");
  expect(applied).toEqual([]);
  expect(invalid).toHaveLength(1);
  expect(invalid[0]!.issues.map((i) => i.path)).toEqual(expect.arrayContaining(["default", "tools.echo.limits[0].window"]));
  expect(invalid[0]!.message.split("\n")).toEqual(invalid[0]!.issues.map((i) => `${file}: ${i.path}: ${i.message}`));
});

test("a file that cannot be read or parsed is rejected at the root", async () => {
  const { file, watcher, invalid } = setup(1);
  rmSync(file);
  await watcher.reload();
  expect(invalid[0]!.message).toMatch(new RegExp(`^${file.replaceAll("/", "\\/")}: \\(root\\): cannot read the policy file: ENOENT`));
  writeFileSync(file, "{ not json");
  await watcher.reload();
  expect(invalid[1]!.issues[0]!.path).toBe("");
});

test("after a rejected file, a valid one is applied again", async () => {
  const { file, watcher, applied } = setup(1);
  writeFileSync(file, "{}");
  await watcher.reload();
  writeFileSync(file, policyText(7));
  await watcher.reload();
  expect(applied.map((a) => maxOf(a.policy))).toEqual([7]);
});

test("concurrent reloads run one at a time and the last content wins", async () => {
  const { file, watcher, applied } = setup(1);
  writeFileSync(file, policyText(2));
  const first = watcher.reload();
  const second = watcher.reload();
  expect((await first).kind).toBe("applied");
  expect((await second).kind).toBe("unchanged");
  expect(applied.map((a) => maxOf(a.policy))).toEqual([2]);
});

test("a change written to the file is picked up by the watcher after the debounce", async () => {
  const { file, applied, seen } = setup(1, systemClock as unknown as VirtualClock);
  writeFileSync(file, policyText(3));
  await seen(1);
  expect(applied.map((a) => [maxOf(a.policy), a.trigger])).toEqual([[3, "watch"]]);
});

test("an editor that writes a new file and renames it over the policy is seen too", async () => {
  const { dir, file, applied, seen } = setup(1, systemClock as unknown as VirtualClock);
  const temp = join(dir, ".policy.json.swp");
  writeFileSync(temp, policyText(4));
  renameSync(temp, file);
  await seen(1);
  expect(applied.map((a) => maxOf(a.policy))).toEqual([4]);
});

test("a burst of writes within the debounce is applied once, with the last content", async () => {
  const clock = new VirtualClock();
  const { file, applied } = setup(1, clock);
  for (const max of [10, 11, 12]) writeFileSync(file, policyText(max));
  // fs events arrive on real time; wait (bounded) until the watcher has armed its debounce timer.
  const deadline = Date.now() + 5_000;
  while (clock.pendingTimers() === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  expect(clock.pendingTimers()).toBe(1);
  await new Promise((r) => setTimeout(r, 50)); // let the remaining events of the burst arrive
  expect(clock.pendingTimers()).toBe(1);
  await clock.advanceBy(49);
  expect(applied).toEqual([]);
  await clock.advanceBy(1);
  const until = Date.now() + 5_000;
  while (applied.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 5)); // the read is real I/O
  expect(applied.map((a) => [maxOf(a.policy), a.trigger])).toEqual([[12, "watch"]]);
});

test("a closed watcher ignores further changes", async () => {
  const clock = new VirtualClock();
  const { file, watcher } = setup(1, clock);
  watcher.close();
  writeFileSync(file, policyText(9));
  await new Promise((r) => setTimeout(r, 50));
  expect(clock.pendingTimers()).toBe(0);
});

test("watchPolicyFiles applies each file to the grants that use it and logs applied and rejected reloads", async () => {
  const dir = mkdtempSync(join(tmpdir(), "toolgate-reload-"));
  dirs.push(dir);
  const a = join(dir, "a.json");
  const b = join(dir, "b.json");
  writeFileSync(a, policyText(1));
  writeFileSync(b, policyText(2));
  const version = (max: number) => policyOf(JSON.parse(policyText(max))).version;
  const applied: Array<[readonly string[], number]> = [];
  const logs: Array<Record<string, unknown>> = [];
  const set = watchPolicyFiles(
    [
      { file: a, grantIds: ["alice", "bob"], version: version(1) },
      { file: b, grantIds: ["carol"], version: version(2) },
    ],
    { apply: (grants, policy) => applied.push([grants, maxOf(policy)]), log: (l) => logs.push(l as Record<string, unknown>), clock: new VirtualClock() },
  );
  watchers.push(set);
  writeFileSync(a, policyText(5));
  writeFileSync(b, JSON.stringify({ version: "1", default: "deny", tools: { echo: { limits: [{ counter: "c", window: "minute", max: -1 }] } } }));
  const results = await set.reload();
  expect(results.map((r) => r.kind)).toEqual(["applied", "invalid"]);
  expect(applied).toEqual([[["alice", "bob"], 5]]);
  expect(logs).toContainEqual(expect.objectContaining({ level: "info", event: "policy_reloaded", trigger: "request", file: a, grants: ["alice", "bob"] }));
  const rejected = logs.find((l) => l.event === "policy_reload_rejected")!;
  expect(rejected).toMatchObject({ level: "error", file: b, issues: [{ path: "tools.echo.limits[0].max", message: expect.any(String) }] });
  expect(rejected.message).toContain(`${b}: tools.echo.limits[0].max: `);
});

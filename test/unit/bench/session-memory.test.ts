/**
 * Keeps the `sessions` bench section from rotting: a tiny run through the real `toolgate serve`
 * must report both sharing modes with the children they should have (one shared child; one per
 * session plus the pool's spare) and every figure finite. It never asserts how large a figure is
 * (RSS on a shared machine moves by more than a handful of sessions cost).
 */
import { afterAll, beforeAll, expect, test } from "vitest";
import { buildBenchArtifacts, type BenchBuild } from "../../../src/bench/bench-build.js";
import { runSessionMemoryBench } from "../../../src/bench/session-memory.js";
import { leftoverProcesses } from "../../../src/bench/leftovers.js";

let build: BenchBuild;
beforeAll(async () => {
  build = await buildBenchArtifacts(process.cwd(), { toolgate: false });
}, 60_000);
afterAll(() => build?.remove());

test("the sessions section measures idle sessions (shared and per session) and pending calls, and leaves nothing running", { timeout: 120_000 }, async () => {
  const report = await runSessionMemoryBench(process.cwd(), build.workerJs, build.dir, { sharedSessions: 5, ownSessions: 2, pendingCalls: 5 });
  const [shared, own] = report.cases;
  expect(shared!.sharing).toBe("auto");
  expect(shared!.idle.children).toBe(1);
  expect(shared!.pending?.calls).toBe(5);
  expect(own!.sharing).toBe("per-session");
  expect(own!.idle.children).toBe(2 + 2); // the warm session's, two more, and the pool's spare
  for (const v of [shared!.gatewayBytesPerIdleSession, shared!.treeBytesPerIdleSession, shared!.pending!.gatewayBytesPerCall, own!.treeBytesPerIdleSession]) expect(Number.isFinite(v)).toBe(true);
  expect(own!.idle.treeBytes).toBeGreaterThan(shared!.idle.treeBytes);
  expect(leftoverProcesses(build.dir)).toEqual([]);
});

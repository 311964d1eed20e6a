/**
 * Keeps the bench from rotting: a `--quick` run of one path (toolgate stdio→stdio) through the real
 * CLI must produce numbers and leave no process behind. It asserts that numbers exist, never how
 * large they are (timing thresholds on a shared machine would be flaky by design).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, expect, test } from "vitest";
import { main } from "../../../src/cli/main.js";
import type { BenchResult } from "../../../src/bench/orchestrator.js";
import { capturedIo } from "../../helpers/captured-io.js";

const dir = mkdtempSync(join(tmpdir(), "toolgate-bench-smoke-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("bench --quick --only toolgate-stdio measures latency, throughput, CPU and RSS, and cleans up", { timeout: 60_000 }, async () => {
  const c = capturedIo();
  const jsonFile = join(dir, "bench.json");
  const code = await main(["bench", "--quick", "--only", "toolgate-stdio", "--json", jsonFile], c.io);
  const err = c.err();
  expect(code, err).toBe(0);
  const result = JSON.parse(readFileSync(jsonFile, "utf8")) as BenchResult;
  expect(result.runs).toHaveLength(1);
  const run = result.runs[0]!;
  expect(run.error).toBeUndefined();
  expect(run.leftovers).toEqual([]);
  const client = run.client!;
  expect(client.errors).toBe(0);
  expect(client.sequential.count).toBe(300);
  for (const value of [client.sequential.p50Us, client.sequential.p99Us, client.load.callsPerS, client.rss.afterLoadBytes]) {
    expect(Number.isFinite(value) && value > 0).toBe(true);
  }
  expect(client.childPids.length).toBeGreaterThan(0); // the upstream behind the gateway was watched
  expect(c.out()).toContain("| toolgate stdio→stdio |");
  expect(c.out()).toContain("stdio: toolgate's added p50 ≤ 100 µs over direct stdio");
});

test("bench rejects unknown --only names and bad --rounds as usage errors", async () => {
  const io = { stdout: new PassThrough(), stderr: new PassThrough(), stdin: new PassThrough(), env: {}, cwd: process.cwd() };
  let err = "";
  io.stderr.on("data", (c: Buffer) => (err += c.toString()));
  expect(await main(["bench", "--only", "nope"], io)).toBe(2);
  expect(err).toContain("flag `--only`: unknown name(s) `nope`");
  expect(await main(["bench", "--rounds", "0"], io)).toBe(2);
  expect(err).toContain("flag `--rounds`: expected a whole number from 1 to 20, found `0`");
});

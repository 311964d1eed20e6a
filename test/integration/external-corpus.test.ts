/**
 * The harness's power measured on processes it did not build: an independent fake gateway
 * (test/fixtures/external-gateways/fake-gateway.mjs) whose time is moved by libfaketime passes the
 * policy scenarios it implements; each copy with one planted bug fails a named shipped scenario
 * with a readable mismatch; and two pass-through proxies (supergateway, mcp-proxy), which enforce
 * nothing, fail every policy scenario they are run on.
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";
import { runScenarioExternal } from "../../src/harness/external-gateway.js";
import { findFaketimeLibrary } from "../../src/harness/external-time.js";
import { loadScenarioFile } from "../../src/harness/load-scenario.js";
import { mismatchLines, type ScenarioResult } from "../../src/harness/result.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const fake = (bug?: string): string => `${process.execPath} ${join(root, "test/fixtures/external-gateways/fake-gateway.mjs")} --policy {policy} --grant {grant} ${bug ? `--bug ${bug} ` : ""}--upstream-cmd {upstream}`;
const bin = (name: string): string => join(root, "node_modules/.bin", name);

async function run(name: string, template: string, time: "faketime" | "clock-file" = "faketime"): Promise<ScenarioResult> {
  const loaded = loadScenarioFile(join(root, "scenarios", `${name}.scenario.json`));
  if (!loaded.ok) throw new Error(`${name} does not load`);
  return runScenarioExternal(loaded.value, { template, cwd: root, env: process.env, time });
}

/** Runs jobs `concurrency` at a time. */
async function pool<T>(jobs: readonly (() => Promise<T>)[], concurrency: number): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let i = next++; i < jobs.length; i = next++) out[i] = await jobs[i]!();
  }));
  return out;
}

test("libfaketime is installed (.ci/run installs Debian's faketime)", () => {
  expect(findFaketimeLibrary(process.env)).toBeDefined();
});

const BASE_SCENARIOS = ["seed-policy-runaway-loop", "retry-storm-consumes-nothing", "hide-all", "default-deny-other-tools", "unknown-tool-consumes-nothing"];

/** Each planted bug, the shipped scenario that catches it, and what its mismatch says. */
const CORPUS: readonly (readonly [bug: string, scenario: string, says: RegExp])[] = [
  ["window-length", "seed-policy-runaway-loop", /retryAfterMs \d+, got deny rate_limited .*retryAfterMs|expected allow|got allow/],
  ["sliding-window", "seed-policy-runaway-loop", /expected (allow|deny)/],
  ["denied-counted", "retry-storm-consumes-nothing", /expected allow/],
  ["forward-denied", "hide-all", /answered denied but reached Kommo: .* calls of `stop_salesbot` answered denied \(hidden\)/],
  ["case-insensitive", "default-deny-other-tools", /call (Stop_salesbot|STOP_SALESBOT) at \d+ ms .*expected deny default_deny/],
  ["prefix-match", "default-deny-other-tools", /call stop_salesbots at \d+ ms .*expected deny default_deny by \(default deny\), got/],
  ["unfiltered-list", "hide-all", /listed but denied: the gateway listed `stop_salesbot`/],
  ["no-rollback", "unknown-tool-consumes-nothing", /the budget is still whole|expected allow, got deny rate_limited/],
  ["denial-as-error", "seed-policy-runaway-loop", /error \d+; got allow 10, deny 0, error 40|got error/],
  ["max-plus-one", "seed-policy-runaway-loop", /expected allow 10, deny 40, error 0; got allow 11, deny 39/],
  ["wrong-retry-after", "seed-policy-runaway-loop", /retryAfterMs 48000, got deny rate_limited by \/tools\/stop_salesbot\/limits\/0 retryAfterMs 60000/],
  ["no-meta", "hide-all", /expected deny hidden by \(hidden\), got deny \(no code\)/],
];

test("the fake gateway without a planted bug passes the policy scenarios it implements, on libfaketime's clock", async () => {
  const results = await pool(BASE_SCENARIOS.map((name) => () => run(name, fake())), 3);
  expect(results.flatMap((r) => mismatchLines(r).map((l) => `${r.name}: ${l}`))).toEqual([]);
  expect(results.map((r) => r.verdict)).toEqual(BASE_SCENARIOS.map(() => "passed"));
}, 300_000);

test("every planted bug is caught by its shipped scenario with a readable mismatch", async () => {
  const results = await pool(CORPUS.map(([bug, scenario]) => () => run(scenario, fake(bug))), 3);
  const caught = CORPUS.map(([bug, scenario, says], i) => {
    const result = results[i]!;
    const text = mismatchLines(result).join("\n");
    return { bug, scenario, verdict: result.verdict, says: says.test(text) ? "as expected" : text.slice(0, 600) };
  });
  expect(caught).toEqual(CORPUS.map(([bug, scenario]) => ({ bug, scenario, verdict: "failed", says: "as expected" })));
}, 400_000);

const PASS_THROUGH_SCENARIOS = ["hide-all", "unknown-tool-consumes-nothing", "deny-reason-alias"];
const PROXIES = {
  supergateway: `${bin("supergateway")} --stdio {upstream} --port {port} --outputTransport streamableHttp --streamableHttpPath /mcp --stateful`,
  "mcp-proxy": `${bin("mcp-proxy")} --port {port} --host 127.0.0.1 --server stream -- sh -c {upstream}`,
};

test.each(Object.entries(PROXIES))("%s, which enforces nothing, fails every policy scenario it is run on", async (_name, template) => {
  const results = await pool(PASS_THROUGH_SCENARIOS.map((name) => () => run(name, template, "clock-file")), 3);
  expect(results.map((r) => [r.name, r.verdict])).toEqual(PASS_THROUGH_SCENARIOS.map((n) => [n, "failed"]));
  for (const r of results) expect(mismatchLines(r).join("\n")).toMatch(/expected deny \w+ by .*, got allow/);
}, 300_000);

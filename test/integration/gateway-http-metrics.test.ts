/**
 * `/metrics` on a real `toolgate serve --listen --grants` process: behind the metrics token (never
 * a grant token) and off without one, refusals that carry no metric, and tool names chosen by an
 * agent that cannot add a series to what a scraper reads.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { afterAll, beforeAll, expect, test } from "vitest";
import { tokenSha256 } from "../../src/gateway/grants.js";
import { fixtureUpstreamCmd, REPO_ROOT, tempDir, TOOLGATE_BIN, writeJson } from "../fixtures/servers/gateway-process.js";
import { parsePrometheusText } from "../helpers/prometheus-text.js";
import { startHttpGateway, type HttpGateway } from "./gateway-http-process.js";

const dir = tempDir("toolgate-metrics-");
const policy = writeJson(dir, "policy.json", { version: "1", default: "allow" });
const AGENT_TOKEN = "agent-grant-token-123";
const METRICS_TOKEN = "metrics-scrape-token-456";
const grants = writeJson(dir, "grants.json", { version: "1", grants: [{ id: "agent", tokenSha256: tokenSha256(AGENT_TOKEN), policy: "policy.json" }] });
const metricsTokenFile = join(dir, "metrics.token");
writeFileSync(metricsTokenFile, `${METRICS_TOKEN}\n`);
const FORGED = 'x\u0000allow\u0000none"} 999\n toolgate_sessions 424242\n';
const JSON_HEADERS = { "content-type": "application/json", accept: "application/json, text/event-stream" };

let gateway: HttpGateway;
let closed: HttpGateway;

beforeAll(async () => {
  [gateway, closed] = await Promise.all([
    startHttpGateway(["--grants", grants, "--upstream-cmd", fixtureUpstreamCmd(), "--metrics-token-file", metricsTokenFile]),
    startHttpGateway(["--grants", grants, "--upstream-cmd", fixtureUpstreamCmd()]),
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.allSettled([gateway?.stop(), closed?.stop()]);
});

const scrape = (g: HttpGateway, authorization?: string) => fetch(`${g.base}/metrics`, authorization === undefined ? {} : { headers: { authorization } });

test("with grants, /metrics without the metrics token, with a wrong one or with a grant token is 401 and carries no metric", async () => {
  for (const authorization of [undefined, "Bearer wrong-token-wrong-token", `Bearer ${AGENT_TOKEN}`, METRICS_TOKEN]) {
    const res = await scrape(gateway, authorization);
    const body = await res.text();
    expect(res.status, String(authorization)).toBe(401);
    expect(res.headers.get("www-authenticate"), String(authorization)).toMatch(/^Bearer realm="toolgate-metrics"/);
    expect(body).not.toContain("toolgate_");
    expect(JSON.parse(body)).toMatchObject({ error: { code: -32000, message: expect.stringMatching(/^unauthorized: /) } });
  }
  const ok = await scrape(gateway, `Bearer ${METRICS_TOKEN}`);
  expect(ok.status).toBe(200);
  expect(parsePrometheusText(await ok.text()).some((s) => s.name === "toolgate_sessions")).toBe(true);
  expect(gateway.stderr()).toContain('"event":"metrics_refused"');
  expect(gateway.stderr()).not.toContain(METRICS_TOKEN);
});

test("with grants and no metrics token, /metrics is off: 403 that says how to turn it on, no metric", async () => {
  const res = await scrape(closed, `Bearer ${AGENT_TOKEN}`);
  const body = await res.text();
  expect(res.status).toBe(403);
  expect(body).not.toContain("toolgate_");
  expect(JSON.parse(body).error.message).toBe(
    "forbidden: `/metrics` is off on a listener with grants; start the gateway with `--metrics-token-file FILE` (or TOOLGATE_METRICS_TOKEN) and scrape with `Authorization: Bearer <metrics token>`",
  );
});

test("a tool name with NUL, quotes and line feeds called through the gateway adds no series to /metrics", async () => {
  const agent = { ...JSON_HEADERS, authorization: `Bearer ${AGENT_TOKEN}` };
  const init = await fetch(gateway.url, { method: "POST", headers: agent, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "1" } } }) });
  await init.text();
  const sid = init.headers.get("mcp-session-id")!;
  const call = await fetch(gateway.url, { method: "POST", headers: { ...agent, "mcp-session-id": sid }, body: JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: FORGED, arguments: {} } }) });
  expect(call.status).toBe(200);
  await call.text();
  const samples = parsePrometheusText(await (await scrape(gateway, `Bearer ${METRICS_TOKEN}`)).text());
  expect(samples.filter((s) => s.name === "toolgate_sessions")).toEqual([{ name: "toolgate_sessions", labels: {}, value: expect.any(Number) }]);
  expect(samples.find((s) => s.name === "toolgate_sessions")!.value).not.toBe(424242);
  const decisions = samples.filter((s) => s.name === "toolgate_decisions_total");
  expect(decisions.map((s) => s.labels.tool)).toContain("(invalid)");
  expect(decisions.every((s) => ["allow", "deny"].includes(s.labels.decision!) && Object.keys(s.labels).length === 3)).toBe(true);
  expect(decisions.some((s) => s.value === 999)).toBe(false);
}, 30_000);

test("bad --metrics-token-file inputs are usage errors (exit 2) that name the flag, and a grant's token cannot be the metrics token", () => {
  const serve = (extra: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [TOOLGATE_BIN, "serve", "--grants", grants, "--upstream-cmd", fixtureUpstreamCmd(), ...extra], { cwd: REPO_ROOT, env: { ...process.env, ...env }, encoding: "utf8", timeout: 30_000 });
  const short = join(dir, "short.token");
  writeFileSync(short, "abc");
  const same = join(dir, "same.token");
  writeFileSync(same, AGENT_TOKEN);
  const cases: Array<[string[], Record<string, string>, string]> = [
    [["--listen", "127.0.0.1:0", "--metrics-token-file", short], {}, "flag `--metrics-token-file`: metrics token file `"],
    [["--listen", "127.0.0.1:0", "--metrics-token-file", join(dir, "missing.token")], {}, "cannot be read"],
    [["--listen", "127.0.0.1:0"], { TOOLGATE_METRICS_TOKEN: "has space inside it" }, "flag `--metrics-token-file`: environment variable TOOLGATE_METRICS_TOKEN holds a token with whitespace inside; expected one word"],
    [["--listen", "127.0.0.1:0", "--metrics-token-file", same], {}, "flag `--metrics-token-file`: the metrics token is also a grant's token; give /metrics a token of its own"],
  ];
  for (const [extra, env, message] of cases) {
    const run = serve(extra, env);
    expect(run.status, run.stderr).toBe(2);
    expect(run.stderr).toContain(message);
  }
  expect(serve(["--listen", "127.0.0.1:0", "--metrics-token-file", short]).stderr).toContain("holds a token of 3 characters; expected at least 16");
}, 120_000);

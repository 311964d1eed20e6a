/**
 * Traces and metrics of governed calls over OTLP/HTTP, end to end: `toolgate serve` (a real
 * process, `OTEL_EXPORTER_OTLP_ENDPOINT` pointing at a receiver this test runs on loopback) in
 * front of an upstream that records the `_meta` each call brought it. The agent sends its own W3C
 * trace context; the spans continue it, and the upstream sees the same trace id.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { INITIALIZE, readJsonLines, REPO_ROOT, serveArgs, startRawGateway, tempDir, writeJson } from "../fixtures/servers/gateway-process.js";

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Array<{ key: string; value: Record<string, unknown> }>;
}

const received: { traces: unknown[]; metrics: unknown[] } = { traces: [], metrics: [] };
let receiver: Server;
let endpoint: string;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      (req.url === "/v1/traces" ? received.traces : received.metrics).push(JSON.parse(body));
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

const spans = (): OtlpSpan[] =>
  (received.traces as Array<{ resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }> }>).flatMap((t) => t.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)));
const attr = (span: OtlpSpan, key: string): unknown => {
  const v = span.attributes.find((a) => a.key === key)?.value;
  return v === undefined ? undefined : (v.stringValue ?? v.intValue ?? v.boolValue ?? v.doubleValue);
};

test("one server span per governed call, with decision, reservation and upstream children, continuing the agent's trace into the upstream", async () => {
  const dir = tempDir("toolgate-otel-");
  const metaLog = join(dir, "meta.jsonl");
  const policy = writeJson(dir, "policy.json", { version: "1", default: "deny", tools: { echo: { limits: [{ counter: "echo_rate", window: "minute", max: 1 }] } } });
  const upstream = `"${process.execPath}" "${join(REPO_ROOT, "test/fixtures/servers/meta-recorder.mjs")}"`;
  const gateway = startRawGateway(serveArgs(policy, upstream), { FIXTURE_META_LOG: metaLog, OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_SERVICE_NAME: "toolgate-test", OTEL_BSP_SCHEDULE_DELAY: "50", OTEL_METRIC_EXPORT_INTERVAL: "200" });
  const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
  const agentSpan = "00f067aa0ba902b7";
  try {
    gateway.send(INITIALIZE);
    await gateway.answerFor("init");
    const meta = { traceparent: `00-${traceId}-${agentSpan}-01` };
    gateway.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "echo", arguments: { text: "hi" }, _meta: meta } }));
    await gateway.answerFor(1);
    gateway.send(JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "echo", arguments: { text: "again" }, _meta: meta } }));
    expect(((await gateway.answerFor(2)).result as { _meta: Record<string, { code: string }> })._meta["toolgate/decision"]!.code).toBe("rate_limited");
  } finally {
    await gateway.stop();
  }
  const seen = readJsonLines<{ traceparent?: string }>(metaLog);
  expect(seen).toHaveLength(1);
  expect(seen[0]!.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));

  const all = spans();
  const servers = all.filter((s) => s.kind === 2 && s.name === "tools/call echo");
  expect(servers).toHaveLength(2);
  const [allowed, denied] = servers.sort((a, b) => String(attr(a, "jsonrpc.request.id")).localeCompare(String(attr(b, "jsonrpc.request.id"))));
  for (const s of servers) {
    expect(s.traceId).toBe(traceId);
    expect(s.parentSpanId).toBe(agentSpan);
    expect(attr(s, "mcp.method.name")).toBe("tools/call");
    expect(attr(s, "gen_ai.tool.name")).toBe("echo");
    expect(attr(s, "gen_ai.operation.name")).toBe("execute_tool");
    expect(attr(s, "network.transport")).toBe("pipe");
    expect(attr(s, "mcp.session.id")).toMatch(/^conn_/);
  }
  expect(attr(allowed!, "toolgate.decision")).toBe("allow");
  expect(attr(denied!, "toolgate.decision")).toBe("deny");
  expect(attr(denied!, "toolgate.decision.code")).toBe("rate_limited");
  expect(attr(denied!, "toolgate.decision.rule")).toBe("/tools/echo/limits/0");
  expect(attr(denied!, "error.type")).toBe("tool_error");
  const children = (parent: OtlpSpan) => all.filter((s) => s.parentSpanId === parent.spanId).map((s) => `${s.name}/${s.kind}`).sort();
  expect(children(allowed!)).toEqual(["toolgate.decision/1", "tools/call echo/3"]);
  const decision = all.find((s) => s.parentSpanId === allowed!.spanId && s.name === "toolgate.decision")!;
  expect(all.filter((s) => s.parentSpanId === decision.spanId).map((s) => s.name)).toEqual(["toolgate.reservation"]);
  const upstreamSpan = all.find((s) => s.parentSpanId === allowed!.spanId && s.kind === 3)!;
  expect(seen[0]!.traceparent).toBe(`00-${traceId}-${upstreamSpan.spanId}-01`);
  expect(children(denied!)).toEqual(["toolgate.decision/1"]);

  const metricNames = (received.metrics as Array<{ resourceMetrics: Array<{ scopeMetrics: Array<{ metrics: Array<{ name: string; unit: string; histogram?: { dataPoints: unknown[] } }> }> }> }>).flatMap((m) => m.resourceMetrics.flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics)));
  const duration = metricNames.find((m) => m.name === "mcp.server.operation.duration");
  expect(duration).toMatchObject({ unit: "s" });
  expect(duration!.histogram!.dataPoints.length).toBeGreaterThan(0);
});

test("without an OTLP endpoint nothing is exported and no OpenTelemetry package is loaded", async () => {
  const { telemetryWanted } = await import("../../src/cli/serve/telemetry.js");
  expect(telemetryWanted({})).toBe(false);
  expect(telemetryWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://x" })).toBe(true);
  expect(telemetryWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://x", OTEL_SDK_DISABLED: "true" })).toBe(false);
  expect(telemetryWanted({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://x", OTEL_TRACES_EXPORTER: "none" })).toBe(false);
});

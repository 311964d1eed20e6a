import { fc, test } from "@fast-check/vitest";
import { expect } from "vitest";
import { createJsonLogger } from "../../../../src/gateway/logger.js";
import { escapeLabel, INVALID_TOOL_LABEL, MAX_TOOL_LABELS, Metrics } from "../../../../src/gateway/metrics.js";
import { parsePrometheusText } from "../../../helpers/prometheus-text.js";
import { VirtualClock } from "../../../../src/core/virtual-clock.js";
import type { AuditRecord } from "../../../../src/gateway/audit-log.js";

const record = (tool: string, decision: "allow" | "deny", code: AuditRecord["code"], latencyMs: number | null): AuditRecord => ({
  time: "2026-01-01T00:00:00.000Z", decisionId: "dec_1", grant: "g", session: "s", tool, decision, code, rule: null, argKeys: [], argsSha256: "", policyVersion: null, latencyMs, outcome: latencyMs === null ? "not_forwarded" : "ok",
});

test("decisions are counted by tool, decision and code, and forwarded calls fill the latency histogram in seconds", () => {
  const m = new Metrics();
  m.observeAudit(record("echo", "allow", null, 0.8));
  m.observeAudit(record("echo", "allow", null, 3));
  m.observeAudit(record("stop", "deny", "rate_limited", null));
  const text = m.render();
  expect(text).toContain('toolgate_decisions_total{tool="echo",decision="allow",code="none"} 2');
  expect(text).toContain('toolgate_decisions_total{tool="stop",decision="deny",code="rate_limited"} 1');
  expect(text).toContain('toolgate_upstream_latency_seconds_bucket{le="0.0005"} 0');
  expect(text).toContain('toolgate_upstream_latency_seconds_bucket{le="0.001"} 1');
  expect(text).toContain('toolgate_upstream_latency_seconds_bucket{le="0.0025"} 1');
  expect(text).toContain('toolgate_upstream_latency_seconds_bucket{le="0.005"} 2');
  expect(text).toContain('toolgate_upstream_latency_seconds_bucket{le="+Inf"} 2');
  expect(text).toContain("toolgate_upstream_latency_seconds_sum 0.0038");
  expect(text).toContain("toolgate_upstream_latency_seconds_count 2");
  expect(text.endsWith("\n")).toBe(true);
});

test("gauges read their callbacks at scrape time: pending approvals, sessions, calls in flight", () => {
  const m = new Metrics();
  let pending = 2;
  m.setPendingApprovals(() => pending);
  m.setSessions(() => 5);
  m.callStarted();
  m.callStarted();
  m.callFinished();
  expect(m.render()).toContain("toolgate_pending_approvals 2");
  pending = 0;
  const text = m.render();
  expect(text).toContain("toolgate_pending_approvals 0");
  expect(text).toContain("toolgate_sessions 5");
  expect(text).toContain("toolgate_calls_in_flight 1");
  m.setPendingApprovals(() => {
    throw new Error("store down");
  });
  expect(m.render()).toContain("toolgate_pending_approvals NaN");
});

test("tool label values are escaped and capped, so agents cannot grow the metric without bound", () => {
  expect(escapeLabel('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
  const m = new Metrics();
  for (let i = 0; i < MAX_TOOL_LABELS + 50; i++) m.recordDecision(`t${i}`, "deny", "default_deny");
  const text = m.render();
  expect(text).toContain('toolgate_decisions_total{tool="(other)",decision="deny",code="default_deny"} 50');
  expect(text.split("\n").filter((l) => l.startsWith("toolgate_decisions_total{")).length).toBe(MAX_TOOL_LABELS + 1);
});

test("the logger writes one JSON object per line (time, level, msg, fields), off the call path, honouring the level", async () => {
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const written: string[] = [];
  const log = createJsonLogger({ write: (text, done) => { written.push(text); done?.(); }, clock, level: "info", base: { source: "toolgate" } });
  log.info("session opened", { session: "abc" });
  log.debug("hidden");
  log.line({ level: "warn", event: "upstream_timeout", message: "the upstream did not answer", timeoutMs: 5 });
  expect(written).toEqual([]); // nothing written synchronously
  await log.flush();
  const lines = written.join("").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(lines).toEqual([
    { time: "2026-01-01T00:00:00.000Z", level: "info", msg: "session opened", source: "toolgate", session: "abc" },
    { time: "2026-01-01T00:00:00.000Z", level: "warn", msg: "the upstream did not answer", source: "toolgate", event: "upstream_timeout", timeoutMs: 5 },
  ]);
});

test("no tool name can add a series: NUL, quotes, backslashes and line feeds stay inside their own label value", () => {
  const forged = 'x\u0000allow\u0000none"} 999\n toolgate_sessions 424242\n';
  const m = new Metrics();
  m.setSessions(() => 1);
  m.recordDecision(forged, "deny", "default_deny");
  m.recordDecision('a"b\\c\nd', "allow", null);
  m.recordDecision("tab\there", "deny", "hidden");
  const samples = parsePrometheusText(m.render());
  const decisions = samples.filter((s) => s.name === "toolgate_decisions_total");
  expect(decisions.map((s) => [s.labels.tool, s.labels.decision, s.labels.code, s.value])).toEqual([
    [INVALID_TOOL_LABEL, "deny", "default_deny", 1],
    [INVALID_TOOL_LABEL, "deny", "hidden", 1],
    ['a"b\\c\nd', "allow", "none", 1],
  ]);
  expect(samples.filter((s) => s.name === "toolgate_sessions")).toEqual([{ name: "toolgate_sessions", labels: {}, value: 1 }]);
  expect(new Set(samples.map((s) => s.name))).toEqual(
    new Set(["toolgate_decisions_total", "toolgate_upstream_latency_seconds_bucket", "toolgate_upstream_latency_seconds_sum", "toolgate_upstream_latency_seconds_count", "toolgate_calls_in_flight", "toolgate_sessions", "toolgate_pending_approvals"]),
  );
});

test.prop([fc.array(fc.string({ unit: "binary", maxLength: 40 }), { maxLength: 30 })])("for any tool names, the exposition parses and has exactly one sample per (tool label, decision, code)", (names) => {
  const m = new Metrics();
  for (const name of names) m.recordDecision(name, "deny", "default_deny");
  const decisions = parsePrometheusText(m.render()).filter((s) => s.name === "toolgate_decisions_total");
  const expected = new Set(names.map((n) => (/[\u0000-\u0009\u000B-\u001F\u007F-\u009F]/.test(n) ? INVALID_TOOL_LABEL : n)));
  expect(decisions.map((s) => s.labels.tool).sort()).toEqual([...expected].sort());
  expect(decisions.reduce((sum, s) => sum + s.value, 0)).toBe(names.length);
});

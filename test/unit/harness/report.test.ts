import { expect, test } from "vitest";
import { renderHtml } from "../../../src/harness/report/html-report.js";
import { renderJunit, xmlEscape } from "../../../src/harness/report/junit-report.js";
import { renderJson } from "../../../src/harness/report/write-report.js";
import { totalsOf, type RunReport, type ScenarioResult } from "../../../src/harness/result.js";

function scenario(name: string, verdict: ScenarioResult["verdict"], mismatch?: string): ScenarioResult {
  return {
    name,
    file: `/x/${name}.scenario.json`,
    purpose: `Purpose of ${name} <&>.`,
    mode: "virtual",
    verdict,
    startMs: Date.UTC(2026, 0, 1),
    endMs: 61_000,
    durationMs: 12,
    agents: ["a"],
    windows: [{ counter: "c", windowMs: 60_000 }],
    steps: [
      { id: "agents[0].steps[0]", agent: "a", kind: "burst", atMs: 0, summary: "burst stop_salesbot ×11", verdict: mismatch ? "failed" : verdict === "skipped" ? "skipped" : "passed", mismatches: mismatch ? [mismatch] : [], ...(verdict === "skipped" ? { skipReason: "needs the virtual clock" } : {}) },
    ],
    calls: [
      { agent: "a", step: "agents[0].steps[0]", tool: "stop_salesbot", startMs: 0, endMs: 0, outcome: "allow", isError: false, text: "{}" },
      { agent: "a", step: "agents[0].steps[0]", tool: "stop_salesbot", startMs: 0, endMs: 0, outcome: "deny", code: "rate_limited", rule: "/tools/stop_salesbot/limits/0", retryAfterMs: 60_000, text: "[POLICY DENIED] …" },
    ],
    counters: [{ key: "grant:a|c", atMs: 0, used: 1, max: 1, windowStartMs: 0, windowEndMs: 60_000, event: "reserve" }],
  };
}

function report(...scenarios: ScenarioResult[]): RunReport {
  return { tool: "toolgate check", startedAt: "2026-01-01T00:00:00.000Z", gateway: "built-in", scenarios, totals: totalsOf(scenarios) };
}

const sample = report(scenario("good", "passed"), scenario("bad", "failed", "call stop_salesbot at 0 ms: expected allow, got deny <x>"), scenario("later", "skipped"));

test("totals count scenarios by verdict", () => {
  expect(sample.totals).toEqual({ passed: 1, failed: 1, skipped: 1 });
});

test("the JSON report round-trips and keeps every call, step and counter sample", () => {
  const parsed = JSON.parse(renderJson(sample)) as RunReport;
  expect(parsed).toEqual(sample);
  expect(parsed.scenarios[1]!.steps[0]!.mismatches[0]).toContain("expected allow, got deny");
});

test("JUnit XML has one suite per scenario, a failure with the mismatch, and a skipped element", () => {
  const xml = renderJunit(sample);
  expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="toolgate check" tests="3" failures="1" errors="0" skipped="1"')).toBe(true);
  expect(xml.match(/<testsuite /g)).toHaveLength(3);
  expect(xml).toContain('<failure message="call stop_salesbot at 0 ms: expected allow, got deny &lt;x&gt;" type="mismatch">');
  expect(xml).toContain('<skipped message="needs the virtual clock"/>');
  expect(xml).toContain('<property name="purpose" value="Purpose of good &lt;&amp;&gt;."/>');
});

test("a scenario that failed to load is a failed test case naming the file and path", () => {
  const broken: ScenarioResult = { ...scenario("invalid", "failed"), steps: [], loadIssues: [{ path: "purpose", message: "missing; expected a string" }] };
  const xml = renderJunit(report(broken));
  expect(xml).toContain('tests="1" failures="1"');
  expect(xml).toContain("/x/invalid.scenario.json: purpose: missing; expected a string");
});

test("XML escaping removes control characters and escapes markup", () => {
  expect(xmlEscape(`a\u0000<b c="d">&'`)).toBe("a&lt;b c=&quot;d&quot;&gt;&amp;&apos;");
});

test("the HTML page is self-contained and draws a timeline per scenario", () => {
  const html = renderHtml(sample);
  expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  expect(html.match(/<svg [^>]*role="img"/g)).toHaveLength(3);
  expect(html).toContain("1 passed, 1 failed, 1 skipped");
  expect(html).toContain('fill="#2e9d4f"'); // an allowed call
  expect(html).toContain('fill="#d93b3b"'); // a denied call
  expect(html).toContain('class="window"'); // the minute boundary at 60 s
  expect(html).toContain("max 1"); // the counter against its max
  expect(html).toContain("Purpose of good &lt;&amp;&gt;.");
});

test("approval decisions show in the timeline: approval_required in its own colour, held calls as bars, human decisions as diamonds, failed steps ringed", () => {
  const base = scenario("approvals", "failed", "call stop_salesbot at 0 ms: expected allow, got deny approval_required");
  const held: ScenarioResult = {
    ...base,
    endMs: 40_000,
    windows: [],
    counters: [],
    calls: [
      { agent: "a", step: "agents[0].steps[0]", tool: "stop_salesbot", startMs: 0, endMs: 30_000, outcome: "deny", code: "approval_required", rule: "/tools/stop_salesbot/approval", approvalId: "apr_1", text: "[APPROVAL REQUIRED] …" },
      { agent: "a", step: "agents[0].steps[1]", tool: "stop_salesbot", startMs: 31_000, endMs: 31_000, outcome: "deny", code: "approval_denied", rule: "/tools/stop_salesbot/approval", approvalId: "apr_1", text: "[POLICY DENIED] …" },
    ],
    approvals: [
      { atMs: 20_000, decide: "approve", of: "a/ask", approvalId: "apr_1", outcome: "decided" },
      { atMs: 35_000, decide: "deny", of: "a/ask", approvalId: "apr_1", outcome: "refused", reason: "decided" },
    ],
    wouldDeny: 3,
  };
  const html = renderHtml(report(held));
  expect(html).toContain("approval required</span>"); // the legend
  expect(html).toContain('fill="#1c8fb0"'); // the approval_required mark
  expect(html).toContain('fill="#d93b3b"'); // approval_denied stays a denial
  expect(html).toMatch(/<line x1="[\d.]+" x2="[\d.]+" y1="\d+" y2="\d+" stroke="#1c8fb0" class="open"\/>/); // held 30 s
  expect(html).toContain("issued at 0, answered at 30 s (30 s open)");
  expect(html).toContain("a human approves apr_1 asked by a/ask — decided");
  expect(html).toContain("a human denies apr_1 asked by a/ask — refused (decided)");
  expect(html.match(/<path d="M[^"]+z" fill="#fff" stroke="#a31f1f"/g)).toHaveLength(1); // the refused decision is hollow
  expect(html).toContain('class="failed-ring"');
  expect(html).toContain("2 human approval decisions · 3 would-deny in the audit (shadow)");
});

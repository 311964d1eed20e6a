/**
 * JUnit XML for CI: one `<testsuite>` per scenario, one `<testcase>` per step plus one for the
 * end-state checks. Failures carry the mismatch lines; skipped steps say why.
 */
import type { RunReport, ScenarioResult, StepResult } from "../result.js";

export function xmlEscape(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, "")
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&apos;");
}

const seconds = (ms: number): string => (ms / 1000).toFixed(3);

function testcase(scenario: ScenarioResult, step: StepResult): string {
  const name = `${step.id} ${step.summary}${step.label ? ` (${step.label})` : ""} at ${step.atMs} ms`;
  const open = `    <testcase classname="${xmlEscape(scenario.name)}" name="${xmlEscape(name)}" time="0.000"`;
  if (step.verdict === "passed") return `${open}/>`;
  if (step.verdict === "skipped") return `${open}>\n      <skipped message="${xmlEscape(step.skipReason ?? "skipped")}"/>\n    </testcase>`;
  const body = step.mismatches.join("\n");
  return `${open}>\n      <failure message="${xmlEscape(step.mismatches[0] ?? "failed")}" type="mismatch">${xmlEscape(body)}</failure>\n    </testcase>`;
}

function suite(scenario: ScenarioResult): string {
  const steps: StepResult[] = [...scenario.steps];
  if (scenario.loadIssues || scenario.error) {
    const mismatches = scenario.loadIssues
      ? scenario.loadIssues.map((i) => `${scenario.file}: ${i.path === "" ? "(root)" : i.path}: ${i.message}`)
      : [scenario.error ?? "the run broke"];
    steps.unshift({ id: scenario.loadIssues ? "load" : "run", kind: "run", atMs: 0, summary: scenario.loadIssues ? "load the scenario" : "run the scenario", verdict: "failed", mismatches });
  }
  const failures = steps.filter((s) => s.verdict === "failed").length;
  const skipped = steps.filter((s) => s.verdict === "skipped").length;
  const head = `  <testsuite name="${xmlEscape(scenario.name)}" tests="${steps.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${seconds(scenario.durationMs)}" file="${xmlEscape(scenario.file)}">`;
  const props = `    <properties>\n      <property name="purpose" value="${xmlEscape(scenario.purpose)}"/>\n      <property name="mode" value="${scenario.mode}"/>\n    </properties>`;
  return [head, props, ...steps.map((s) => testcase(scenario, s)), "  </testsuite>"].join("\n");
}

export function renderJunit(report: RunReport): string {
  const all = report.scenarios.flatMap((s) => s.steps);
  const extra = report.scenarios.filter((s) => s.loadIssues || s.error).length;
  const failures = all.filter((s) => s.verdict === "failed").length + extra;
  const skipped = all.filter((s) => s.verdict === "skipped").length;
  const time = report.scenarios.reduce((sum, s) => sum + s.durationMs, 0);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="toolgate check" tests="${all.length + extra}" failures="${failures}" errors="0" skipped="${skipped}" time="${seconds(time)}">`,
    ...report.scenarios.map(suite),
    "</testsuites>",
    "",
  ].join("\n");
}

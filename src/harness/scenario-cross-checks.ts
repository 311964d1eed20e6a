/**
 * The checks of a scenario that span fields: agent names, grants, step and event order, step
 * references (`AGENT/LABEL`, `same-as LABEL`), counted expectations that must add up to the calls
 * a step issues. Each issue carries its JSON path.
 */
import { assertNever, type Issue } from "../core/errors.js";
import type { AgentStep, Scenario } from "./scenario-schema.js";

/** How many calls a step issues, when that is known before running it. */
export function plannedCalls(step: AgentStep): number | undefined {
  switch (step.kind) {
    case "burst":
      return step.burst.count;
    case "concurrent":
      return step.concurrent.count;
    case "loop":
      return Math.ceil(step.loop.forMs / step.loop.everyMs);
    case "call":
    case "retry":
      return undefined;
    default:
      return assertNever(step, "step");
  }
}

export function crossCheck(scenario: Scenario): Issue[] {
  const issues: Issue[] = [];
  const names = new Set<string>();
  scenario.agents.forEach((agent, a) => {
    const base = `agents[${a}]`;
    if (names.has(agent.name)) issues.push({ path: `${base}.name`, message: `found \`${agent.name}\` twice, expected unique agent names` });
    names.add(agent.name);
    if (agent.grant !== undefined && scenario.grants !== undefined && !scenario.grants.includes(agent.grant)) {
      issues.push({ path: `${base}.grant`, message: `found \`${agent.grant}\`, expected one of the scenario's grants: ${scenario.grants.map((g) => `\`${g}\``).join(", ")}` });
    }
    let lastAt = 0;
    agent.steps.forEach((step, s) => {
      const path = `${base}.steps[${s}]`;
      if (step.at < lastAt) issues.push({ path: `${path}.at`, message: `found ${step.at}, expected ≥ ${lastAt} (steps are listed in time order)` });
      lastAt = Math.max(lastAt, step.at);
      issues.push(...checkStep(step, path));
    });
  });
  let lastAt = 0;
  (scenario.events ?? []).forEach((event, e) => {
    if (event.at < lastAt) issues.push({ path: `events[${e}].at`, message: `found ${event.at}, expected ≥ ${lastAt} (events are listed in time order)` });
    lastAt = Math.max(lastAt, event.at);
    if (event.kind === "approval") {
      const found = findLabelledStep(scenario, event.approval.of);
      if (typeof found === "string") issues.push({ path: `events[${e}].approval.of`, message: found });
      else if (found.step.at >= event.at) {
        issues.push({ path: `events[${e}].approval.of`, message: `found \`${event.approval.of}\` at ${found.step.at} ms, expected a step that starts before the decision at ${event.at} ms (at equal times events run first)` });
      }
    }
  });
  scenario.agents.forEach((agent, a) => {
    agent.steps.forEach((step, s) => {
      for (const { path, ref } of approvalIdRefs(step, `agents[${a}].steps[${s}]`)) {
        const qualified = ref.includes("/") ? ref : `${agent.name}/${ref}`;
        const found = findLabelledStep(scenario, qualified);
        if (typeof found === "string") issues.push({ path, message: found });
        else if (found.step === step) issues.push({ path, message: `found \`same-as ${ref}\`, the step itself; expected an earlier step` });
        else if (found.step.at > step.at) issues.push({ path, message: `found \`same-as ${ref}\` at ${found.step.at} ms, expected a step that starts no later than this one (${step.at} ms)` });
      }
    });
  });
  const gateway = scenario.gateway;
  if (gateway?.approvalTimeoutMs !== undefined && gateway.approvalMode !== "hold") {
    issues.push({ path: "gateway.approvalTimeoutMs", message: "found a hold timeout without `\"approvalMode\": \"hold\"`, expected it only in hold mode (async mode answers at once)" });
  }
  return issues;
}

/** `AGENT/LABEL` → the agent and its one step with that label, or what is wrong with the reference. */
export function findLabelledStep(scenario: Scenario, ref: string): { agent: number; index: number; step: AgentStep } | string {
  const slash = ref.indexOf("/");
  const agentName = ref.slice(0, slash);
  const label = ref.slice(slash + 1);
  const agent = scenario.agents.findIndex((x) => x.name === agentName);
  if (agent < 0) return `found \`${ref}\`, expected an agent of this scenario: ${scenario.agents.map((x) => `\`${x.name}\``).join(", ")}`;
  const matches = scenario.agents[agent]!.steps.flatMap((step, index) => (step.label === label ? [{ agent, index, step }] : []));
  if (matches.length === 0) return `found \`${ref}\`, expected the label of one of agent \`${agentName}\`'s steps`;
  if (matches.length > 1) return `found \`${ref}\`, which labels ${matches.length} steps of agent \`${agentName}\`, expected exactly one`;
  return matches[0]!;
}

/** Every `approvalId: "same-as …"` expectation of a step, with its JSON path and reference. */
function approvalIdRefs(step: AgentStep, base: string): { path: string; ref: string }[] {
  const out: { path: string; ref: string }[] = [];
  const add = (expect: unknown, path: string): void => {
    if (expect === null || typeof expect !== "object") return;
    const id = (expect as { approvalId?: unknown }).approvalId;
    if (typeof id === "string" && id.startsWith("same-as ")) out.push({ path: `${path}.approvalId`, ref: id.slice("same-as ".length) });
  };
  if (step.kind === "call") add(step.expect, `${base}.expect`);
  else (step.expect.calls ?? []).forEach((e, i) => add(e, `${base}.expect.calls[${i}]`));
  return out;
}

function checkStep(step: AgentStep, path: string): Issue[] {
  if (step.kind === "call") {
    const expect = step.expect;
    if (expect !== "allow" && expect.decision === "deny" && expect.code === "rate_limited" && expect.retryAfterMs === undefined) {
      return [{ path: `${path}.expect.retryAfterMs`, message: "missing; expected the exact `retryAfterMs` of a `rate_limited` denial" }];
    }
    return [];
  }
  const expect = step.expect;
  const issues: Issue[] = [];
  const planned = plannedCalls(step);
  const total = expect.allow + expect.deny + (expect.error ?? 0);
  if (planned !== undefined && total !== planned) {
    issues.push({ path: `${path}.expect`, message: `found allow ${expect.allow} + deny ${expect.deny} + error ${expect.error ?? 0} = ${total}, expected ${planned} (the calls this step issues)` });
  }
  if (expect.calls !== undefined && planned !== undefined && expect.calls.length !== planned) {
    issues.push({ path: `${path}.expect.calls`, message: `found ${expect.calls.length} entries, expected ${planned} (one per call)` });
  }
  if ((expect.toolError ?? 0) > expect.allow) {
    issues.push({ path: `${path}.expect.toolError`, message: `found ${expect.toolError}, expected at most ${expect.allow} (tool errors are allowed calls)` });
  }
  const coded = Object.values(expect.codes ?? {}).reduce<number>((sum, n) => sum + (n ?? 0), 0);
  if (expect.codes !== undefined && coded !== expect.deny) {
    issues.push({ path: `${path}.expect.codes`, message: `found ${coded} denials by code, expected ${expect.deny} (the step's \`deny\`)` });
  }
  if (step.kind === "retry") {
    const attempts = step.expect.attempts;
    if (attempts !== undefined && attempts > step.retry.maxAttempts) {
      issues.push({ path: `${path}.expect.attempts`, message: `found ${attempts}, expected at most ${step.retry.maxAttempts} (\`maxAttempts\`)` });
    }
    if (attempts !== undefined && total !== attempts) {
      issues.push({ path: `${path}.expect`, message: `found allow ${expect.allow} + deny ${expect.deny} + error ${expect.error ?? 0} = ${total}, expected ${attempts} (\`attempts\`)` });
    }
    if (expect.allow > 1) issues.push({ path: `${path}.expect.allow`, message: `found ${expect.allow}, expected 0 or 1 (a retry stops at the first allowed call)` });
  }
  return issues;
}

/**
 * Call arguments as the runner sends them: `{"$repeat": "A", "times": N}` expanded into long
 * strings, and placeholders left by `scenario from-recording` refused with their path.
 */
import { assertNever, type Issue } from "../core/errors.js";
import { isPlaceholder, placeholderMessage } from "./from-recording/placeholder.js";
import { stepCallSpec, type AgentStep, type Scenario } from "./scenario-schema.js";

/** Expands `{"$repeat": "A", "times": N}` inside call arguments into long strings; refuses placeholders. */
export function expandArgs(scenario: Scenario, issues: Issue[]): Scenario {
  const expand = (value: unknown, path: string): unknown => {
    if (Array.isArray(value)) return value.map((v, i) => expand(v, `${path}[${i}]`));
    if (value === null || typeof value !== "object") return value;
    if (isPlaceholder(value)) {
      issues.push({ path, message: placeholderMessage(value) });
      return value;
    }
    const record = value as Record<string, unknown>;
    if (Object.hasOwn(record, "$repeat")) {
      const keys = Object.keys(record).sort().join(",");
      if (keys !== "$repeat,times" || typeof record.$repeat !== "string" || !Number.isInteger(record.times) || (record.times as number) < 0 || (record.times as number) > 10_000_000) {
        issues.push({ path, message: "found a malformed `$repeat`, expected `{\"$repeat\": \"text\", \"times\": N}` with 0 ≤ N ≤ 10000000" });
        return value;
      }
      return record.$repeat.repeat(record.times as number);
    }
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, expand(v, `${path}.${k}`)]));
  };
  const agents = scenario.agents.map((agent, a) => ({
    ...agent,
    steps: agent.steps.map((step, s) => {
      const args = stepCallSpec(step).args;
      if (args === undefined) return step;
      return withArgs(step, expand(args, `agents[${a}].steps[${s}].${step.kind}.args`) as Record<string, unknown>);
    }),
  }));
  return { ...scenario, agents };
}

/** The step with its call's arguments replaced. */
function withArgs(step: AgentStep, args: Record<string, unknown>): AgentStep {
  switch (step.kind) {
    case "call":
      return { ...step, call: { ...step.call, args } };
    case "burst":
      return { ...step, burst: { ...step.burst, args } };
    case "loop":
      return { ...step, loop: { ...step.loop, args } };
    case "concurrent":
      return { ...step, concurrent: { ...step.concurrent, args } };
    case "retry":
      return { ...step, retry: { ...step.retry, args } };
    default:
      return assertNever(step, "step");
  }
}

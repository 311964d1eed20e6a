/**
 * What a scenario event does to the world: a clock note does nothing, a reload replaces the policy
 * every gateway reads (or is rejected), a fault or `clearFaults` changes what the fake Kommo
 * answers, an approval decision goes to the approval gate. Returns mismatch lines against the
 * event's expectation. The world is reached through narrow parts, so a runner that drives
 * processes can implement them over their control routes.
 */
import { assertNever, formatIssues } from "../core/errors.js";
import type { FaultSpec } from "../kommo/rest-api/fake-kommo.js";
import { parsePolicyText, type CompiledPolicy } from "../policy/load-policy.js";
import type { PolicyInput } from "./load-scenario.js";
import type { ApprovalEvent, ReloadEvent } from "./scenario-schema.js";
import { faultSpec } from "./scenario-world.js";
import type { EventEntry } from "./timeline.js";

export interface EventTarget {
  /** Reload policies by event index (`LoadedScenario.reloadPolicies`). */
  readonly reloadPolicies: ReadonlyMap<number, PolicyInput>;
  readonly policy: { set(policy: CompiledPolicy): void };
  readonly faults: { set(route: string, spec: FaultSpec): void; clear(): void };
  decideApproval(event: ApprovalEvent): Promise<string[]>;
}

export async function applyEvent(entry: EventEntry, target: EventTarget): Promise<string[]> {
  const { event } = entry;
  switch (event.kind) {
    case "clock":
      return [];
    case "reload":
      return applyReload(event, target.reloadPolicies.get(entry.index)!, target.policy);
    case "fault":
      target.faults.set(event.fault.route, faultSpec(event.fault));
      return [];
    case "clearFaults":
      target.faults.clear();
      return [];
    case "approval":
      return target.decideApproval(event);
    default:
      return assertNever(event, "event");
  }
}

function applyReload(event: ReloadEvent, input: PolicyInput, policy: EventTarget["policy"]): string[] {
  const parsed = parsePolicyText(input.text);
  const expect = event.expect;
  const label = `reload at ${event.at} ms`;
  if (parsed.ok) {
    policy.set(parsed.value);
    return expect === "applied" ? [] : [`${label}: expected the policy to be rejected, got it applied`];
  }
  const text = formatIssues(input.file ?? "(inline policy)", parsed.issues);
  if (expect === "applied") return [`${label}: expected the policy to be applied, got it rejected:\n${text}`];
  if (expect.rejected.includes !== undefined && !text.includes(expect.rejected.includes)) {
    return [`${label}: expected a rejection mentioning \`${expect.rejected.includes}\`, got:\n${text}`];
  }
  return [];
}

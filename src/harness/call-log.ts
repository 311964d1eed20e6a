/**
 * The calls of one run, in the order they came back, and by the step that made them: the
 * scenario's call timeline, and what `approvalId` expectations and approval decisions look up.
 */
import type { ApprovalIds } from "./expectations.js";
import { findLabelledStep } from "./scenario-cross-checks.js";
import type { CallRecord } from "./result.js";
import type { Scenario } from "./scenario-schema.js";
import { stepId } from "./timeline.js";

export class CallLog implements ApprovalIds {
  readonly calls: CallRecord[] = [];
  private readonly byStep = new Map<string, CallRecord[]>();

  constructor(private readonly scenario: Scenario) {}

  readonly record = (call: CallRecord): void => {
    this.calls.push(call);
    const list = this.byStep.get(call.step) ?? [];
    list.push(call);
    this.byStep.set(call.step, list);
  };

  /** The calls the step `id` (`agents[0].steps[2]`) made so far, in the order they came back. */
  ofStepId(id: string): readonly CallRecord[] {
    return this.byStep.get(id) ?? [];
  }

  /** The approval id the step `id` was last answered with. */
  lastApprovalId(id: string): string | undefined {
    return this.ofStepId(id).findLast((c) => c.approvalId !== undefined)?.approvalId;
  }

  firstCarrier(approvalId: string): CallRecord | undefined {
    return this.calls.find((c) => c.approvalId === approvalId);
  }

  ofStep(ref: string, agent: string): string | undefined {
    const found = findLabelledStep(this.scenario, ref.includes("/") ? ref : `${agent}/${ref}`);
    if (typeof found === "string") return undefined;
    return this.lastApprovalId(stepId(found.agent, found.index));
  }
}

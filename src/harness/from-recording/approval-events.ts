/**
 * Humans' approval decisions, recovered from a recording: a call that passed with an approval (or
 * was refused `approval_denied`) was decided by a human after an earlier call asked for it. When
 * that earlier call is a step of the scenario, the decision becomes an `approval` event at the
 * later call's time (events run before steps at equal times); otherwise no human can answer, so
 * the later call is decided as one that asks again.
 */
import type { Decision } from "../../policy/decision.js";
import type { Recorded } from "../replay/recording-file.js";

export interface ApprovalEvent {
  readonly at: number;
  readonly approval: { readonly decide: "approve" | "deny"; readonly of: string; readonly by: string };
}

export class ApprovalEvents {
  readonly events: ApprovalEvent[] = [];
  /** Calls decided as asking again: the call that asked is not in the scenario. */
  askedAgain = 0;
  private readonly askedBy = new Map<string, { readonly ref: string; readonly atMs: number }>();
  private readonly decided = new Set<string>();

  /** The call as the scenario can reproduce it; records the human's event when there is one. */
  beforeDeciding(call: Recorded, atInScenario: number): Recorded {
    const id = call.approvalId;
    const humanDecided = call.code === "approval_denied" || (call.decision === "allow" && id !== undefined);
    if (!humanDecided) return call;
    const asked = id === undefined ? undefined : this.askedBy.get(id);
    if (id !== undefined && asked !== undefined && asked.atMs < call.atMs && !this.decided.has(id)) {
      this.events.push({ at: atInScenario, approval: { decide: call.decision === "allow" ? "approve" : "deny", of: asked.ref, by: "recorded" } });
      this.decided.add(id);
      return call;
    }
    this.askedAgain++;
    return { ...call, decision: "deny", code: null, approvalId: undefined };
  }

  /** Remembers the step (`AGENT/LABEL`) that first asked for the recorded approval. */
  afterDeciding(call: Recorded, decision: Decision, ref: string): void {
    if (decision.decision !== "deny" || decision.code !== "approval_required" || call.approvalId === undefined) return;
    if (!this.askedBy.has(call.approvalId)) this.askedBy.set(call.approvalId, { ref, atMs: call.atMs });
  }
}

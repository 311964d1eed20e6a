/**
 * Human approvals (docs/architecture.md#grants-approvals-and-audit). A call that needs approval is recorded as pending and answered
 * `approval_required`; a human approves or denies it by id; the identical call (same grant, tool,
 * argument digest and policy version) then passes exactly once before the approval expires.
 * Changed arguments, another grant or a reloaded policy with a different version make a different
 * call, which needs its own approval. A denial or an expiry is reported once; the next identical
 * call asks again. A consumed approval can be restored when the call did not reach the server
 * (upstream error or timeout, or a later step of the policy denied it). Every backend (memory,
 * Redis) passes the same contract suite (`test/contract/approval-store.case.ts`); the Redis one
 * makes "exactly once" hold across gateway replicas.
 */

/** What identifies a call for approval purposes. */
export interface ApprovalCall {
  readonly grantId: string;
  readonly tool: string;
  /** SHA-256 of the canonical JSON of the arguments. */
  readonly argsDigest: string;
  /** The version of the policy that asked for approval (`CompiledPolicy.version`). */
  readonly policyVersion: string;
}

/** The effective states of a stored approval: declared once, the zod enums of the admin API and scenarios derive from it. */
export const APPROVAL_STATES = ["pending", "approved", "denied", "used", "expired"] as const;

export type ApprovalState = (typeof APPROVAL_STATES)[number];

export interface ApprovalRecord extends ApprovalCall {
  readonly id: string;
  /** The effective state at the store's now: a pending or approved record past `expiresAtMs` reads `expired`. */
  readonly state: ApprovalState;
  readonly createdAtMs: number;
  readonly expiresAtMs: number;
  /** When a human approved or denied it. */
  readonly decidedAtMs?: number;
  /** Who decided (free text from the admin command or API). */
  readonly decidedBy?: string;
  /** When the approved call went through. */
  readonly usedAtMs?: number;
  /** When `check` reported the denial or the expiry (it does so once; later checks answer `none`). */
  readonly reportedAtMs?: number;
}

export type ApprovalCheck =
  /** An approved approval for exactly this call was found and is now used: the call passes. */
  | { readonly kind: "consumed"; readonly record: ApprovalRecord }
  /** The latest approval for this call is still waiting for a human (answer with its id). */
  | { readonly kind: "pending"; readonly record: ApprovalRecord }
  /** A human denied the latest approval for this call, the denial has not lapsed and was not reported yet. */
  | { readonly kind: "denied"; readonly record: ApprovalRecord }
  /** The latest approval for this call expired before it was decided or used (reported once). */
  | { readonly kind: "expired"; readonly record: ApprovalRecord }
  /** No live approval for this call (never asked, the last one was used, its denial or expiry was reported or lapsed). */
  | { readonly kind: "none" };

export type ApprovalDecision = "approved" | "denied";

export type DecideResult =
  | { readonly ok: true; readonly record: ApprovalRecord }
  /** `unknown`: no such id. `expired`/`decided`/`used`: the record is returned unchanged. */
  | { readonly ok: false; readonly reason: "unknown" }
  | { readonly ok: false; readonly reason: "expired" | "decided"; readonly record: ApprovalRecord };

export interface ApprovalRequest extends ApprovalCall {
  readonly ttlMs: number;
}

/** `created: false` when a pending, unexpired approval for the same call already existed (it is returned). */
export interface ApprovalRequested {
  readonly record: ApprovalRecord;
  readonly created: boolean;
}

export interface ApprovalStore {
  /**
   * Looks up the latest approval for this call and, in the same atomic step (so across replicas
   * too): when it is approved and unexpired, marks it used (it passes exactly once); when it is
   * denied or expired and not reported yet, marks it reported (the next check answers `none`).
   */
  check(call: ApprovalCall): Promise<ApprovalCheck>;
  /**
   * Records a pending approval for this call, expiring `ttlMs` from now; when a pending, unexpired
   * one already exists for the same call, returns that one instead (no duplicates on retries).
   */
  request(request: ApprovalRequest): Promise<ApprovalRequested>;
  /**
   * Gives a used approval back (state `approved` again, `usedAtMs` cleared) when the call it let
   * through did not reach the server. Only a used record that has not expired changes; returns
   * it, or undefined when nothing changed.
   */
  restore(id: string): Promise<ApprovalRecord | undefined>;
  /** A human's answer. Only a pending, unexpired approval changes. */
  decide(id: string, decision: ApprovalDecision, decidedBy?: string): Promise<DecideResult>;
  get(id: string): Promise<ApprovalRecord | undefined>;
  /** Every record still kept, newest first (records are kept for `retentionMs` after expiry). */
  list(): Promise<readonly ApprovalRecord[]>;
  close(): Promise<void>;
}

/** How long a record stays listable after it expired or was used, unless a store is told otherwise. */
export const DEFAULT_APPROVAL_RETENTION_MS = 24 * 3_600_000;

/** The effective state of a stored record at `nowMs` (pending/approved past expiry read `expired`). */
export function effectiveState(stored: ApprovalState, expiresAtMs: number, nowMs: number): ApprovalState {
  if ((stored === "pending" || stored === "approved") && nowMs >= expiresAtMs) return "expired";
  return stored;
}

/**
 * What `check` answers for the latest record of a call at `nowMs`, before any consumption:
 * approved and unexpired → consume; pending → pending, or expired once past its expiry;
 * denied → denied until its expiry, then nothing (a new request may be made); used → nothing.
 * A denial or an expiry already reported answers nothing: the next call asks again.
 */
export function classifyForCheck(stored: ApprovalState, expiresAtMs: number, nowMs: number, reported = false): "consume" | "pending" | "denied" | "expired" | "none" {
  const live = nowMs < expiresAtMs;
  switch (stored) {
    case "approved":
      return live ? "consume" : reported ? "none" : "expired";
    case "pending":
      return live ? "pending" : reported ? "none" : "expired";
    case "denied":
      return live && !reported ? "denied" : "none";
    case "expired":
      return reported ? "none" : "expired";
    case "used":
      return "none";
  }
}

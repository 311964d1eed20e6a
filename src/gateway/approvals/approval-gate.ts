/**
 * The approval step of a `tools/call` (step 7 of docs/architecture.md#decision-order), shared by every gateway connection
 * of one process. A call that needs approval is looked up in the `ApprovalStore` by its identity
 * (grant, tool, SHA-256 of the canonical arguments, policy version):
 * - an approved approval is consumed atomically and the call passes (exactly once);
 * - a denied one answers `approval_denied` and an expired one `approval_expired`, once each;
 *   the next identical call asks again;
 * - otherwise a pending approval is recorded (or the live one reused) and the call is answered
 *   `approval_required` at once (`async` mode), or held open until a human decides, the approval
 *   expires or `holdTimeoutMs` passes (`hold` mode; a timed-out call is answered
 *   `approval_required` and its approval stays pending).
 * Every step is audited as an `approval` line. Humans decide through `decide` (the admin API);
 * a held call wakes at once on a decision made in this process and polls the store every
 * `pollMs` for decisions made elsewhere (another replica sharing the Redis store).
 * Approvals never fail open: when the store fails the call is denied `store_unavailable`.
 */
import type { Clock, TimerHandle } from "../../core/clock.js";
import { GatewayError, messageOf } from "../../core/errors.js";
import type { ApprovalCall, ApprovalDecision, ApprovalRecord, ApprovalStore, DecideResult } from "../../stores/approval-store.js";
import type { ApprovalAuditRecord, ApprovalStep } from "./approval-audit.js";

export type ApprovalMode = "async" | "hold";

/** How long `hold` mode keeps a call open by default: below the 60 s request timeout of MCP SDK clients. */
export const DEFAULT_APPROVAL_HOLD_TIMEOUT_MS = 50_000;
/** How often a held call re-reads the store for decisions made in another process. */
export const DEFAULT_APPROVAL_POLL_MS = 1_000;

export interface ApprovalGateOptions {
  readonly store: ApprovalStore;
  readonly clock: Clock;
  /** `async` (default): answer `approval_required` at once; `hold`: keep the call open. */
  readonly mode?: ApprovalMode;
  readonly holdTimeoutMs?: number;
  readonly pollMs?: number;
  readonly audit?: (record: ApprovalAuditRecord) => void;
  readonly log?: (line: object) => void;
}

/** One call asking to pass the approval step. */
export interface ApprovalAsk extends ApprovalCall {
  readonly ttlMs: number;
  readonly decisionId: string;
  /** True once the caller cancelled the call or the connection went away (held calls give up). */
  readonly cancelled: () => boolean;
}

export type GateOutcome =
  | { readonly kind: "pass"; readonly record: ApprovalRecord }
  | { readonly kind: "deny"; readonly code: "approval_required" | "approval_denied" | "approval_expired"; readonly record: ApprovalRecord }
  | { readonly kind: "cancelled" };

/** Bound on store round trips for one held call (each waits at least a millisecond on the clock). */
const MAX_ROUNDS = 100_000;

export class ApprovalGate {
  readonly mode: ApprovalMode;
  readonly holdTimeoutMs: number;
  private readonly pollMs: number;
  private readonly waiters = new Map<string, Set<() => void>>();
  private closed = false;
  private pending = 0;
  private counting: Promise<void> | undefined;

  constructor(private readonly options: ApprovalGateOptions) {
    this.mode = options.mode ?? "async";
    this.holdTimeoutMs = options.holdTimeoutMs ?? DEFAULT_APPROVAL_HOLD_TIMEOUT_MS;
    this.pollMs = options.pollMs ?? DEFAULT_APPROVAL_POLL_MS;
  }

  get store(): ApprovalStore {
    return this.options.store;
  }

  /** The approval step for one call. Throws when the store fails (the caller denies `store_unavailable`). */
  async gate(ask: ApprovalAsk): Promise<GateOutcome> {
    const { store, clock } = this.options;
    const call: ApprovalCall = { grantId: ask.grantId, tool: ask.tool, argsDigest: ask.argsDigest, policyVersion: ask.policyVersion };
    const deadlineMs = this.mode === "hold" ? clock.nowMs() + this.holdTimeoutMs : undefined;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      if (ask.cancelled()) return { kind: "cancelled" };
      if (this.closed) throw new GatewayError("STORE_UNAVAILABLE", "the approval gate is closed (the gateway is shutting down)");
      const checked = await store.check(call);
      let pending: ApprovalRecord;
      switch (checked.kind) {
        case "consumed":
          this.audit("consumed", checked.record, ask.decisionId);
          return { kind: "pass", record: checked.record };
        case "denied":
          return { kind: "deny", code: "approval_denied", record: checked.record };
        case "expired":
          this.audit("expired", checked.record, ask.decisionId);
          return { kind: "deny", code: "approval_expired", record: checked.record };
        case "pending":
          pending = checked.record;
          break;
        case "none": {
          const requested = await store.request({ ...call, ttlMs: ask.ttlMs });
          if (requested.created) this.audit("pending", requested.record, ask.decisionId);
          pending = requested.record;
          break;
        }
      }
      const nowMs = clock.nowMs();
      if (deadlineMs === undefined || nowMs >= deadlineMs) return { kind: "deny", code: "approval_required", record: pending };
      if (round === 0) this.options.log?.({ level: "info", event: "approval_hold", approvalId: pending.id, tool: ask.tool, decisionId: ask.decisionId, holdTimeoutMs: this.holdTimeoutMs });
      await this.wait(pending.id, Math.min(deadlineMs, Math.max(pending.expiresAtMs, nowMs + 1)));
      // Shutting down: answer the held call now; its approval stays pending for a retry.
      if (this.closed && !ask.cancelled()) return { kind: "deny", code: "approval_required", record: pending };
    }
    throw new Error(`approval step for \`${ask.tool}\` did not settle within ${MAX_ROUNDS} store round trips`);
  }

  /** A human's answer; wakes calls held on this approval. */
  async decide(id: string, decision: ApprovalDecision, decidedBy?: string, reason?: string): Promise<DecideResult> {
    const result = await this.options.store.decide(id, decision, decidedBy);
    if (result.ok) {
      this.audit(decision === "approved" ? "approved" : "denied", result.record, undefined, reason);
      this.wake(id);
    }
    return result;
  }

  /** Gives a consumed approval back when its call did not reach the server. Never throws. */
  async restore(id: string, decisionId: string): Promise<void> {
    try {
      const record = await this.options.store.restore(id);
      if (record !== undefined) this.audit("restored", record, decisionId);
    } catch (error) {
      this.options.log?.({ level: "error", event: "approval_restore_failed", approvalId: id, decisionId, message: messageOf(error) });
    }
  }

  list(): Promise<readonly ApprovalRecord[]> {
    return this.options.store.list();
  }

  get(id: string): Promise<ApprovalRecord | undefined> {
    return this.options.store.get(id);
  }

  /**
   * Approvals waiting for a human, as last counted (for the `/metrics` gauge, which is read
   * synchronously): each read starts a recount in the background, so the value lags by one read.
   */
  pendingCount(): number {
    if (this.counting === undefined && !this.closed) {
      this.counting = this.options.store
        .list()
        .then((records) => void (this.pending = records.filter((r) => r.state === "pending").length))
        .catch(() => undefined)
        .finally(() => (this.counting = undefined));
    }
    return this.pending;
  }

  /** Number of calls currently held open (hold mode). */
  heldCalls(): number {
    let n = 0;
    for (const set of this.waiters.values()) n += set.size;
    return n;
  }

  /**
   * Releases held calls (answered `approval_required`, their approvals stay pending) and refuses
   * new ones (`store_unavailable`); the store is closed by its owner.
   */
  close(): void {
    this.closed = true;
    for (const id of [...this.waiters.keys()]) this.wake(id);
  }

  /** Waits until `untilMs`, a decision on `id` in this process, or the next poll, whichever is first. */
  private wait(id: string, untilMs: number): Promise<void> {
    const { clock } = this.options;
    return new Promise((resolve) => {
      let timer: TimerHandle | undefined;
      const set = this.waiters.get(id) ?? new Set<() => void>();
      this.waiters.set(id, set);
      const done = (): void => {
        timer?.cancel();
        set.delete(done);
        if (set.size === 0 && this.waiters.get(id) === set) this.waiters.delete(id);
        resolve();
      };
      set.add(done);
      timer = clock.setTimer(done, Math.max(1, Math.min(this.pollMs, untilMs - clock.nowMs())));
    });
  }

  private wake(id: string): void {
    for (const done of [...(this.waiters.get(id) ?? [])]) done();
  }

  private audit(step: ApprovalStep, record: ApprovalRecord, decisionId: string | undefined, reason?: string): void {
    const sink = this.options.audit;
    if (!sink) return;
    sink({
      time: new Date(this.options.clock.nowMs()).toISOString(),
      event: "approval",
      step,
      approvalId: record.id,
      grant: record.grantId,
      tool: record.tool,
      argsSha256: record.argsDigest,
      policyVersion: record.policyVersion,
      expiresAt: new Date(record.expiresAtMs).toISOString(),
      ...(decisionId === undefined ? {} : { decisionId }),
      ...(record.decidedBy === undefined || (step !== "approved" && step !== "denied") ? {} : { decidedBy: record.decidedBy }),
      ...(reason === undefined ? {} : { reason }),
    });
  }
}

/**
 * Approvals in process memory (the default with the memory counter store). Every method checks and
 * updates without an `await` in between, so two concurrent identical calls cannot both consume one
 * approval. Records are swept `retentionMs` after they expired or were used.
 */
import { type Clock, randomHex } from "../core/clock.js";
import { GatewayError } from "../core/errors.js";
import {
  type ApprovalCall,
  type ApprovalCheck,
  type ApprovalDecision,
  type ApprovalRecord,
  type ApprovalRequest,
  type ApprovalRequested,
  type ApprovalStore,
  classifyForCheck,
  DEFAULT_APPROVAL_RETENTION_MS,
  type DecideResult,
  effectiveState,
} from "./approval-store.js";

type Stored = { -readonly [K in keyof ApprovalRecord]: ApprovalRecord[K] };

export class MemoryApprovalStore implements ApprovalStore {
  private readonly clock: Clock;
  private readonly retentionMs: number;
  private readonly newId: () => string;
  private readonly byId = new Map<string, Stored>();
  /** Call key → id of the latest approval asked for that call. */
  private readonly latest = new Map<string, string>();
  private closed = false;

  constructor(options: { clock: Clock; retentionMs?: number; newId?: () => string }) {
    this.clock = options.clock;
    this.retentionMs = options.retentionMs ?? DEFAULT_APPROVAL_RETENTION_MS;
    this.newId = options.newId ?? (() => `apr_${randomHex(8)}`);
  }

  async check(call: ApprovalCall): Promise<ApprovalCheck> {
    const nowMs = this.open();
    const id = this.latest.get(callKey(call));
    const stored = id === undefined ? undefined : this.byId.get(id);
    if (stored === undefined) return { kind: "none" };
    const kind = classifyForCheck(stored.state, stored.expiresAtMs, nowMs, stored.reportedAtMs !== undefined);
    switch (kind) {
      case "consume":
        stored.state = "used";
        stored.usedAtMs = nowMs;
        return { kind: "consumed", record: view(stored, nowMs) };
      case "none":
        return { kind: "none" };
      case "denied":
      case "expired":
        stored.reportedAtMs = nowMs;
        return { kind, record: view(stored, nowMs) };
      case "pending":
        return { kind, record: view(stored, nowMs) };
    }
  }

  async request(request: ApprovalRequest): Promise<ApprovalRequested> {
    const nowMs = this.open();
    const key = callKey(request);
    const existingId = this.latest.get(key);
    const existing = existingId === undefined ? undefined : this.byId.get(existingId);
    if (existing !== undefined && existing.state === "pending" && nowMs < existing.expiresAtMs) return { record: view(existing, nowMs), created: false };
    const stored: Stored = {
      id: this.newId(),
      grantId: request.grantId,
      tool: request.tool,
      argsDigest: request.argsDigest,
      policyVersion: request.policyVersion,
      state: "pending",
      createdAtMs: nowMs,
      expiresAtMs: nowMs + request.ttlMs,
    };
    this.byId.set(stored.id, stored);
    this.latest.set(key, stored.id);
    return { record: view(stored, nowMs), created: true };
  }

  async restore(id: string): Promise<ApprovalRecord | undefined> {
    const nowMs = this.open();
    const stored = this.byId.get(id);
    if (stored === undefined || stored.state !== "used" || nowMs >= stored.expiresAtMs) return undefined;
    stored.state = "approved";
    delete stored.usedAtMs;
    return view(stored, nowMs);
  }

  async decide(id: string, decision: ApprovalDecision, decidedBy?: string): Promise<DecideResult> {
    const nowMs = this.open();
    const stored = this.byId.get(id);
    if (stored === undefined) return { ok: false, reason: "unknown" };
    const state = effectiveState(stored.state, stored.expiresAtMs, nowMs);
    if (state === "expired") return { ok: false, reason: "expired", record: view(stored, nowMs) };
    if (state !== "pending") return { ok: false, reason: "decided", record: view(stored, nowMs) };
    stored.state = decision;
    stored.decidedAtMs = nowMs;
    if (decidedBy !== undefined) stored.decidedBy = decidedBy;
    return { ok: true, record: view(stored, nowMs) };
  }

  async get(id: string): Promise<ApprovalRecord | undefined> {
    const nowMs = this.open();
    const stored = this.byId.get(id);
    return stored === undefined ? undefined : view(stored, nowMs);
  }

  async list(): Promise<readonly ApprovalRecord[]> {
    const nowMs = this.open();
    return [...this.byId.values()].map((s) => view(s, nowMs)).sort((a, b) => b.createdAtMs - a.createdAtMs || (a.id < b.id ? 1 : -1));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.byId.clear();
    this.latest.clear();
  }

  /** Throws when closed; sweeps; returns now. */
  private open(): number {
    if (this.closed) throw new GatewayError("STORE_UNAVAILABLE", "the memory approval store is closed");
    const nowMs = this.clock.nowMs();
    for (const [id, stored] of this.byId) {
      if (Math.max(stored.expiresAtMs, stored.usedAtMs ?? 0) + this.retentionMs > nowMs) continue;
      this.byId.delete(id);
      const key = callKey(stored);
      if (this.latest.get(key) === id) this.latest.delete(key);
    }
    return nowMs;
  }
}

function callKey(call: ApprovalCall): string {
  return JSON.stringify([call.grantId, call.tool, call.argsDigest, call.policyVersion]);
}

function view(stored: Stored, nowMs: number): ApprovalRecord {
  return { ...stored, state: effectiveState(stored.state, stored.expiresAtMs, nowMs) };
}

/**
 * Approvals shared by gateway replicas through Redis: one atomic script per operation, so an
 * approval passes exactly once even when identical calls reach several replicas at the same time.
 * Time comes from Redis `TIME` (like the counters). Key layout in `redis/approval-scripts.ts`.
 * Failures surface as `GatewayError("STORE_UNAVAILABLE")`, like the Redis counter store.
 */
import { randomHex } from "../core/clock.js";
import {
  APPROVAL_STATES,
  type ApprovalCall,
  type ApprovalCheck,
  type ApprovalDecision,
  type ApprovalRecord,
  type ApprovalRequest,
  type ApprovalRequested,
  type ApprovalState,
  type ApprovalStore,
  DEFAULT_APPROVAL_RETENTION_MS,
  type DecideResult,
} from "./approval-store.js";
import { CHECK_LUA, DECIDE_LUA, GET_LUA, LIST_LUA, REQUEST_LUA, RESTORE_LUA } from "./redis/approval-scripts.js";
import { hashTag, RedisConnection, type RedisConnectionOptions } from "./redis/connection.js";

export interface RedisApprovalStoreOptions extends RedisConnectionOptions {
  /** Prepended to every key; default `toolgate:`. */
  readonly keyPrefix?: string;
  /** How long records stay listable after they expired; default one day. */
  readonly retentionMs?: number;
  readonly newId?: () => string;
  /** TEST SEAM, never set by the gateway: see `RedisCounterStoreOptions.timeSource`. */
  readonly timeSource?: "redis" | { nowMs(): number };
}

const SCRIPTS = {
  toolgateApprovalCheck: CHECK_LUA,
  toolgateApprovalRequest: REQUEST_LUA,
  toolgateApprovalDecide: DECIDE_LUA,
  toolgateApprovalGet: GET_LUA,
  toolgateApprovalRestore: RESTORE_LUA,
  toolgateApprovalList: LIST_LUA,
} as const;


interface ScriptReply {
  readonly kind: string;
  readonly record?: Record<string, string>;
}

export class RedisApprovalStore implements ApprovalStore {
  private constructor(
    private readonly connection: RedisConnection,
    private readonly base: string,
    private readonly retentionMs: number,
    private readonly newId: () => string,
    private readonly timeSource: "redis" | { nowMs(): number },
  ) {}

  static async connect(options: RedisApprovalStoreOptions): Promise<RedisApprovalStore> {
    const base = `${hashTag(options.keyPrefix ?? "toolgate:", "approvals", "redis approval store")}:`;
    const connection = await RedisConnection.open(options, "redis approval store", SCRIPTS);
    return new RedisApprovalStore(
      connection,
      base,
      options.retentionMs ?? DEFAULT_APPROVAL_RETENTION_MS,
      options.newId ?? (() => `apr_${randomHex(8)}`),
      options.timeSource ?? "redis",
    );
  }

  async check(call: ApprovalCall): Promise<ApprovalCheck> {
    const reply = await this.run("check an approval", "toolgateApprovalCheck", [this.callKey(call)], [this.base + "id:"]);
    switch (reply.kind) {
      case "none":
        return { kind: "none" };
      case "consumed":
      case "pending":
      case "denied":
      case "expired":
        return { kind: reply.kind, record: this.record(reply, "check an approval") };
      default:
        throw this.connection.badReply("check an approval", reply);
    }
  }

  async request(request: ApprovalRequest): Promise<ApprovalRequested> {
    const args = [this.base + "id:", this.newId(), request.grantId, request.tool, request.argsDigest, request.policyVersion, String(request.ttlMs), String(this.retentionMs)];
    const reply = await this.run("record an approval", "toolgateApprovalRequest", [this.callKey(request), this.base + "index"], args);
    if (reply.kind !== "created" && reply.kind !== "existing") throw this.connection.badReply("record an approval", reply);
    return { record: this.record(reply, "record an approval"), created: reply.kind === "created" };
  }

  async restore(id: string): Promise<ApprovalRecord | undefined> {
    const reply = await this.run("restore an approval", "toolgateApprovalRestore", [this.idKey(id)], []);
    switch (reply.kind) {
      case "restored":
        return this.record(reply, "restore an approval");
      case "unchanged":
      case "unknown":
        return undefined;
      default:
        throw this.connection.badReply("restore an approval", reply);
    }
  }

  async decide(id: string, decision: ApprovalDecision, decidedBy?: string): Promise<DecideResult> {
    const reply = await this.run("decide an approval", "toolgateApprovalDecide", [this.idKey(id)], [decision, decidedBy ?? ""]);
    switch (reply.kind) {
      case "decided":
        return { ok: true, record: this.record(reply, "decide an approval") };
      case "unknown":
        return { ok: false, reason: "unknown" };
      case "expired":
        return { ok: false, reason: "expired", record: this.record(reply, "decide an approval") };
      case "already":
        return { ok: false, reason: "decided", record: this.record(reply, "decide an approval") };
      default:
        throw this.connection.badReply("decide an approval", reply);
    }
  }

  async get(id: string): Promise<ApprovalRecord | undefined> {
    const reply = await this.run("read an approval", "toolgateApprovalGet", [this.idKey(id)], []);
    return reply.kind === "unknown" ? undefined : this.record(reply, "read an approval");
  }

  async list(): Promise<readonly ApprovalRecord[]> {
    const [, ...records] = await this.connection.script("list approvals", "toolgateApprovalList", [this.base + "index"], [this.nowArg(), this.base + "id:"]);
    return records.map((text) => this.record({ kind: "found", record: parseJson(text) as Record<string, string> }, "list approvals"));
  }

  async close(): Promise<void> {
    await this.connection.close();
  }

  private idKey(id: string): string {
    return `${this.base}id:${id}`;
  }

  private callKey(call: ApprovalCall): string {
    return `${this.base}call:${JSON.stringify([call.grantId, call.tool, call.argsDigest, call.policyVersion])}`;
  }

  private nowArg(): string {
    return this.timeSource === "redis" ? "" : String(this.timeSource.nowMs());
  }

  private async run(what: string, script: string, keys: readonly string[], args: readonly string[]): Promise<ScriptReply> {
    const reply = await this.connection.script(what, script, keys, [this.nowArg(), ...args]);
    const parsed = reply.length === 1 ? parseJson(reply[0]!) : undefined;
    if (typeof parsed !== "object" || parsed === null || typeof (parsed as ScriptReply).kind !== "string") throw this.connection.badReply(what, reply);
    return parsed as ScriptReply;
  }

  private record(reply: ScriptReply, what: string): ApprovalRecord {
    const r = reply.record;
    const state = r?.state as ApprovalState | undefined;
    if (r === undefined || state === undefined || !(APPROVAL_STATES as readonly string[]).includes(state) || r.id === undefined) throw this.connection.badReply(what, reply);
    const number = (name: string): number | undefined => (r[name] === undefined ? undefined : Number(r[name]));
    return {
      id: r.id,
      grantId: r.grantId ?? "",
      tool: r.tool ?? "",
      argsDigest: r.argsDigest ?? "",
      policyVersion: r.policyVersion ?? "",
      state,
      createdAtMs: number("createdAtMs") ?? Number.NaN,
      expiresAtMs: number("expiresAtMs") ?? Number.NaN,
      ...(r.decidedAtMs === undefined ? {} : { decidedAtMs: number("decidedAtMs")! }),
      ...(r.decidedBy === undefined ? {} : { decidedBy: r.decidedBy }),
      ...(r.usedAtMs === undefined ? {} : { usedAtMs: number("usedAtMs")! }),
      ...(r.reportedAtMs === undefined ? {} : { reportedAtMs: number("reportedAtMs")! }),
    };
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * What `toolgate serve` needs around approvals, in one place: the stores (`--store memory` keeps
 * counters and approvals in process memory; `--store redis://…`, `redis-cluster://…` or
 * `redis-sentinel://…` keeps both in Redis, so replicas share them), the process's `ApprovalGate`, and the loopback admin API.
 *
 * A Redis that does not answer at start-up does not stop the gateway: it is logged, the stores keep
 * reconnecting in the background, and until Redis answers calls are denied `store_unavailable`
 * (`--store-fail closed`, the default) or let through by the counters (`--store-fail open`;
 * approvals never fail open).
 */
import type { Clock } from "../../core/clock.js";
import { GatewayError, messageOf } from "../../core/errors.js";
import type { ApprovalStore } from "../../stores/approval-store.js";
import type { CounterStore } from "../../stores/counter-store.js";
import { MemoryApprovalStore } from "../../stores/memory-approval-store.js";
import { MemoryCounterStore } from "../../stores/memory-counter-store.js";
import type { AuditLine } from "../audit-log.js";
import type { ReadinessReport } from "../readiness.js";
import { startAdminServer, type AdminServer } from "./admin-server.js";
import { ApprovalGate, type ApprovalMode } from "./approval-gate.js";

/** How long one Redis command may take before the store counts as unavailable (`--store-timeout-ms`). */
export const DEFAULT_STORE_TIMEOUT_MS = 1_000;

export type StoreSpec = { readonly kind: "memory" } | { readonly kind: "redis"; readonly url: string; readonly commandTimeoutMs: number };

export interface ServeApprovalsOptions {
  readonly clock: Clock;
  readonly log: (line: object) => void;
  readonly store: StoreSpec;
  readonly mode: ApprovalMode;
  readonly holdTimeoutMs?: number;
  /** Approval lines go to the same audit JSONL as decision lines. */
  readonly audit: ((record: AuditLine) => void) | undefined;
  readonly admin?: { readonly host: string; readonly port: number; readonly token: string };
  /** What the admin API's `GET /ready` answers (the HTTP listener's checks). */
  readonly readiness?: () => Promise<ReadinessReport>;
}

export interface ServeApprovals {
  readonly counters: CounterStore;
  /** The approval store behind the gate (for readiness). */
  readonly approvals: ApprovalStore;
  readonly gate: ApprovalGate;
  readonly admin: AdminServer | undefined;
  /** Stops the admin API, releases held calls and closes both stores. */
  close(): Promise<void>;
}

/** Throws `GatewayError` when the admin API cannot listen (port taken, not loopback). */
export async function startServeApprovals(options: ServeApprovalsOptions): Promise<ServeApprovals> {
  const { clock, log } = options;
  const stores = await openStores(options.store, clock, log);
  const gate = new ApprovalGate({
    store: stores.approvals,
    clock,
    mode: options.mode,
    ...(options.holdTimeoutMs === undefined ? {} : { holdTimeoutMs: options.holdTimeoutMs }),
    ...(options.audit === undefined ? {} : { audit: options.audit }),
    log,
  });
  let admin: AdminServer | undefined;
  if (options.admin) {
    try {
      admin = await startAdminServer({ gate, token: options.admin.token, host: options.admin.host, port: options.admin.port, log, ...(options.readiness ? { readiness: options.readiness } : {}) });
    } catch (error) {
      await stores.close();
      throw error instanceof GatewayError ? error : new GatewayError("USAGE", `the approvals admin API cannot listen on ${options.admin.host}:${options.admin.port}: ${messageOf(error)}`, { cause: error });
    }
    log({ level: "info", event: "admin_listening", url: admin.url, message: `approvals admin API on ${admin.url}` });
  }
  return {
    counters: stores.counters,
    approvals: stores.approvals,
    gate,
    admin,
    async close() {
      await admin?.close();
      gate.close();
      await stores.close();
    },
  };
}

async function openStores(spec: StoreSpec, clock: Clock, log: (line: object) => void): Promise<{ counters: CounterStore; approvals: ApprovalStore; close(): Promise<void> }> {
  if (spec.kind === "memory") {
    const counters = new MemoryCounterStore({ clock });
    const approvals = new MemoryApprovalStore({ clock });
    return { counters, approvals, close: async () => void (await Promise.all([counters.close(), approvals.close()])) };
  }
  // Loaded only when asked for: the Redis client costs tens of milliseconds of start-up.
  const [{ RedisCounterStore, redactUrl }, { RedisApprovalStore }] = await Promise.all([import("../../stores/redis-counter-store.js"), import("../../stores/redis-approval-store.js")]);
  const where = redactUrl(spec.url);
  const onError = (() => {
    let last = "";
    return (error: Error): void => {
      if (error.message === last) return; // a dead Redis repeats itself on every reconnect attempt
      last = error.message;
      log({ level: "warn", event: "store_connection_error", store: where, message: error.message });
    };
  })();
  const connect = async <T>(open: (wait: boolean) => Promise<T>, what: string): Promise<T> => {
    try {
      return await open(true);
    } catch (error) {
      log({ level: "error", event: "store_unavailable", store: where, message: `${messageOf(error)}; starting anyway: ${what} fail until Redis answers (reconnecting in the background)` });
      return open(false);
    }
  };
  const counters = await connect((wait) => RedisCounterStore.connect({ url: spec.url, commandTimeoutMs: spec.commandTimeoutMs, waitForConnection: wait, onError }), "counter reservations");
  const approvals = await connect((wait) => RedisApprovalStore.connect({ url: spec.url, commandTimeoutMs: spec.commandTimeoutMs, waitForConnection: wait, onError }), "approval checks");
  log({ level: "info", event: "store", store: where, message: `counters and approvals in Redis at ${where}` });
  return { counters, approvals, close: async () => void (await Promise.all([counters.close(), approvals.close()])) };
}

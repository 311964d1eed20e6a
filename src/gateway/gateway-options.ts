/** What a gateway connection is made of and how it behaves; `createGateway` in `gateway.ts` builds one. */
import type { Clock } from "../core/clock.js";
import type { JsonObject } from "../protocol/messages.js";
import type { Transport } from "../protocol/transport.js";
import type { CallerOf } from "./caller.js";
import type { CounterStore } from "../stores/counter-store.js";
import type { ApprovalGate } from "./approvals/approval-gate.js";
import type { AuditRecord } from "./audit-log.js";
import type { RecordingInput } from "./recording.js";
import type { CallTracer } from "./tracing/call-trace.js";
import type { UpstreamEra } from "./bridge/era-bridge.js";
import type { InFlightBudget } from "./in-flight-budget.js";
import type { ServerNaming } from "./server-naming.js";
import type { PolicySource } from "./policy-source.js";

export const DEFAULT_UPSTREAM_TIMEOUT_MS = 60_000;
/** Progress notifications extend a request's wait, but never past this many upstream timeouts. */
export const MAX_WAIT_TIMEOUTS = 10;
export const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

export interface GatewayOptions {
  /** Read on every decision, so a reload needs no call into the gateway (`policy-source.ts`). */
  readonly policies: PolicySource;
  readonly grantId?: string;
  /** The claims of the token this connection authenticated with (OAuth); policy conditions read them as `claims.…`. */
  readonly claims?: Readonly<Record<string, unknown>>;
  /**
   * The caller of the request now arriving (HTTP with OAuth: each request's own token), read once
   * per request; its claims win over `claims`, its policy key over the grant id, and the audit line
   * names its `sub` and `client_id`.
   */
  readonly callerOf?: CallerOf;
  /** Scope key for `scope: "session"`; default: a fresh id for this downstream connection. */
  readonly sessionKey?: string;
  readonly clock: Clock;
  readonly store: CounterStore;
  readonly upstream: Transport;
  readonly downstream: Transport;
  readonly audit?: (record: AuditRecord) => void;
  /** Traces of governed requests (OpenTelemetry when `OTEL_*` says so); default none, at no cost. */
  readonly tracer?: CallTracer;
  /** `--record`: every governed request with its argument values, for replay (`recording.ts`). */
  readonly record?: (input: RecordingInput) => void;
  /** How long a forwarded request may wait for its answer, on `clock` (default 60000). */
  readonly upstreamTimeoutMs?: number;
  /** Reported in the "message too large" error; the transport enforces it (default 4 MiB). */
  readonly maxMessageBytes?: number;
  readonly logger?: (line: object) => void;
  /** When the counter store throws: deny (`closed`, the default) or allow and log (`open`). */
  readonly storeFailMode?: "closed" | "open";
  /** Decide and audit, but forward every call and leave `tools/list` unfiltered. */
  readonly shadow?: boolean;
  /** Ask the person at the agent's client for an approval when the client can (`approvals/client-approval.ts`). Default false. */
  readonly approvalViaClient?: boolean;
  /** Pending approvals (step 7), shared by every connection of the process; see `approvals/approval-gate.ts`. */
  readonly approvals?: ApprovalGate;
  /** Several servers behind this connection: how exposed names map to (server, name). Default: one server, names unchanged. */
  readonly naming?: ServerNaming;
  /** Requests in flight per grant; pass one budget to every connection of a process so a grant's share spans them (default: this connection's own, 1000). */
  readonly budget?: InFlightBudget;
  /**
   * When the agent's side closes (stdin ends), first wait for the requests already in flight and
   * write their answers (each is bounded by its own deadline), then close. Needs a downstream that
   * can still write after its input ended (stdio with `writableOutlivesReadable`). Default false.
   */
  readonly drainOnDownstreamClose?: boolean;
  /** Translate between MCP eras when the agent's differs from the upstream's (default true; `bridge/era-bridge.ts`). */
  readonly bridgeEras?: boolean;
}

export interface GatewayClosed {
  readonly reason: string;
  readonly exitCode: number;
}

export interface Gateway {
  start(): Promise<void>;
  close(): Promise<void>;
  /** For a downstream that speaks 2026-07-28 with no handshake: the upstream's era, found by the era bridge for a caller with these `params`. */
  upstreamEra(params: JsonObject | undefined): Promise<UpstreamEra>;
  readonly closed: Promise<GatewayClosed>;
}


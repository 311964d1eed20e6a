/**
 * The gateway's side of the upstream connection: every request in flight (`in-flight.ts`), sent
 * under a gateway-owned id with its deadline, matched with its answer, cancelled or timed out —
 * and each ending handed to the gateway's one settlement (`settle`), exactly once. The gateway's
 * own requests (a `tools/list` page for the argument schemas) go the same way.
 */
import type { Clock } from "../core/clock.js";
import { messageOf } from "../core/errors.js";
import { eraMeta } from "../protocol/eras.js";
import { isErrorResponse, isJsonObject, type JsonObject, type JsonRpcId, type JsonRpcMessage, type JsonRpcNotification, type JsonRpcRequest, type JsonRpcResponse } from "../protocol/messages.js";
import type { Transport } from "../protocol/transport.js";
import { InFlightRequests, type AdmitRefusal, type InFlight } from "./in-flight.js";
import type { Ending } from "./settlement.js";

/** The gateway's own request: resolved with the upstream's answer (or a failure built like one). */
export interface OwnRequest {
  readonly kind: "own";
  readonly resolve: (response: JsonRpcResponse) => void;
}

export interface UpstreamExchangeOptions<Request> {
  readonly upstream: Transport;
  readonly clock: Clock;
  readonly timeoutMs: number;
  readonly maxTimeouts: number;
  readonly log: (line: object) => void;
  readonly budget?: { take(): boolean; release(): void };
  /** Ends a request that has left the registry. */
  readonly settle: (entry: InFlight<Request | OwnRequest>, ending: Ending) => void;
}

export class UpstreamExchange<Request> {
  private readonly inFlight: InFlightRequests<Request | OwnRequest>;
  private gone = false;

  constructor(private readonly o: UpstreamExchangeOptions<Request>) {
    this.inFlight = new InFlightRequests({ clock: o.clock, timeoutMs: o.timeoutMs, maxTimeouts: o.maxTimeouts, onTimeout: (entry) => this.timedOut(entry), ...(o.budget ? { budget: o.budget } : {}) });
  }

  /** True once the upstream connection has closed. */
  get isGone(): boolean {
    return this.gone;
  }

  /** Registers an agent's request on arrival, or says why not (`duplicate` id, grant `busy`). */
  admit(callerId: JsonRpcId, method: string, request: Request): InFlight<Request | OwnRequest> | AdmitRefusal {
    return this.inFlight.admit(callerId, method, request);
  }

  ofCaller(callerId: JsonRpcId): InFlight<Request | OwnRequest> | undefined {
    return this.inFlight.ofCaller(callerId);
  }

  /** Takes a request out of the registry without an ending (it was settled before being sent); false when it had left. */
  close(entry: InFlight<Request | OwnRequest>): boolean {
    return this.inFlight.close(entry);
  }

  /** Sends an admitted request upstream under a gateway-owned id; its deadline starts now. */
  forward(entry: InFlight<Request | OwnRequest>, request: JsonRpcRequest): void {
    if (this.gone) {
      if (this.inFlight.close(entry)) this.o.settle(entry, { kind: "failed", failure: "upstream_closed", sent: false });
      return;
    }
    const token = isJsonObject(request.params) && isJsonObject(request.params._meta) ? request.params._meta.progressToken : undefined;
    const upstreamId = this.inFlight.forward(entry, typeof token === "string" || typeof token === "number" ? token : undefined);
    this.deliver({ ...request, id: upstreamId }).catch((error: unknown) => {
      const reason = messageOf(error);
      this.o.log({ level: "error", event: "upstream_send_failed", method: request.method, message: reason });
      if (this.inFlight.close(entry)) this.o.settle(entry, { kind: "failed", failure: "upstream_unreachable", sent: false, reason });
    });
  }

  /**
   * The agent cancelled a request: one still being decided just leaves the registry (its decision
   * sees it closed); a forwarded one is settled as cancelled and the cancellation goes upstream.
   */
  cancel(callerId: JsonRpcId, notification: JsonRpcNotification & { params: JsonObject }): void {
    const entry = this.inFlight.ofCaller(callerId);
    if (entry === undefined || !this.inFlight.close(entry) || entry.phase === "deciding") return;
    this.o.settle(entry, CANCELLED);
    this.send({ ...notification, params: { ...notification.params, requestId: entry.upstreamId! } });
  }

  /** An answer from the upstream: settles the request it names, or is logged and dropped. */
  answered(response: JsonRpcResponse): void {
    const entry = this.inFlight.ofUpstream(response.id ?? null);
    if (entry === undefined || !this.inFlight.close(entry)) {
      this.o.log({ level: "warn", event: "unknown_response_id", side: "upstream", id: response.id, message: "dropped a response whose id answers no pending request" });
      return;
    }
    this.o.settle(entry, { kind: "answered", response });
  }

  /** Requests in the registry (the agent's and the gateway's own). */
  get size(): number {
    return this.inFlight.size;
  }

  /** Resolves once no request is in flight (each ends by its answer or its deadline). */
  idle(): Promise<void> {
    return this.inFlight.idle();
  }

  /** Progress proves the upstream is alive: the request's wait starts again. */
  progressed(token: string | number): void {
    this.inFlight.progressed(token);
  }

  rememberServerRequest(id: JsonRpcId): void {
    this.inFlight.rememberServerRequest(id);
  }

  answerServerRequest(id: JsonRpcId | null): boolean {
    return this.inFlight.answerServerRequest(id);
  }

  /** One page of the upstream's `tools/list`, asked by the gateway itself, with the caller's era fields. */
  listTools(cursor: string | undefined, callerMeta: JsonObject | undefined): Promise<JsonObject> {
    return new Promise((resolve, reject) => {
      const params: JsonObject = {};
      if (cursor !== undefined) params.cursor = cursor;
      const era = eraMeta(callerMeta === undefined ? undefined : { _meta: callerMeta });
      if (era) params._meta = era;
      const own: OwnRequest = {
        kind: "own",
        resolve: (response) => (isErrorResponse(response) ? reject(new Error(`tools/list failed: ${response.error.message}`)) : resolve(response.result)),
      };
      this.forward(this.inFlight.admit(undefined, "tools/list", own) as InFlight<Request | OwnRequest>, { jsonrpc: "2.0", id: 0, method: "tools/list", params });
    });
  }

  send(message: JsonRpcMessage): void {
    if (this.gone) return;
    this.deliver(message).catch((error: unknown) => {
      this.o.log({ level: "warn", event: "upstream_send_failed", message: messageOf(error) });
    });
  }

  /** The upstream closed: every forwarded request ends with `ending`; returns how many there were. */
  closed(ending: Ending): number {
    if (this.gone) return 0;
    this.gone = true;
    let pending = 0;
    for (const entry of this.inFlight.all()) {
      if (entry.phase !== "forwarded" || !this.inFlight.close(entry)) continue;
      pending++;
      this.o.settle(entry, ending);
    }
    return pending;
  }

  /** Requests still being decided leave the registry (the connection is closing); their decisions see it. */
  abandonDeciding(): void {
    for (const entry of this.inFlight.all()) if (entry.phase === "deciding") this.inFlight.close(entry);
  }

  /** The transport's send, with a synchronous throw turned into a rejection (one failure path, one answer). */
  private deliver(message: JsonRpcMessage): Promise<void> {
    try {
      return this.o.upstream.send(message);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private timedOut(entry: InFlight<Request | OwnRequest>): void {
    const { timeoutMs } = this.o;
    this.o.log({ level: "error", event: "upstream_timeout", method: entry.method, timeoutMs, message: `the upstream did not answer \`${entry.method}\` within ${timeoutMs} ms` });
    this.send({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: entry.upstreamId!, reason: "toolgate: upstream timeout" } });
    this.o.settle(entry, { kind: "failed", failure: "upstream_timeout", sent: true });
  }
}

const CANCELLED: Ending = { kind: "cancelled" };

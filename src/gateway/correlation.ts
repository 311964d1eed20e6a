/**
 * Request correlation between the downstream (the agent) and the upstream (the MCP server).
 * Every request the gateway sends upstream carries a gateway-owned numeric id, so the agent's ids
 * and the gateway's own requests can never collide; the answer is mapped back to the caller's id.
 * Server-to-client requests keep their ids (the gateway originates none towards the agent); their
 * ids are remembered only to tell a genuine answer from a stray one.
 */
import type { TimerHandle } from "../core/clock.js";
import type { JsonRpcId, JsonRpcResponse } from "../protocol/messages.js";

export interface PendingUpstream<Extra> {
  readonly upstreamId: number;
  /** The caller's id, or undefined for the gateway's own requests. */
  readonly callerId: JsonRpcId | undefined;
  readonly method: string;
  timer: TimerHandle | undefined;
  readonly progressToken: string | number | undefined;
  readonly extra: Extra;
}

/** Bound on remembered server-to-client request ids; the oldest are forgotten first. */
export const MAX_SERVER_REQUESTS = 10_000;

export class Correlation<Extra> {
  private nextId = 1;
  private readonly byUpstreamId = new Map<number, PendingUpstream<Extra>>();
  private readonly byCallerId = new Map<JsonRpcId, number>();
  private readonly byProgressToken = new Map<string | number, number>();
  private readonly serverRequests = new Set<JsonRpcId>();

  /** Registers a request going upstream and returns its gateway-owned id. */
  open(callerId: JsonRpcId | undefined, method: string, progressToken: string | number | undefined, extra: Extra): PendingUpstream<Extra> {
    const upstreamId = this.nextId++;
    const pending: PendingUpstream<Extra> = { upstreamId, callerId, method, timer: undefined, progressToken, extra };
    this.byUpstreamId.set(upstreamId, pending);
    if (callerId !== undefined) this.byCallerId.set(callerId, upstreamId);
    if (progressToken !== undefined) this.byProgressToken.set(progressToken, upstreamId);
    return pending;
  }

  /** Removes and returns the pending request an upstream response answers (undefined: unknown id). */
  settle(response: JsonRpcResponse): PendingUpstream<Extra> | undefined {
    const id = response.id;
    return typeof id === "number" ? this.take(id) : undefined;
  }

  take(upstreamId: number): PendingUpstream<Extra> | undefined {
    const pending = this.byUpstreamId.get(upstreamId);
    if (!pending) return undefined;
    this.byUpstreamId.delete(upstreamId);
    pending.timer?.cancel();
    if (pending.callerId !== undefined && this.byCallerId.get(pending.callerId) === upstreamId) this.byCallerId.delete(pending.callerId);
    if (pending.progressToken !== undefined && this.byProgressToken.get(pending.progressToken) === upstreamId) this.byProgressToken.delete(pending.progressToken);
    return pending;
  }

  /** The gateway-owned id of a caller's in-flight request (for `notifications/cancelled`). */
  upstreamIdOf(callerId: JsonRpcId): number | undefined {
    return this.byCallerId.get(callerId);
  }

  byProgress(token: string | number): PendingUpstream<Extra> | undefined {
    const id = this.byProgressToken.get(token);
    return id === undefined ? undefined : this.byUpstreamId.get(id);
  }

  /** Removes every pending request (the upstream is gone). */
  drain(): PendingUpstream<Extra>[] {
    const all = [...this.byUpstreamId.values()];
    for (const pending of all) this.take(pending.upstreamId);
    return all;
  }

  get size(): number {
    return this.byUpstreamId.size;
  }

  rememberServerRequest(id: JsonRpcId): void {
    if (this.serverRequests.size >= MAX_SERVER_REQUESTS) {
      const oldest = this.serverRequests.values().next();
      if (!oldest.done) this.serverRequests.delete(oldest.value);
    }
    this.serverRequests.add(id);
  }

  /** True (and forgotten) when `id` answers a server-to-client request still open. */
  answerServerRequest(id: JsonRpcId | null): boolean {
    return id !== null && this.serverRequests.delete(id);
  }
}

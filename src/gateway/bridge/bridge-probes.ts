/**
 * The era bridge's own requests to the upstream (the detection handshakes): ids of their own
 * (`toolgate-bridge:N`, never an agent's, and their answers never reach the agent), one timeout
 * each on the clock, and an error answer instead of a wait when the connection closes.
 */
import type { Clock, TimerHandle } from "../../core/clock.js";
import { messageOf } from "../../core/errors.js";
import type { JsonObject, JsonRpcId, JsonRpcResponse } from "../../protocol/messages.js";
import type { Transport } from "../../protocol/transport.js";
import { errorResponse, INTERNAL_ERROR } from "../../protocol/wire-errors.js";

const PROBE_PREFIX = "toolgate-bridge:";

export interface BridgeProbesOptions {
  readonly upstream: Transport;
  readonly clock: Clock;
  /** How long one probe may wait for the upstream's answer. */
  readonly timeoutMs: number;
}

export class BridgeProbes {
  private readonly waiting = new Map<string, (answer: JsonRpcResponse) => void>();
  private next = 1;
  private closed = false;

  constructor(private readonly o: BridgeProbesOptions) {}

  /** True for an id of the bridge's own (an answer with it is taken here, known or not). */
  static owns(id: JsonRpcId | null | undefined): id is string {
    return typeof id === "string" && id.startsWith(PROBE_PREFIX);
  }

  /** Sends one request of the bridge's own and resolves with its answer (an error answer on timeout or close). */
  ask(method: string, params: JsonObject | undefined): Promise<JsonRpcResponse> {
    const id = `${PROBE_PREFIX}${this.next++}`;
    return new Promise((resolve) => {
      if (this.closed) return resolve(errorResponse(id, INTERNAL_ERROR, "the upstream connection closed") as JsonRpcResponse);
      let timer: TimerHandle | undefined;
      const settle = (answer: JsonRpcResponse): void => {
        timer?.cancel();
        resolve(answer);
      };
      this.waiting.set(id, settle);
      timer = this.o.clock.setTimer(() => {
        if (this.waiting.delete(id)) resolve(errorResponse(id, INTERNAL_ERROR, `the upstream did not answer \`${method}\` within ${this.o.timeoutMs} ms`) as JsonRpcResponse);
      }, this.o.timeoutMs);
      const request = params === undefined ? { jsonrpc: "2.0" as const, id, method } : { jsonrpc: "2.0" as const, id, method, params };
      this.o.upstream.send(request).catch((error: unknown) => {
        if (this.waiting.delete(id)) settle(errorResponse(id, INTERNAL_ERROR, `cannot send \`${method}\` upstream: ${messageOf(error)}`) as JsonRpcResponse);
      });
    });
  }

  /** The upstream's answer to probe `id`; an answer for a probe no longer waiting is dropped. */
  answer(id: string, answer: JsonRpcResponse): void {
    const resolve = this.waiting.get(id);
    if (!resolve) return;
    this.waiting.delete(id);
    resolve(answer);
  }

  /** Every waiting probe gets an error answer now. */
  failAll(reason: string): void {
    const open = [...this.waiting];
    this.waiting.clear();
    for (const [id, resolve] of open) resolve(errorResponse(id, INTERNAL_ERROR, reason) as JsonRpcResponse);
  }

  /** Fails the waiting probes; later ones are answered at once with an error. */
  close(reason: string): void {
    this.closed = true;
    this.failAll(reason);
  }
}

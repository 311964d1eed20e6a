/**
 * Requests the gateway itself sends to the agent's client (today: the approval form of
 * `--approval-via-client`), under ids of its own (`toolgate:N`) that cannot be mistaken for the
 * upstream's server-to-client requests, each answered once or given up after its timeout.
 */
import type { Clock, TimerHandle } from "../core/clock.js";
import type { JsonObject, JsonRpcId, JsonRpcMessage, JsonRpcResponse } from "../protocol/messages.js";

const PREFIX = "toolgate:";

export class ClientRequests {
  private next = 1;
  private readonly waiting = new Map<JsonRpcId, { resolve: (answer: JsonRpcResponse | undefined) => void; timer: TimerHandle }>();

  constructor(
    private readonly clock: Clock,
    private readonly send: (message: JsonRpcMessage) => void,
  ) {}

  /** Sends `method` to the client; resolves with its answer, or undefined after `timeoutMs` (or when closed). */
  ask(method: string, params: JsonObject, timeoutMs: number): Promise<JsonRpcResponse | undefined> {
    const id = `${PREFIX}${this.next++}`;
    return new Promise((resolve) => {
      const timer = this.clock.setTimer(() => this.finish(id, undefined), timeoutMs);
      this.waiting.set(id, { resolve, timer });
      this.send({ jsonrpc: "2.0", id, method, params });
    });
  }

  /** True (and the waiting request answered) when `response` answers one of the gateway's own requests. */
  answered(response: JsonRpcResponse): boolean {
    const id = response.id;
    if (typeof id !== "string" || !id.startsWith(PREFIX) || !this.waiting.has(id)) return false;
    this.finish(id, response);
    return true;
  }

  /** Gives up every waiting request (the connection is closing). */
  close(): void {
    for (const id of [...this.waiting.keys()]) this.finish(id, undefined);
  }

  private finish(id: JsonRpcId, answer: JsonRpcResponse | undefined): void {
    const waiting = this.waiting.get(id);
    if (!waiting) return;
    this.waiting.delete(id);
    waiting.timer.cancel();
    waiting.resolve(answer);
  }
}

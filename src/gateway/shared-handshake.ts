/**
 * The handshake of an upstream connection shared by several lanes (`shared-upstream.ts`): the
 * first lane's `initialize` goes upstream with the client's capabilities emptied (the server may
 * not ask the client anything: it has no one to ask), its successful result is kept and every
 * later lane's `initialize` is answered with it; `notifications/initialized` goes up once. Lanes
 * whose `initialize` arrives while one is upstream wait for its outcome. A refused (or unsent)
 * `initialize` is not kept: the next waiting lane sends its own.
 */
import { isJsonObject, type JsonObject, type JsonRpcRequest } from "../protocol/messages.js";
import type { Lane } from "./shared-lane.js";

/** A lane's `initialize` waiting for the one on its way upstream. */
export interface WaitingInitialize {
  readonly lane: Lane;
  readonly request: JsonRpcRequest;
}

/** What to do with a lane's `initialize`. */
export type HandshakeStep =
  /** Answer it with the upstream's kept result. */
  | { readonly kind: "answer"; readonly result: JsonObject }
  /** Hold it: another lane's `initialize` is upstream. */
  | { readonly kind: "wait" }
  /** Send it upstream, as `request` (the client's capabilities emptied). */
  | { readonly kind: "send"; readonly request: JsonRpcRequest };

const WAIT: HandshakeStep = { kind: "wait" };

export class SharedHandshake {
  /** The upstream's `initialize` result, once one succeeded. */
  private result: JsonObject | undefined;
  /** Defined while an `initialize` is on its way upstream: the lanes waiting for its outcome. */
  private waiting: WaitingInitialize[] | undefined;
  private initializedSent = false;

  open(lane: Lane, request: JsonRpcRequest): HandshakeStep {
    if (this.result !== undefined) return { kind: "answer", result: this.result };
    if (this.waiting !== undefined) {
      this.waiting.push({ lane, request });
      return WAIT;
    }
    this.waiting = [];
    return { kind: "send", request: { ...request, params: { ...(request.params ?? {}), capabilities: {} } } };
  }

  /** The upstream answered the `initialize` that went up with `result`; true when it succeeded and is kept. */
  answered(result: unknown): boolean {
    if (!isJsonObject(result) || typeof result.protocolVersion !== "string") return false;
    this.result = result;
    return true;
  }

  /** Ends the wait: the lanes that waited for the `initialize` that went up. */
  takeWaiting(): readonly WaitingInitialize[] {
    const waiting = this.waiting ?? [];
    this.waiting = undefined;
    return waiting;
  }

  /** True only the first time: `notifications/initialized` goes upstream once. */
  firstInitialized(): boolean {
    if (this.initializedSent) return false;
    this.initializedSent = true;
    return true;
  }
}

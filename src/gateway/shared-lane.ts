/**
 * A lane: one gateway's view of an upstream connection shared by several gateways
 * (`shared-upstream.ts`). It is a `Transport` of its own; what it sends goes to the connection,
 * which rewrites ids and progress tokens and routes the answers back to it.
 */
import type { JsonRpcId, JsonRpcMessage } from "../protocol/messages.js";
import type { Transport } from "../protocol/transport.js";

/** The shared connection as its lanes see it. */
export interface LaneHost {
  startFor(): Promise<void>;
  fromLane(lane: Lane, message: JsonRpcMessage): Promise<void>;
  setProtocolVersion(version: string): void;
  /** The lane's gateway closed it. */
  dropLane(lane: Lane): void;
}

export class Lane implements Transport {
  onmessage?: ((message: JsonRpcMessage) => void) | undefined;
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  /** This lane's request ids in flight → the connection's ids. */
  readonly upstreamIds = new Map<JsonRpcId, number>();
  private closed = false;

  constructor(private readonly shared: LaneHost) {}

  start(): Promise<void> {
    return this.shared.startFor();
  }

  send(message: JsonRpcMessage): Promise<void> {
    return this.shared.fromLane(this, message);
  }

  setProtocolVersion(version: string): void {
    this.shared.setProtocolVersion(version);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.shared.dropLane(this);
    this.onclose?.();
  }
}

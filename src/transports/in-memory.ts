/**
 * Two linked in-memory transports: what one sends, the other receives on a later microtask (so
 * virtual-clock tests can settle). Messages are passed by reference, as the SDK's
 * `InMemoryTransport` does; the gateway never mutates a message it received.
 */
import type { JsonRpcMessage } from "../protocol/messages.js";
import type { Transport } from "../protocol/transport.js";

export class InMemoryTransport implements Transport {
  onmessage?: ((message: JsonRpcMessage) => void) | undefined;
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;

  private other: InMemoryTransport | undefined;
  private queue: JsonRpcMessage[] = [];
  private started = false;
  private closed = false;

  static createLinkedPair(): [InMemoryTransport, InMemoryTransport] {
    const a = new InMemoryTransport();
    const b = new InMemoryTransport();
    a.other = b;
    b.other = a;
    return [a, b];
  }

  async start(): Promise<void> {
    this.started = true;
    const queued = this.queue;
    this.queue = [];
    for (const message of queued) this.onmessage?.(message);
  }

  async send(message: JsonRpcMessage): Promise<void> {
    const other = this.other;
    if (this.closed || !other || other.closed) throw new Error("in-memory transport closed");
    queueMicrotask(() => other.deliver(message));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const other = this.other;
    this.other = undefined;
    this.onclose?.();
    if (other) await other.close();
  }

  private deliver(message: JsonRpcMessage): void {
    if (this.closed) return;
    if (this.started) this.onmessage?.(message);
    else this.queue.push(message);
  }
}

export function createLinkedPair(): [InMemoryTransport, InMemoryTransport] {
  return InMemoryTransport.createLinkedPair();
}

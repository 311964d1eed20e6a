/**
 * Upstream connections opened ahead of need. A session's `initialize` would otherwise wait for a
 * child process to start (hundreds of ms for a Node server); the pool keeps `size` of them ready
 * and opens a replacement whenever one is taken. A connection that closed while waiting is
 * discarded, never handed out.
 */
import type { Transport } from "../../protocol/transport.js";

export interface UpstreamPoolOptions {
  readonly open: () => Transport;
  /** True when a waiting connection is still usable (e.g. its child has not exited). */
  readonly alive?: (transport: Transport) => boolean;
  readonly size: number;
}

export class UpstreamPool {
  private readonly ready: Transport[] = [];
  private closed = false;

  constructor(private readonly options: UpstreamPoolOptions) {
    this.refill();
  }

  take(): Transport {
    let transport: Transport | undefined;
    while ((transport = this.ready.shift()) !== undefined) {
      if (this.options.alive?.(transport) ?? true) break;
      void transport.close().catch(() => {});
    }
    this.refill();
    return transport ?? this.options.open();
  }

  /** Undefined when a live connection waits to be taken; else why none does. */
  notReady(): string | undefined {
    for (const t of this.ready.splice(0)) {
      if (this.options.alive?.(t) ?? true) this.ready.push(t);
      else void t.close().catch(() => {});
    }
    if (this.ready.length > 0) return undefined;
    this.refill();
    return "no upstream connection is ready (the upstream process exited; a new one is being started)";
  }

  async close(): Promise<void> {
    this.closed = true;
    const idle = this.ready.splice(0);
    await Promise.allSettled(idle.map((t) => t.close()));
  }

  private refill(): void {
    while (!this.closed && this.ready.length < this.options.size) this.ready.push(this.options.open());
  }
}

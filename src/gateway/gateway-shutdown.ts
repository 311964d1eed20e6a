/**
 * How one gateway connection ends, once: the host closes it (exit code 0), the agent closes its
 * input (0; with `drainOnDownstreamClose` the requests in flight are answered first), or the
 * upstream goes away under it (1: every pending request is answered with an error, and a
 * restarted server would have lost its sessions, so the agent's supervisor recovers). Requests
 * still in flight when the gateway itself closes are abandoned, not failed.
 */
import type { Transport } from "../protocol/transport.js";
import type { AgentRequest } from "./agent-request.js";
import type { ClientRequests } from "./client-requests.js";
import type { GatewayClosed } from "./gateway-options.js";
import type { Ending } from "./settlement.js";
import type { UpstreamExchange } from "./upstream-exchange.js";

export interface GatewayShutdownOptions {
  readonly exchange: UpstreamExchange<AgentRequest>;
  /** The upstream as the gateway sees it (the era bridge, or the connection itself). */
  readonly upstream: Transport;
  readonly downstream: Transport;
  readonly clientRequests: ClientRequests;
  readonly drainOnDownstreamClose: boolean;
  readonly log: (line: object) => void;
  /** From now on nothing more is sent to the agent. */
  readonly finish: () => void;
}

const ABANDONED: Ending = { kind: "abandoned" };
const UPSTREAM_CLOSED: Ending = { kind: "failed", failure: "upstream_closed", sent: true };

export class GatewayShutdown {
  readonly closed: Promise<GatewayClosed>;
  private resolveClosed!: (value: GatewayClosed) => void;
  private closing = false;

  constructor(private readonly o: GatewayShutdownOptions) {
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
  }

  /** The upstream connection closed: under the calls (the gateway shuts down), or because the gateway closes it. */
  upstreamClosed(): void {
    const { exchange } = this.o;
    if (exchange.isGone) return;
    // Closed by us (the agent left, the host closed us): the upstream did not die under the calls.
    const pending = exchange.closed(this.closing ? ABANDONED : UPSTREAM_CLOSED);
    if (this.closing) return;
    this.o.log({ level: "error", event: "upstream_closed", pending, message: `the upstream MCP server went away; answered ${pending} pending request(s) with an error and shutting down` });
    void this.shutdown("upstream closed", 1);
  }

  async downstreamClosed(): Promise<void> {
    const { exchange } = this.o;
    if (this.o.drainOnDownstreamClose && !this.closing && exchange.size > 0) {
      this.o.log({ level: "info", event: "draining", inFlight: exchange.size, message: "the agent closed its input; answering the requests already in flight before closing" });
      await exchange.idle();
    }
    await this.shutdown("downstream closed", 0);
  }

  async shutdown(reason: string, exitCode: number): Promise<void> {
    if (this.closing) return this.closed.then(() => undefined);
    this.closing = true;
    await this.o.upstream.close().catch(() => {});
    this.upstreamClosed();
    // Calls still being decided never reached the upstream: their decisions see them closed.
    this.o.exchange.abandonDeciding();
    this.o.clientRequests.close();
    this.o.finish();
    await this.o.downstream.close().catch(() => {});
    this.resolveClosed({ reason, exitCode });
  }
}

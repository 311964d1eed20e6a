/**
 * Which upstream connection an HTTP session's gateway gets (`--upstream-sharing`), and the shared
 * connections themselves: one per grant, opened by the first session that shares, replaced when
 * it closes (a child that died), closed with the front.
 *
 * - `auto` (the default): a session shares its grant's connection unless its client declared
 *   `sampling`, `elicitation` or `roots` in `initialize`: those let the server ask the client
 *   something, and on a shared connection there is no one client to ask. Such a session gets a
 *   connection of its own. Sessionless 2026-07-28 requests always share (that era has no
 *   server-to-client requests on the wire).
 * - `shared`: every session shares; the server sees a client without capabilities, so a client's
 *   sampling, elicitation and roots are not offered to it.
 * - `per-session`: every session gets its own connection (a child process each for
 *   `--upstream-cmd`), as before sharing existed.
 *
 * Sharing assumes the server keeps no per-connection state that one agent could set and another
 * would then see; for a server that does, use `per-session`. Policy is untouched by sharing: each
 * session keeps its own gateway, so `scope: "session"` still means the MCP session.
 */
import { isJsonObject, type JsonObject } from "../../protocol/messages.js";
import type { Transport } from "../../protocol/transport.js";
import { SharedUpstream } from "../shared-upstream.js";

export const UPSTREAM_SHARING_MODES = ["auto", "shared", "per-session"] as const;
export type UpstreamSharing = (typeof UPSTREAM_SHARING_MODES)[number];
export const DEFAULT_UPSTREAM_SHARING: UpstreamSharing = "auto";

/** Client capabilities that let the server send requests to the client. */
export const ASKING_CAPABILITIES = ["sampling", "elicitation", "roots"] as const;

/**
 * Whether a session shares its grant's upstream connection: `initialize` is its handshake's
 * params, undefined for a stateless channel.
 */
export function sharesUpstream(mode: UpstreamSharing, initialize: JsonObject | undefined, stateless: boolean): boolean {
  switch (mode) {
    case "per-session":
      return false;
    case "shared":
      return true;
    case "auto": {
      if (stateless) return true;
      const capabilities = initialize?.capabilities;
      return !isJsonObject(capabilities) || ASKING_CAPABILITIES.every((c) => capabilities[c] === undefined);
    }
  }
}

export interface SharedUpstreamsOptions {
  readonly open: () => Transport;
  readonly log: (line: object) => void;
}

export class SharedUpstreams {
  private readonly byGrant = new Map<string, SharedUpstream>();

  constructor(private readonly o: SharedUpstreamsOptions) {}

  /** A lane on `grantId`'s shared connection, opening one when there is none (or it closed). */
  laneFor(grantId: string): Transport {
    let shared = this.byGrant.get(grantId);
    if (shared === undefined || shared.isClosed) {
      shared = new SharedUpstream({ upstream: this.o.open(), log: this.o.log });
      this.byGrant.set(grantId, shared);
      this.o.log({ level: "info", event: "shared_upstream_opened", grant: grantId, message: "opened the grant's shared upstream connection" });
    }
    return shared.lane();
  }

  /** Live shared connections. */
  get size(): number {
    let n = 0;
    for (const s of this.byGrant.values()) if (!s.isClosed) n++;
    return n;
  }

  async closeAll(): Promise<void> {
    const all = [...this.byGrant.values()];
    this.byGrant.clear();
    await Promise.allSettled(all.map((s) => s.close()));
  }
}

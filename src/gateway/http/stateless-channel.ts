/**
 * The front's 2026-07-28 stateless channels: sessionless requests of one grant share one gateway
 * and one downstream (an `HttpSession` without id). Per grant a channel is `opening` (its gateway
 * starts and asks the era bridge which era the upstream speaks), then `ready`, or `mismatch` for
 * good (the upstream serves no 2026-07-28 caller, not even translated). When the upstream could
 * not be opened or did not answer, the channel is dropped and the next request opens a new one;
 * when its gateway closes, likewise. Requests that arrive while it opens wait for the outcome.
 */
import { messageOf } from "../../core/errors.js";
import { eraOfRevision, metaRevision, MODERN_REVISION } from "../../protocol/eras.js";
import type { JsonObject, JsonRpcId, JsonRpcMessage } from "../../protocol/messages.js";
import { failureData, INVALID_REQUEST, SERVER_ERROR } from "../../protocol/wire-errors.js";
import type { UpstreamEra } from "../bridge/era-bridge.js";
import type { Gateway } from "../gateway.js";
import type { Logger } from "../logger.js";
import type { HttpRefusal } from "./http-refusal.js";
import type { HttpSession } from "./http-session.js";
import type { OpenGateway } from "./open-gateway.js";

/** A sessionless request is 2026-07-28 by its `MCP-Protocol-Version`, by being `server/discover`, or by its `_meta` revision. */
export function isStatelessRequest(version: string | string[] | undefined, message: JsonRpcMessage): boolean {
  if (typeof version === "string" && eraOfRevision(version) === MODERN_REVISION) return true;
  return "method" in message && (message.method === "server/discover" || eraOfRevision(metaRevision(message.params) ?? "") === MODERN_REVISION);
}

/** Why a channel cannot serve: kept (`mismatch`), or not kept (`unavailable`: the next request opens a new one). */
type ChannelRefusal = { readonly kind: "mismatch" | "unavailable"; readonly reason: string };
interface LiveChannel {
  state: "opening" | "ready";
  readonly session: HttpSession;
  ready: Promise<ChannelRefusal | undefined>;
}
type Channel = LiveChannel | { readonly state: "mismatch"; readonly reason: string };

export interface StatelessChannelsOptions {
  readonly openGateway: OpenGateway;
  /** A new downstream (an `HttpSession` without id) for a grant's channel (`owner`: who may share it). */
  readonly newDownstream: (grantId: string, owner: string) => HttpSession;
  readonly log: Logger;
}

export class StatelessChannels {
  private readonly channels = new Map<string, Channel>();

  constructor(private readonly o: StatelessChannelsOptions) {}

  /**
   * The channel of `grantId` for a request with this `id` (null for a notification) and these
   * `params` (the first request's `_meta` names the caller to the upstream): its downstream once
   * it is ready, else the refusal to answer with.
   */
  async channelFor(grantId: string, id: JsonRpcId | null, params: JsonObject | undefined, owner: string = grantId): Promise<{ readonly session: HttpSession } | { readonly refusal: HttpRefusal }> {
    let channel = this.channels.get(owner) ?? this.open(grantId, owner, params);
    if (channel.state === "opening") {
      const refusal = await channel.ready;
      if (refusal?.kind === "unavailable") return { refusal: { status: 502, code: SERVER_ERROR, message: refusal.reason, id, data: failureData("upstream_unavailable") } };
      channel = refusal !== undefined ? { state: "mismatch", reason: refusal.reason } : (this.channels.get(owner) ?? channel);
    }
    if (channel.state === "mismatch") return { refusal: { status: 400, code: INVALID_REQUEST, message: channel.reason, id, data: failureData("era_mismatch") } };
    if (channel.state !== "ready" || channel.session.isClosed) return { refusal: { status: 502, code: SERVER_ERROR, message: "bad gateway: the upstream MCP server went away; try again" } };
    return { session: channel.session };
  }

  /** Requests in flight across every channel. */
  inFlight(): number {
    let n = 0;
    for (const c of this.channels.values()) if (c.state !== "mismatch") n += c.session.inFlight;
    return n;
  }

  /** Closes every channel's gateway and forgets them all (mismatches too). */
  async closeAll(): Promise<void> {
    const closing: Promise<void>[] = [];
    for (const c of this.channels.values()) if (c.state !== "mismatch" && c.session.gateway) closing.push(c.session.gateway.close());
    await Promise.allSettled(closing);
    this.channels.clear();
  }

  private open(grantId: string, owner: string, params: JsonObject | undefined): Channel {
    const session = this.o.newDownstream(grantId, owner);
    const channel: LiveChannel = { state: "opening", session, ready: Promise.resolve(undefined) };
    this.channels.set(owner, channel);
    channel.ready = (async (): Promise<ChannelRefusal | undefined> => {
      let gateway: Gateway;
      try {
        gateway = this.o.openGateway({ grantId, sessionKey: `stateless:${grantId}`, downstream: session, stateless: true, callerOf: () => session.caller });
        session.gateway = gateway;
        void gateway.closed.then(() => this.drop(owner, channel));
        await gateway.start();
      } catch (error) {
        this.channels.delete(owner);
        return { kind: "unavailable", reason: `toolgate could not open the upstream MCP server: ${messageOf(error)}` };
      }
      const era = await gateway.upstreamEra(params);
      return this.settle(grantId, owner, channel, gateway, era);
    })();
    return channel;
  }

  private settle(grantId: string, owner: string, channel: LiveChannel, gateway: Gateway, era: UpstreamEra): ChannelRefusal | undefined {
    switch (era.kind) {
      case "serves":
      case "unbridged":
        channel.state = "ready";
        this.o.log.info("stateless channel ready", { event: "stateless_ready", grant: grantId, ...(era.kind === "serves" ? { upstreamEra: era.era, upstreamVersions: era.versions } : {}) });
        return undefined;
      case "unanswered": {
        // No answer to judge the upstream's era by (it failed, timed out or went away): refuse this
        // request only; the next one opens a new connection and asks again.
        this.drop(owner, channel);
        void gateway.close();
        const reason = `bad gateway: the upstream MCP server did not answer \`server/discover\`: ${era.message}; try again`;
        this.o.log.warn("the stateless channel's probe failed; the next request probes again", { event: "stateless_probe_failed", grant: grantId, message: reason });
        return { kind: "unavailable", reason };
      }
      case "neither": {
        const versions = era.versions;
        const reason = `this request speaks MCP ${MODERN_REVISION} without a session, but the upstream MCP server answered neither ${MODERN_REVISION} \`server/discover\` nor a 2025-era \`initialize\` (server/discover ${versions.length > 0 ? `lists ${versions.join(", ")}` : "failed"}); connect with a 2025-era client (initialize, then Mcp-Session-Id)`;
        this.channels.set(owner, { state: "mismatch", reason });
        this.o.log.warn("the upstream does not speak 2026-07-28; stateless requests are refused", { event: "era_mismatch", grant: grantId, upstreamVersions: versions });
        void gateway.close();
        return { kind: "mismatch", reason };
      }
    }
  }

  /** Forgets `channel` unless another has taken its place. */
  private drop(owner: string, channel: Channel): void {
    if (this.channels.get(owner) === channel) this.channels.delete(owner);
  }
}

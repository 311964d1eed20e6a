/**
 * How the names an agent sees map to (server, name) when one gateway fronts several upstream
 * servers: `kommo__stop_salesbot` is the tool `stop_salesbot` of the server `kommo`. The gateway
 * asks on every governed request, so a rule addresses (server, tool) and the server's own policy
 * decides. One server: every name is its own, on the server `SINGLE_SERVER`.
 */
import type { TargetKind } from "../policy/decision.js";
import { SINGLE_SERVER } from "./policy-source.js";

export interface Routed {
  readonly server: string;
  /** The name (or URI) at that server. */
  readonly name: string;
}

export interface ServerNaming {
  /** The server and its own name for an exposed tool, prompt or resource URI; undefined when no server has it. */
  split(kind: Exclude<TargetKind, "method">, exposed: string): Routed | undefined;
  /** True when the gateway fronts several servers (denials and counter keys then carry the server). */
  readonly several: boolean;
}

/** One upstream server: names pass unchanged. */
export const SINGLE_SERVER_NAMING: ServerNaming = {
  split: (_kind, exposed) => ({ server: SINGLE_SERVER, name: exposed }),
  several: false,
};

/** The server key under which a stack keeps the policy for names that no server has (its `default`). */
export const NO_SERVER = "(no server)";

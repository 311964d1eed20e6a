/** How the front gets a gateway for a downstream it made: the host's `openGateway` and what it is told. */
import type { JsonObject } from "../../protocol/messages.js";
import type { Transport } from "../../protocol/transport.js";
import type { Caller, CallerOf } from "../caller.js";
import type { Gateway } from "../gateway.js";

export interface OpenGatewayRequest {
  readonly grantId: string;
  /** Scope key for `scope: "session"`: the MCP session id, or `stateless:<grant>`. */
  readonly sessionKey: string;
  readonly downstream: Transport;
  /** True for a grant's 2026-07-28 stateless channel. */
  readonly stateless: boolean;
  /** The params of the session's `initialize` (2025 era): what its client declared. */
  readonly initialize?: JsonObject;
  /** The caller of the request being handled (an OAuth token's claims); absent for static grants. */
  readonly callerOf?: CallerOf;
}

/** Who a request is from: its grant, who may share its sessions (the grant id, or a claim grant's grant and policy) and its caller. */
export interface Principal {
  readonly grantId: string;
  readonly owner: string;
  readonly caller?: Caller;
}

export type OpenGateway = (request: OpenGatewayRequest) => Gateway;

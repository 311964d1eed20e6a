/** How the front gets a gateway for a downstream it made: the host's `openGateway` and what it is told. */
import type { JsonObject } from "../../protocol/messages.js";
import type { Transport } from "../../protocol/transport.js";
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
}

export type OpenGateway = (request: OpenGatewayRequest) => Gateway;

/** How the front gets a gateway for a downstream it made: the host's `openGateway` and what it is told. */
import type { Transport } from "../../protocol/transport.js";
import type { Gateway } from "../gateway.js";

export interface OpenGatewayRequest {
  readonly grantId: string;
  /** Scope key for `scope: "session"`: the MCP session id, or `stateless:<grant>`. */
  readonly sessionKey: string;
  readonly downstream: Transport;
}

export type OpenGateway = (request: OpenGatewayRequest) => Gateway;

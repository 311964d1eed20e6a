/**
 * One POST exchange: a request and the HTTP response that waits for its answer, with what that
 * answer may be (JSON, an SSE stream, as the client's `Accept` allows: 406 when it allows
 * neither), the progress token whose notifications stream there, and the headers the answer
 * carries. The downstream (`HttpSession`) answers it.
 */
import type { OutgoingHttpHeaders, ServerResponse } from "node:http";
import { isJsonObject, type JsonRpcId, type JsonRpcRequest } from "../../protocol/messages.js";
import { writeRefusal } from "./http-refusal.js";
import { parseAccept, type AcceptInfo } from "./request-checks.js";
import { acceptGuard } from "./request-guards.js";

export interface Exchange {
  readonly res: ServerResponse;
  readonly callerId: JsonRpcId;
  readonly acceptsJson: boolean;
  readonly acceptsSse: boolean;
  readonly progressToken: string | number | undefined;
  readonly isCall: boolean;
  /** Headers for the answer (e.g. `Mcp-Session-Id` on the initialize answer). */
  readonly headers: OutgoingHttpHeaders | undefined;
  sse: boolean;
  done: boolean;
}

/** The exchange for `request`, answered on `res`. */
export function newExchange(request: JsonRpcRequest, res: ServerResponse, accept: AcceptInfo, headers: OutgoingHttpHeaders | undefined): Exchange {
  const meta = request.params?._meta;
  const token = isJsonObject(meta) ? meta.progressToken : undefined;
  return {
    res,
    callerId: request.id,
    acceptsJson: accept.json,
    acceptsSse: accept.sse,
    progressToken: typeof token === "string" || typeof token === "number" ? token : undefined,
    isCall: request.method === "tools/call",
    headers,
    sse: false,
    done: false,
  };
}

/** Hands `request` to `downstream`, to be answered on `res` as the client's `Accept` header allows. */
export function startExchange(downstream: { request(request: JsonRpcRequest, exchange: Exchange): void }, request: JsonRpcRequest, accept: string | undefined, res: ServerResponse, headers?: OutgoingHttpHeaders): void {
  const accepts = parseAccept(accept);
  const refusal = acceptGuard(accepts);
  if (refusal) return writeRefusal(res, refusal);
  downstream.request(request, newExchange(request, res, accepts, headers));
}

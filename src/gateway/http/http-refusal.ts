/**
 * A refusal as a value: the HTTP status, the JSON-RPC error the body carries (code, message, the
 * request's id when the body was read that far, `data`) and any extra headers. Guards and the
 * front's other checks return one instead of writing to the response; `writeRefusal` is the one
 * place that turns it into the HTTP answer.
 */
import type { ServerResponse } from "node:http";
import type { JsonObject, JsonRpcId } from "../../protocol/messages.js";
import { errorResponse } from "../../protocol/wire-errors.js";

export interface HttpRefusal {
  readonly status: number;
  readonly code: number;
  readonly message: string;
  /** Set before the answer's own `content-type` and `content-length` (`www-authenticate`, `allow`, `connection`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** The refused request's id; `null` (the default) when it could not be read. */
  readonly id?: JsonRpcId | null;
  readonly data?: JsonObject;
}

/** The answer for a refusal; a response already under way is only ended. */
export function writeRefusal(res: ServerResponse, refusal: HttpRefusal): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  for (const [name, value] of Object.entries(refusal.headers ?? {})) res.setHeader(name, value);
  const text = JSON.stringify(errorResponse(refusal.id ?? null, refusal.code, refusal.message, refusal.data));
  res.writeHead(refusal.status, { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)) });
  res.end(text);
}

/** 202 with no body: a notification or a response taken. */
export function writeAccepted(res: ServerResponse): void {
  res.writeHead(202, ["content-length", "0"]);
  res.end();
}

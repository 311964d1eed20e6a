/** Handing a POSTed request to its downstream as an exchange, with a recording stand-in for the response. */
import type { ServerResponse } from "node:http";
import { expect, test } from "vitest";
import { startExchange, type Exchange } from "../../../../src/gateway/http/exchange.js";
import type { JsonRpcRequest } from "../../../../src/protocol/messages.js";

function downstream() {
  const taken: Array<{ request: JsonRpcRequest; exchange: Exchange }> = [];
  return { taken, request: (request: JsonRpcRequest, exchange: Exchange) => void taken.push({ request, exchange }) };
}

const res = { headersSent: false, setHeader() {}, writeHead() {}, end() {} } as unknown as ServerResponse;

test("a call is handed over with what its answer may be, its progress token and the answer's headers", () => {
  const d = downstream();
  const call: JsonRpcRequest = { jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "t", _meta: { progressToken: "p1" } } };
  startExchange(d, call, "application/json, text/event-stream", res, { "mcp-session-id": "s" });
  expect(d.taken).toEqual([
    { request: call, exchange: { res, callerId: 7, acceptsJson: true, acceptsSse: true, progressToken: "p1", isCall: true, headers: { "mcp-session-id": "s" }, sse: false, done: false } },
  ]);
});

test("a request without a usable progress token has none; one that is not a call is not counted as one", () => {
  const d = downstream();
  startExchange(d, { jsonrpc: "2.0", id: 1, method: "tools/list", params: { _meta: { progressToken: { no: 1 } } } }, undefined, res);
  expect(d.taken[0]!.exchange).toMatchObject({ progressToken: undefined, isCall: false, acceptsJson: true, acceptsSse: false, headers: undefined });
});

test("a client that accepts neither JSON nor SSE gets 406 and the downstream never sees the request", () => {
  const d = downstream();
  const written: unknown[] = [];
  const recorder = { headersSent: false, setHeader() {}, writeHead: (status: number) => void written.push(status), end: (body: string) => void written.push(JSON.parse(body)) } as unknown as ServerResponse;
  startExchange(d, { jsonrpc: "2.0", id: 1, method: "ping" }, "text/plain", recorder);
  expect(d.taken).toEqual([]);
  expect(written).toEqual([406, { jsonrpc: "2.0", id: null, error: { code: -32000, message: "not acceptable: the client must accept `application/json` or `text/event-stream`" } }]);
});

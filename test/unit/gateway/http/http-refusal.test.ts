/** The one writer of refusals, on a recording stand-in for node:http's ServerResponse. */
import type { ServerResponse } from "node:http";
import { expect, test } from "vitest";
import { writeAccepted, writeRefusal } from "../../../../src/gateway/http/http-refusal.js";

function recorder(headersSent = false) {
  const calls: unknown[][] = [];
  const res = {
    headersSent,
    setHeader: (...args: unknown[]) => void calls.push(["setHeader", ...args]),
    writeHead: (...args: unknown[]) => void calls.push(["writeHead", ...args]),
    end: (...args: unknown[]) => void calls.push(["end", ...args]),
  };
  return { res: res as unknown as ServerResponse, calls };
}

test("a refusal is its status with a JSON-RPC error body, its own headers set first, and an exact content-length", () => {
  const { res, calls } = recorder();
  writeRefusal(res, { status: 401, code: -32000, message: "unauthorized: é", headers: { "www-authenticate": 'Bearer realm="toolgate"' } });
  const body = '{"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"unauthorized: é"}}';
  expect(calls).toEqual([
    ["setHeader", "www-authenticate", 'Bearer realm="toolgate"'],
    ["writeHead", 401, { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) }],
    ["end", body],
  ]);
});

test("a refusal names the request's id and data when it has them", () => {
  const { res, calls } = recorder();
  writeRefusal(res, { status: 400, code: -32600, message: "m", id: 6, data: { "toolgate/error": "era_mismatch" } });
  expect(calls.at(-1)).toEqual(["end", '{"jsonrpc":"2.0","id":6,"error":{"code":-32600,"message":"m","data":{"toolgate/error":"era_mismatch"}}}']);
});

test("a response already under way is only ended", () => {
  const { res, calls } = recorder(true);
  writeRefusal(res, { status: 409, code: -32000, message: "m", headers: { allow: "POST" } });
  expect(calls).toEqual([["end"]]);
});

test("accepted is 202 with an empty body", () => {
  const { res, calls } = recorder();
  writeAccepted(res);
  expect(calls).toEqual([["writeHead", 202, ["content-length", "0"]], ["end"]]);
});

/** One POST body as one JSON-RPC frame, or the 400 that says why not. */
import { expect, test } from "vitest";
import { frameOfBody } from "../../../../src/gateway/http/body-frame.js";

test("a request, a notification and a response are frames of their kind", () => {
  expect(frameOfBody('{"jsonrpc":"2.0","id":1,"method":"ping"}')).toEqual({ frame: { kind: "request", message: { jsonrpc: "2.0", id: 1, method: "ping" } } });
  expect(frameOfBody('{"jsonrpc":"2.0","method":"notifications/initialized"}')).toMatchObject({ frame: { kind: "notification" } });
  expect(frameOfBody('{"jsonrpc":"2.0","id":1,"result":{}}')).toMatchObject({ frame: { kind: "response" } });
});

test("text that is not JSON is a parse error (-32700) that says where it stops being JSON and its length", () => {
  expect(frameOfBody("{nope")).toEqual({ refusal: { status: 400, code: -32700, message: "parse error: not valid JSON: the text stops being JSON at character 2 (5 characters in all)" } });
});

test("a parse error never quotes the body: argument text stays out of the answer", () => {
  const body = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search","arguments":{"query":S3CR3T-ARG}}}';
  const parsed = frameOfBody(body);
  expect(parsed).toMatchObject({ refusal: { status: 400, code: -32700 } });
  expect(JSON.stringify(parsed)).not.toContain("S3CR3T");
  expect(JSON.stringify(parsed)).toContain(`(${body.length} characters in all)`);
});

test("a batch is refused (-32600): one message per POST", () => {
  expect(frameOfBody("[]")).toEqual({ refusal: { status: 400, code: -32600, message: "invalid request: batches (JSON arrays) are not supported; send one message per POST" } });
});

test("a malformed frame is refused (-32600) under its own id when it has one", () => {
  expect(frameOfBody('{"jsonrpc":"1.0","id":7,"method":"x"}')).toEqual({ refusal: { status: 400, code: -32600, message: 'invalid request: expected `jsonrpc` to be "2.0", found the string `1.0`', id: 7 } });
  expect(frameOfBody("42")).toEqual({ refusal: { status: 400, code: -32600, message: "invalid request: expected a JSON-RPC object, found number `42`", id: null } });
});

import { expect, test } from "vitest";
import { classifyMonitorLines, takeReply } from "../../../src/bench/raw-redis.js";
import { parseBody } from "../../../src/bench/wire-client.js";

test("the wire client reads a JSON answer and an SSE-framed answer, skipping an empty priming event", () => {
  const message = { jsonrpc: "2.0", id: 7, result: { content: [{ type: "text", text: "stopped 7" }] } };
  expect(parseBody(JSON.stringify(message), "application/json")).toEqual([message]);
  const sse = `id: 1\ndata: \n\nevent: message\nid: 2\ndata: ${JSON.stringify(message)}\n\n`;
  expect(parseBody(sse, "text/event-stream")).toEqual([message]);
  expect(parseBody("", "application/json")).toEqual([]);
});

test("a raw Redis reply is taken only once it is complete", () => {
  expect(takeReply("+PONG\r\n")).toEqual({ value: "PONG", length: 7 });
  expect(takeReply("$5\r\nhel")).toBeUndefined();
  expect(takeReply("$5\r\nhello\r\n+OK\r\n")).toEqual({ value: "hello", length: 11 });
  expect(takeReply("-ERR nope\r\n")?.value).toBe("-ERR nope");
});

test("MONITOR lines split into commands clients sent (round trips) and commands run inside scripts", () => {
  const lines = [
    '+1764068000.000001 [0 127.0.0.1:50000] "evalsha" "abc" "1" "toolgate:counter:60000:k"',
    '+1764068000.000002 [0 lua] "TIME"',
    '+1764068000.000003 [0 lua] "HMGET" "toolgate:counter:60000:k" "w" "n"',
    '+1764068000.000004 [0 127.0.0.1:50000] "evalsha" "abc" "1" "toolgate:counter:60000:k"',
  ];
  const { client, script } = classifyMonitorLines(lines);
  expect([...client]).toEqual([["evalsha", 2]]);
  expect(script).toBe(2);
});

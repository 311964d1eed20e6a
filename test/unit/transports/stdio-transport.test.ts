import { PassThrough } from "node:stream";
import { expect, test } from "vitest";
import { FrameError } from "../../../src/protocol/transport.js";
import { StdioTransport } from "../../../src/transports/stdio-transport.js";

function pair(maxMessageBytes = 1024) {
  const input = new PassThrough();
  const output = new PassThrough();
  const transport = new StdioTransport({ readable: input, writable: output, maxMessageBytes });
  const messages: unknown[] = [];
  const errors: Error[] = [];
  let closed = 0;
  transport.onmessage = (m) => messages.push(m);
  transport.onerror = (e) => errors.push(e);
  transport.onclose = () => closed++;
  return { input, output, transport, messages, errors, closed: () => closed };
}

const tick = () => new Promise<void>((resolve) => process.nextTick(resolve));

test("each newline-delimited JSON value is handed on as parsed, whatever its shape", async () => {
  const t = pair();
  await t.transport.start();
  t.input.write('{"jsonrpc":"2.0","id":1,"method":"ping"}\n[1,2]\n"str"\n');
  await tick();
  expect(t.messages).toEqual([{ jsonrpc: "2.0", id: 1, method: "ping" }, [1, 2], "str"]);
});

test("bad JSON and oversized lines are FrameErrors and reading goes on", async () => {
  const t = pair(32);
  await t.transport.start();
  t.input.write(`nope\n${"x".repeat(40)}\n{"ok":true}\n`);
  await tick();
  expect(t.errors.map((e) => (e as FrameError).kind)).toEqual(["parse_error", "too_large"]);
  expect(t.messages).toEqual([{ ok: true }]);
});

test("a malformed frame's error says where it stops being JSON and how long it is, never what it contains", async () => {
  const t = pair(4096);
  await t.transport.start();
  const line = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search","arguments":{"query":S3CR3T-ARG}}}';
  t.input.write(`${line}\n`);
  await tick();
  const message = t.errors[0]!.message;
  expect(message).toBe(`not valid JSON: the text stops being JSON at character ${line.indexOf("S3CR3T") + 1} (${line.length} characters in all)`);
  expect(message).not.toMatch(/S3CR|query|search/);
});

test("send writes one line of JSON per message", async () => {
  const t = pair();
  await t.transport.start();
  await t.transport.send({ jsonrpc: "2.0", method: "notifications/initialized" });
  expect(t.output.read()?.toString()).toBe('{"jsonrpc":"2.0","method":"notifications/initialized"}\n');
});

test("the end of the input closes the transport once", async () => {
  const t = pair();
  await t.transport.start();
  t.input.end();
  await new Promise((resolve) => t.input.once("end", resolve));
  await t.transport.close();
  expect(t.closed()).toBe(1);
});

/**
 * What one turn of the event loop sends leaves in one write: the lines are handed to the stream
 * together (one string), in order, and every `send` resolves once its line has been handed on,
 * after a drain when the stream asked for one; closing hands on what was sent before the end.
 */
import { PassThrough, Writable } from "node:stream";
import { expect, test } from "vitest";
import { StdioTransport } from "../../../src/transports/stdio-transport.js";

/** A writable that records every write it receives: one entry per `write` or `writev`. */
function recordingWritable(highWaterMark = 16_384): { stream: Writable; writes: string[][] } {
  const writes: string[][] = [];
  const stream = new Writable({
    highWaterMark,
    write(chunk: Buffer, _enc, done) {
      writes.push([chunk.toString()]);
      done();
    },
    writev(chunks, done) {
      writes.push(chunks.map((c) => (c.chunk as Buffer).toString()));
      done();
    },
  });
  return { stream, writes };
}

test("lines sent in the same turn reach the stream in one write, in the order sent", async () => {
  const { stream, writes } = recordingWritable();
  const transport = new StdioTransport({ readable: new PassThrough(), writable: stream });
  await transport.start();
  const sent = [1, 2, 3].map((id) => transport.send({ jsonrpc: "2.0", id, result: {} }));
  expect(writes).toEqual([]);
  await Promise.all(sent);
  expect(writes).toEqual([[[1, 2, 3].map((id) => `{"jsonrpc":"2.0","id":${id},"result":{}}\n`).join("")]]);
  await transport.send({ jsonrpc: "2.0", method: "notifications/x" });
  expect(writes).toHaveLength(2);
});

test("a send that fills the stream resolves only after the drain", async () => {
  let release: () => void = () => {};
  const writes: string[] = [];
  const stream = new Writable({
    highWaterMark: 8,
    write(chunk: Buffer, _enc, done) {
      writes.push(chunk.toString());
      release = done;
    },
  });
  const transport = new StdioTransport({ readable: new PassThrough(), writable: stream });
  await transport.start();
  let resolved = false;
  const sent = transport.send({ jsonrpc: "2.0", method: "notifications/long-enough-to-fill" }).then(() => (resolved = true));
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  expect(writes).toHaveLength(1);
  expect(resolved).toBe(false);
  release();
  await sent;
  expect(resolved).toBe(true);
});

test("close ends the stream with every line already sent written first", async () => {
  const { stream, writes } = recordingWritable();
  const transport = new StdioTransport({ readable: new PassThrough(), writable: stream });
  await transport.start();
  void transport.send({ jsonrpc: "2.0", id: 1, result: {} });
  await transport.close();
  await new Promise((r) => stream.once("finish", r));
  expect(writes.flat()).toEqual(['{"jsonrpc":"2.0","id":1,"result":{}}\n']);
});

test("close in the same turn as a send still hands the line on before ending the stream", async () => {
  const { stream, writes } = recordingWritable();
  const finished = new Promise<void>((r) => stream.once("finish", () => r()));
  const transport = new StdioTransport({ readable: new PassThrough(), writable: stream });
  await transport.start();
  const sent = transport.send({ jsonrpc: "2.0", id: 7, result: {} });
  await transport.close();
  await sent;
  await finished;
  expect(writes.flat().join("")).toBe('{"jsonrpc":"2.0","id":7,"result":{}}\n');
});

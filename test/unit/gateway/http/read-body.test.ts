/** Reading a POST body under the size limit, from a stream and without a server. */
import { PassThrough } from "node:stream";
import { expect, test } from "vitest";
import { readBody } from "../../../../src/gateway/http/read-body.js";

test("a body within the limit is read whole, as UTF-8, even when a character spans two chunks", async () => {
  const stream = new PassThrough();
  const body = readBody(stream, 100);
  const text = Buffer.from('{"a":"é"}', "utf8");
  stream.write(text.subarray(0, 7)); // splits the two bytes of `é`
  stream.end(text.subarray(7));
  expect(await body).toEqual({ kind: "text", text: '{"a":"é"}' });
});

test("a body of exactly the limit is read; an empty body is the empty string", async () => {
  const exact = new PassThrough();
  const read = readBody(exact, 4);
  exact.end("abcd");
  expect(await read).toEqual({ kind: "text", text: "abcd" });
  const empty = new PassThrough();
  const none = readBody(empty, 4);
  empty.end();
  expect(await none).toEqual({ kind: "text", text: "" });
});

test("a body over the limit is too large as soon as the limit is passed, without waiting for the stream to end", async () => {
  const stream = new PassThrough();
  const body = readBody(stream, 4);
  stream.write("abc");
  stream.write("de"); // the stream never ends: an answer that waited for it would never come
  expect(await body).toEqual({ kind: "too_large" });
});

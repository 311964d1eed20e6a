import { expect, test } from "vitest";
import { LineFramer } from "../../../src/transports/line-framer.js";

function framer(max: number) {
  const lines: string[] = [];
  let tooLarge = 0;
  const f = new LineFramer(max, (l) => lines.push(l), () => tooLarge++);
  return { f, lines, tooLarge: () => tooLarge };
}

test("lines split across chunks are joined, CRLF endings are trimmed and blank lines skipped", () => {
  const { f, lines } = framer(100);
  f.push(Buffer.from('{"a"'));
  f.push(Buffer.from(':1}\r\n\n{"b":2}\n{"c"'));
  expect(lines).toEqual(['{"a":1}', '{"b":2}']);
  expect(f.bufferedBytes).toBe(4);
});

test("a line past the limit is reported once, as soon as it crosses the limit, and skipped to its newline", () => {
  const { f, lines, tooLarge } = framer(10);
  f.push(Buffer.from("x".repeat(8)));
  expect(tooLarge()).toBe(0);
  f.push(Buffer.from("x".repeat(8)));
  expect(tooLarge()).toBe(1);
  expect(f.bufferedBytes).toBe(0);
  f.push(Buffer.from("y".repeat(1000)));
  expect(f.bufferedBytes).toBe(0);
  f.push(Buffer.from('zz\n{"ok":1}\n'));
  expect(tooLarge()).toBe(1);
  expect(lines).toEqual(['{"ok":1}']);
});

test("a complete line longer than the limit inside one chunk is reported too", () => {
  const { f, lines, tooLarge } = framer(5);
  f.push(Buffer.from("123456789\nabc\n"));
  expect(tooLarge()).toBe(1);
  expect(lines).toEqual(["abc"]);
});

test("the limit counts bytes, not characters", () => {
  const { f, lines, tooLarge } = framer(4);
  f.push(Buffer.from("ééé\n")); // 6 bytes
  expect(tooLarge()).toBe(1);
  f.push(Buffer.from("éé\n")); // 4 bytes
  expect(lines).toEqual(["éé"]);
});

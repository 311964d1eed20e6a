import { expect, test } from "vitest";
import { SseParser, type SseEvent } from "../../../src/transports/sse-parser.js";

test("events are assembled across chunks, with multi-line data, comments and CRLF", () => {
  const events: SseEvent[] = [];
  const p = new SseParser(1000, (e) => events.push(e));
  p.push(": comment\r\nid: 1\r\nevent: message\r\ndata: {\"a\"");
  p.push(":1}\r\n\r\ndata: x\ndata: y\n\n");
  expect(events).toEqual([
    { event: "message", data: '{"a":1}', id: "1" },
    { event: "message", data: "x\ny", id: "1" },
  ]);
});

test("an event larger than the limit is dropped and reported once", () => {
  const events: SseEvent[] = [];
  let tooLarge = 0;
  const p = new SseParser(10, (e) => events.push(e), () => tooLarge++);
  p.push(`data: ${"x".repeat(50)}\n\ndata: ok\n\n`);
  expect(tooLarge).toBe(1);
  expect(events.map((e) => e.data)).toEqual(["ok"]);
});

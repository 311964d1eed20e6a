import { expect, test } from "vitest";
import { UpstreamTools } from "../../../src/gateway/upstream-tools.js";

test("schemas seen in passing tools/list results are remembered", () => {
  const t = new UpstreamTools();
  t.remember({ tools: [{ name: "a", inputSchema: { type: "object" } }, { name: "b" }] }, true);
  expect(t.lookup("a")).toEqual({ known: true, inputSchema: { type: "object" } });
  expect(t.lookup("b")).toEqual({ known: true, inputSchema: undefined });
  expect(t.lookup("c")).toEqual({ known: false });
  expect(t.isComplete).toBe(true);
});

test("a page with a next cursor does not make the listing complete", () => {
  const t = new UpstreamTools();
  t.remember({ tools: [{ name: "a" }], nextCursor: "2" }, true);
  expect(t.isComplete).toBe(false);
});

test("ensure follows cursors once for concurrent callers and list_changed forgets everything", async () => {
  const t = new UpstreamTools();
  const cursors: Array<string | undefined> = [];
  const listPage = async (cursor: string | undefined) => {
    cursors.push(cursor);
    return cursor === undefined ? { tools: [{ name: "a" }], nextCursor: "p2" } : { tools: [{ name: "b" }] };
  };
  await Promise.all([t.ensure(listPage), t.ensure(listPage)]);
  expect(cursors).toEqual([undefined, "p2"]);
  expect(t.lookup("b").known).toBe(true);
  t.invalidate();
  expect(t.lookup("a").known).toBe(false);
  expect(t.isComplete).toBe(false);
});

test("an upstream that paginates forever is cut off", async () => {
  const t = new UpstreamTools();
  let pages = 0;
  await expect(t.ensure(async () => ({ tools: [], nextCursor: String(++pages) }))).rejects.toThrow("did not end within 100 pages");
  expect(pages).toBe(100);
});

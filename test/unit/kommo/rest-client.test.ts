import { expect, test } from "vitest";
import { VirtualClock } from "../../../src/core/virtual-clock.js";
import { createKommoRestClient, KommoRestError, parseRetryAfterMs, serializeQuery } from "../../../src/kommo/rest-client/rest-client.js";

test("Retry-After is read as seconds or as an HTTP date relative to the clock", () => {
  const nowMs = Date.UTC(2026, 2, 15, 12, 0, 0);
  expect(parseRetryAfterMs("2", nowMs)).toBe(2000);
  expect(parseRetryAfterMs("Sun, 15 Mar 2026 12:00:05 GMT", nowMs)).toBe(5000);
  expect(parseRetryAfterMs("Sun, 15 Mar 2026 11:00:00 GMT", nowMs)).toBe(0);
  expect(parseRetryAfterMs("soon", nowMs)).toBeUndefined();
  expect(parseRetryAfterMs(null, nowMs)).toBeUndefined();
});

test("query strings are built like axios params: undefined dropped, spaces as +, brackets kept", () => {
  expect(serializeQuery({ limit: 250, page: 1, query: undefined })).toBe("?limit=250&page=1");
  expect(serializeQuery({ query: "a b&c", "filter[id][]": 3 })).toBe("?query=a+b%26c&filter[id][]=3");
  expect(serializeQuery({})).toBe("");
});

test("a retried GET waits Retry-After given as an HTTP date on the clock", async () => {
  const clock = new VirtualClock(Date.UTC(2026, 2, 15, 12, 0, 0));
  const seenAtMs: number[] = [];
  const client = createKommoRestClient({
    baseUrl: "https://k.test/",
    token: "t",
    clock,
    jitterMs: () => 0,
    fetch: async (input) => {
      seenAtMs.push(clock.nowMs());
      expect(String(input)).toBe("https://k.test/api/v4/account");
      return seenAtMs.length === 1
        ? new Response(null, { status: 429, headers: { "retry-after": new Date(clock.nowMs() + 7_000).toUTCString() } })
        : Response.json({ id: 1 });
    },
  });
  const pending = client.get("/api/v4/account");
  await clock.advanceBy(7_000);
  await expect(pending).resolves.toMatchObject({ status: 200, data: { id: 1 } });
  expect(seenAtMs.map((t) => t - seenAtMs[0]!)).toEqual([0, 7_000]);
});

test("a POST failing without a response is not retried and reports a network error", async () => {
  const clock = new VirtualClock();
  let calls = 0;
  const client = createKommoRestClient({
    baseUrl: "https://k.test",
    token: "t",
    clock,
    fetch: async () => {
      calls++;
      throw new TypeError("fetch failed");
    },
  });
  await expect(client.post("/api/v4/bots/run", [])).rejects.toMatchObject({ kind: "network", status: undefined });
  expect(calls).toBe(1);
  expect(new KommoRestError("http", "GET", "/x", 404).message).toBe("kommo answered 404 to GET /x");
});

test("an empty Retry-After reads as 0 seconds, as the real server's Number(\"\") does, so the retry is immediate", async () => {
  expect(parseRetryAfterMs("", 0)).toBe(0);
  const clock = new VirtualClock(Date.UTC(2026, 2, 15, 12, 0, 0));
  const seenAtMs: number[] = [];
  const client = createKommoRestClient({
    baseUrl: "https://k.test",
    token: "t",
    clock,
    jitterMs: () => 0,
    fetch: async () => {
      seenAtMs.push(clock.nowMs());
      return seenAtMs.length === 1 ? new Response(null, { status: 503, headers: { "retry-after": "" } }) : Response.json({ id: 1 });
    },
  });
  const pending = client.get("/api/v4/account");
  await clock.advanceBy(0);
  expect(seenAtMs.map((t) => t - seenAtMs[0]!)).toEqual([0, 0]);
  await expect(pending).resolves.toMatchObject({ status: 200 });
});

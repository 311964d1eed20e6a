/** Who may read `/metrics`: open without grants, the metrics token with one, off with grants and none. */
import { expect, test } from "vitest";
import { metricsAccessFor, metricsGuard } from "../../../../src/gateway/http/metrics-access.js";

const TOKEN = "metrics-scrape-token-456";

test("without grants /metrics is open; with grants it needs the token, and is off without one", () => {
  expect(metricsAccessFor(false, undefined)).toEqual({ kind: "open" });
  expect(metricsAccessFor(true, undefined)).toEqual({ kind: "off" });
  expect(metricsAccessFor(true, TOKEN)).toEqual({ kind: "token", token: TOKEN });
  expect(metricsAccessFor(false, TOKEN)).toEqual({ kind: "token", token: TOKEN }); // a token given is a token required
});

test("the token passes in constant time; a missing, malformed or wrong one is 401 with the challenge that says why", () => {
  const access = metricsAccessFor(true, TOKEN);
  expect(metricsGuard(`Bearer ${TOKEN}`, access)).toBeUndefined();
  expect(metricsGuard(undefined, access)).toEqual({ status: 401, code: -32000, message: "unauthorized: `/metrics` needs `Authorization: Bearer <metrics token>`", headers: { "www-authenticate": 'Bearer realm="toolgate-metrics"' } });
  for (const header of [TOKEN, "Bearer ", `Bearer ${TOKEN}x`, `Basic ${TOKEN}`]) {
    expect(metricsGuard(header, access), header).toMatchObject({ status: 401, message: "unauthorized: the bearer token is not the metrics token", headers: { "www-authenticate": 'Bearer realm="toolgate-metrics", error="invalid_token"' } });
  }
  expect(metricsGuard(`Bearer ${TOKEN}`, { kind: "off" })).toMatchObject({ status: 403 });
  expect(metricsGuard(undefined, { kind: "open" })).toBeUndefined();
});

/**
 * The Redis approval store against a real Redis (REDIS_URL, default redis://127.0.0.1:6379/0).
 * Never skipped for want of Redis: when it is unreachable every test fails with the reason.
 * Each run writes under its own key prefix and deletes it afterwards.
 */
import { expect, test } from "vitest";
import { randomHex } from "../../src/core/clock.js";
import { VirtualClock } from "../../src/core/virtual-clock.js";
import { RedisApprovalStore, type RedisApprovalStoreOptions } from "../../src/stores/redis-approval-store.js";
import { useRedisTestDb } from "../helpers/redis-test-db.js";
import { CONTRACT_RETENTION_MS, runApprovalStoreContract } from "./approval-store.case.js";

const db = useRedisTestDb();
const REDIS_URL = db.url;
const PREFIX = db.prefix;

async function open(options: Partial<RedisApprovalStoreOptions> = {}): Promise<RedisApprovalStore> {
  db.assertReachable();
  const store = await RedisApprovalStore.connect({ url: REDIS_URL, keyPrefix: PREFIX, commandTimeoutMs: 5_000, retentionMs: CONTRACT_RETENTION_MS, ...options });
  return db.track(store);
}

runApprovalStoreContract("redis approvals (Redis TIME)", () => open(), { followsClock: false });
runApprovalStoreContract("redis approvals (test-seam clock)", (clock) => open({ timeSource: clock }), { forgetsOnClock: false });

test("an approval passes exactly once across two replicas racing for it", async () => {
  const [a, b] = [await open(), await open()];
  const call = { grantId: `race-${randomHex(4)}`, tool: "stop_salesbot", argsDigest: "d", policyVersion: "v1" };
  const { record: asked } = await a.request({ ...call, ttlMs: 60_000 });
  expect((await b.decide(asked.id, "approved", "carol")).ok).toBe(true);
  const results = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? a : b).check(call)));
  expect(results.filter((r) => r.kind === "consumed")).toHaveLength(1);
});

test("approval keys share one hash tag and expire retention after the approval's expiry", async () => {
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const store = await open({ timeSource: clock });
  const { record: asked } = await store.request({ grantId: "ttl", tool: "t", argsDigest: "d", policyVersion: "v1", ttlMs: 60_000 });
  const recordKey = `{${PREFIX}approvals}:id:${asked.id}`;
  const callKey = `{${PREFIX}approvals}:call:${JSON.stringify(["ttl", "t", "d", "v1"])}`;
  expect(await db.admin.hget(recordKey, "state")).toBe("pending");
  expect(await db.admin.get(callKey)).toBe(asked.id);
  for (const key of [recordKey, callKey]) {
    const pttl = await db.admin.pttl(key);
    expect(pttl).toBeGreaterThan(60_000 + CONTRACT_RETENTION_MS - 5_000);
    expect(pttl).toBeLessThanOrEqual(60_000 + CONTRACT_RETENTION_MS);
  }
});

test("the listing drops ids whose records have expired away", async () => {
  const store = await open();
  const { record: asked } = await store.request({ grantId: `gone-${randomHex(4)}`, tool: "t", argsDigest: "d", policyVersion: "v1", ttlMs: 60_000 });
  await db.admin.del(`{${PREFIX}approvals}:id:${asked.id}`);
  expect((await store.list()).map((r) => r.id)).not.toContain(asked.id);
  expect(await db.admin.zscore(`{${PREFIX}approvals}:index`, asked.id)).toBeNull();
});

/**
 * toolgate behind Redis Sentinel: one master, one replica and three Sentinels (quorum 2) on
 * loopback ports. Two `toolgate serve` replicas share it (`--store redis-sentinel://…/MASTER`,
 * default `wait=1`).
 *
 * - 500 concurrent calls over both replicas admit exactly `max`.
 * - The master is killed mid-run; the Sentinels promote the replica, ioredis asks them for the new
 *   master; the dead node is started again only after the promotion (the Sentinels turn it into a
 *   replica). See `fleet-run.ts` for the worst case the design allows and what is asserted.
 * Never skipped: without `redis-server` on PATH it fails saying so.
 */
import { afterAll, expect, test } from "vitest";
import { burst, counterUsed, expectFailoverFacts, failoverRun, type Fleet, startFleet } from "../helpers/fleet-run.js";
import { PrivateRedisSentinels, withNode } from "../helpers/redis-cluster.js";
import { pollUntil, requireRedisServerBinary, tally } from "../helpers/redis-replicas.js";

const MAX = 40;
const GRANTS = ["sentinel-burst", "sentinel-failover"];

let group: PrivateRedisSentinels | undefined;
let fleet: Fleet | undefined;

/** Inside the tests (not beforeAll), so that a missing binary fails a test rather than skipping it. */
async function setUp(): Promise<{ group: PrivateRedisSentinels; fleet: Fleet }> {
  if (group === undefined) {
    requireRedisServerBinary();
    group = await PrivateRedisSentinels.start();
  }
  fleet ??= await startFleet(group.url, GRANTS, MAX, "redis-sentinel");
  return { group, fleet };
}

afterAll(async () => {
  await fleet?.stop();
  await group?.stop();
});

test("two replicas behind Sentinel admit exactly max of 500 concurrent calls", async () => {
  const { group, fleet } = await setUp();
  const outcomes = await burst(fleet, GRANTS[0]!, 500);
  expect(tally(outcomes), fleet.storeLog()).toEqual({ allowed: MAX, rate_limited: 500 - MAX });
  expect(fleet.stops()).toBe(MAX);
  expect(await counterUsed(group.url, GRANTS[0]!)).toBe(MAX);
}, 90_000);

test("a Sentinel failover mid-run over-admits nothing; afterwards the limit holds at max", async () => {
  const { group, fleet } = await setUp();
  const grant = GRANTS[1]!;
  const stopsBefore = fleet.stops();
  const oldPort = await group.masterPort();
  const victim = group.dataNode(oldPort);
  const run = await failoverRun(fleet, grant, {
    killAfter: 5,
    workersPerReplica: 4,
    deadlineMs: 50_000,
    kill: async () => {
      await victim.kill();
      const newPort = await pollUntil(async () => {
        const port = await group.masterPort().catch(() => oldPort);
        return port === oldPort ? undefined : port;
      }, 30_000, "the Sentinels naming a new master", 100);
      // Restarted empty (no persistence) only now: the Sentinels make it a replica of the new master.
      await victim.start();
      await pollUntil(async () => ((await withNode(newPort, (r) => r.info("replication")).catch(() => "")).match(/slave0:.*state=online/) ? true : undefined), 30_000, "the restarted node online as a replica of the new master", 100);
    },
  });
  await expectFailoverFacts(fleet, run, { storeUrl: group.url, grant, max: MAX, stopsBefore, label: "redis-sentinel" });
}, 120_000);

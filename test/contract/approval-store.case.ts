/**
 * The contract every `ApprovalStore` passes (memory, Redis). Stores that follow the VirtualClock
 * handed to `create` get the expiry cases; a store on its own time (Redis `TIME`) sets
 * `followsClock: false`. `forgetsOnClock: false` marks a store whose records disappear on real
 * time (Redis key expiry) rather than on the VirtualClock, which skips the retention case.
 */
import { afterEach, expect, test } from "vitest";
import { VirtualClock } from "../../src/core/virtual-clock.js";
import type { ApprovalCall, ApprovalStore } from "../../src/stores/approval-store.js";

export interface ApprovalStoreContractOptions {
  /** True when the store reads time from the VirtualClock handed to `create` (default true). */
  readonly followsClock?: boolean;
  /** True when records are forgotten `retentionMs` after expiry on the VirtualClock (default: followsClock). */
  readonly forgetsOnClock?: boolean;
}

const START_MS = Date.UTC(2026, 0, 1, 0, 0, 0);
const TTL_MS = 10 * 60_000;
/** The retention `create` must give the store. */
export const CONTRACT_RETENTION_MS = 60 * 60_000;

export function runApprovalStoreContract(
  name: string,
  create: (clock: VirtualClock) => Promise<ApprovalStore>,
  options: ApprovalStoreContractOptions = {},
): void {
  const followsClock = options.followsClock ?? true;
  const clockTest = followsClock ? test : test.skip;
  const retentionTest = (options.forgetsOnClock ?? followsClock) ? test : test.skip;
  let store: ApprovalStore | undefined;
  let counter = 0;
  /** Per contract run: two runs in one file may share a Redis key prefix. */
  const runId = globalThis.crypto.randomUUID().slice(0, 8);

  const setup = async (): Promise<{ clock: VirtualClock; store: ApprovalStore; call: (tool?: string, digest?: string) => ApprovalCall }> => {
    const clock = new VirtualClock(START_MS);
    store = await create(clock);
    const grantId = `contract-${runId}-${++counter}`;
    return { clock, store, call: (tool = "stop_salesbot", digest = "d1") => ({ grantId, tool, argsDigest: digest, policyVersion: "v1" }) };
  };
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });
  const ask = async (s: ApprovalStore, call: ApprovalCall, ttlMs = TTL_MS) => (await s.request({ ...call, ttlMs })).record;

  test(`${name}: a call never asked about has no approval`, async () => {
    const { store: s, call } = await setup();
    expect(await s.check(call())).toEqual({ kind: "none" });
  });

  test(`${name}: a request is recorded as pending and asking again returns the same record`, async () => {
    const { store: s, call } = await setup();
    const first = await s.request({ ...call(), ttlMs: TTL_MS });
    expect(first.created).toBe(true);
    expect(first.record).toMatchObject({ ...call(), policyVersion: "v1", state: "pending" });
    expect(first.record.expiresAtMs - first.record.createdAtMs).toBe(TTL_MS);
    expect(await s.request({ ...call(), ttlMs: TTL_MS })).toEqual({ record: first.record, created: false });
    expect(await s.check(call())).toEqual({ kind: "pending", record: first.record });
    expect(await s.get(first.record.id)).toEqual(first.record);
  });

  test(`${name}: an approval asked under one policy version does not match the call under another`, async () => {
    const { store: s, call } = await setup();
    const asked = await ask(s, call());
    await s.decide(asked.id, "approved");
    expect(await s.check({ ...call(), policyVersion: "v2" })).toEqual({ kind: "none" });
    const again = await s.request({ ...call(), policyVersion: "v2", ttlMs: TTL_MS });
    expect(again.created).toBe(true);
    expect(again.record.id).not.toBe(asked.id);
    expect((await s.check(call())).kind).toBe("consumed");
  });

  test(`${name}: a used approval restored before its expiry passes once more, and only once`, async () => {
    const { store: s, call } = await setup();
    const asked = await ask(s, call());
    await s.decide(asked.id, "approved");
    expect((await s.check(call())).kind).toBe("consumed");
    const restored = await s.restore(asked.id);
    expect(restored).toMatchObject({ id: asked.id, state: "approved" });
    expect(restored?.usedAtMs).toBeUndefined();
    expect(await s.restore(asked.id)).toBeUndefined();
    expect((await s.check(call())).kind).toBe("consumed");
    expect(await s.check(call())).toEqual({ kind: "none" });
  });

  test(`${name}: only a used approval can be restored`, async () => {
    const { store: s, call } = await setup();
    const asked = await ask(s, call());
    expect(await s.restore(asked.id)).toBeUndefined();
    await s.decide(asked.id, "approved");
    expect(await s.restore(asked.id)).toBeUndefined();
    expect(await s.restore("apr_does_not_exist")).toBeUndefined();
    expect((await s.get(asked.id))?.state).toBe("approved");
  });


  test(`${name}: an approved call passes exactly once`, async () => {
    const { store: s, call } = await setup();
    const asked = await ask(s, call());
    const decided = await s.decide(asked.id, "approved", "alice");
    expect(decided).toMatchObject({ ok: true, record: { id: asked.id, state: "approved", decidedBy: "alice" } });
    const consumed = await s.check(call());
    expect(consumed).toMatchObject({ kind: "consumed", record: { id: asked.id, state: "used" } });
    expect(await s.check(call())).toEqual({ kind: "none" });
    expect((await s.get(asked.id))?.state).toBe("used");
  });

  test(`${name}: changed arguments, another tool or another grant do not match an approval`, async () => {
    const { store: s, call } = await setup();
    const asked = await ask(s, call("stop_salesbot", "d1"));
    await s.decide(asked.id, "approved");
    expect(await s.check(call("stop_salesbot", "d2"))).toEqual({ kind: "none" });
    expect(await s.check(call("start_salesbot", "d1"))).toEqual({ kind: "none" });
    expect(await s.check({ ...call(), grantId: `${call().grantId}-other` })).toEqual({ kind: "none" });
    expect((await s.check(call("stop_salesbot", "d1"))).kind).toBe("consumed");
  });

  test(`${name}: a denial is reported once, cannot be overturned, and the next request starts over`, async () => {
    const { store: s, call } = await setup();
    const asked = await ask(s, call());
    expect(await s.decide(asked.id, "denied", "bob")).toMatchObject({ ok: true, record: { state: "denied", decidedBy: "bob" } });
    expect(await s.decide(asked.id, "approved")).toMatchObject({ ok: false, reason: "decided", record: { state: "denied" } });
    const reported = await s.check(call());
    expect(reported).toMatchObject({ kind: "denied", record: { id: asked.id, state: "denied" } });
    expect(reported.kind === "denied" && reported.record.reportedAtMs).toEqual(expect.any(Number));
    expect(await s.check(call())).toEqual({ kind: "none" });
    const again = await s.request({ ...call(), ttlMs: TTL_MS });
    expect(again.created).toBe(true);
    expect(again.record.id).not.toBe(asked.id);
    expect((await s.get(asked.id))?.state).toBe("denied");
  });

  test(`${name}: concurrent checks report a denial to exactly one caller`, async () => {
    const { store: s, call } = await setup();
    const asked = await ask(s, call());
    await s.decide(asked.id, "denied");
    const results = await Promise.all(Array.from({ length: 20 }, () => s.check(call())));
    expect(results.filter((r) => r.kind === "denied")).toHaveLength(1);
    expect(results.filter((r) => r.kind === "none")).toHaveLength(19);
  });

  test(`${name}: deciding an unknown id says so`, async () => {
    const { store: s } = await setup();
    expect(await s.decide("apr_does_not_exist", "approved")).toEqual({ ok: false, reason: "unknown" });
    expect(await s.get("apr_does_not_exist")).toBeUndefined();
  });

  test(`${name}: concurrent identical calls consume one approval exactly once`, async () => {
    const { store: s, call } = await setup();
    const asked = await ask(s, call());
    await s.decide(asked.id, "approved");
    const results = await Promise.all(Array.from({ length: 50 }, () => s.check(call())));
    expect(results.filter((r) => r.kind === "consumed")).toHaveLength(1);
    expect(results.filter((r) => r.kind === "none")).toHaveLength(49);
  });

  test(`${name}: the listing shows every record, newest first, with its current state`, async () => {
    const { clock, store: s, call } = await setup();
    const a = await ask(s, call("t", "a"));
    if (followsClock) await clock.advanceBy(1);
    const b = await ask(s, call("t", "b"));
    await s.decide(b.id, "denied");
    const mine = (await s.list()).filter((r) => r.grantId === call().grantId);
    expect(mine.map((r) => [r.id, r.state])).toEqual(
      b.createdAtMs > a.createdAtMs ? [[b.id, "denied"], [a.id, "pending"]] : expect.arrayContaining([[b.id, "denied"], [a.id, "pending"]]),
    );
  });

  clockTest(`${name}: a pending approval expires, cannot be decided after, and a new request starts over`, async () => {
    const { clock, store: s, call } = await setup();
    const asked = await ask(s, call());
    await clock.advanceBy(TTL_MS - 1);
    expect((await s.check(call())).kind).toBe("pending");
    await clock.advanceBy(1);
    expect(await s.check(call())).toMatchObject({ kind: "expired", record: { id: asked.id, state: "expired" } });
    expect(await s.check(call())).toEqual({ kind: "none" });
    expect(await s.decide(asked.id, "approved")).toMatchObject({ ok: false, reason: "expired" });
    const again = await ask(s, call());
    expect(again.id).not.toBe(asked.id);
    expect(again.state).toBe("pending");
    expect((await s.check(call())).kind).toBe("pending");
  });

  clockTest(`${name}: an approval not used before its expiry no longer lets the call pass`, async () => {
    const { clock, store: s, call } = await setup();
    const asked = await ask(s, call());
    await s.decide(asked.id, "approved");
    await clock.advanceBy(TTL_MS);
    expect(await s.check(call())).toMatchObject({ kind: "expired", record: { state: "expired" } });
    expect(await s.check(call())).toEqual({ kind: "none" });
  });

  clockTest(`${name}: a used approval cannot be restored after its expiry`, async () => {
    const { clock, store: s, call } = await setup();
    const asked = await ask(s, call());
    await s.decide(asked.id, "approved");
    expect((await s.check(call())).kind).toBe("consumed");
    await clock.advanceBy(TTL_MS);
    expect(await s.restore(asked.id)).toBeUndefined();
    expect((await s.get(asked.id))?.state).toBe("used");
  });

  clockTest(`${name}: a denial lapses at its expiry, after which the call may be asked about again`, async () => {
    const { clock, store: s, call } = await setup();
    const asked = await ask(s, call());
    await s.decide(asked.id, "denied");
    await clock.advanceBy(TTL_MS);
    expect(await s.check(call())).toEqual({ kind: "none" });
    expect((await s.get(asked.id))?.state).toBe("denied");
  });

  retentionTest(`${name}: records are forgotten once the retention after their expiry has passed`, async () => {
    const { clock, store: s, call } = await setup();
    const asked = await ask(s, call());
    await clock.advanceBy(TTL_MS + CONTRACT_RETENTION_MS - 1);
    expect(await s.get(asked.id)).toBeDefined();
    await clock.advanceBy(1);
    expect(await s.get(asked.id)).toBeUndefined();
    expect(await s.check(call())).toEqual({ kind: "none" });
  });
}

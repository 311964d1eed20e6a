/**
 * The front's session registry on a VirtualClock: lookup by grant, the session cap, the idle
 * sweep, a session leaving with its gateway, and closing them all. No server, no real sleeps.
 */
import { expect, test } from "vitest";
import { settle, VirtualClock } from "../../../../src/core/virtual-clock.js";
import { SessionRegistry, SWEEP_EVERY_MS, type RegisteredSession } from "../../../../src/gateway/http/session-registry.js";
import { recordingLogger } from "./recording-logger.js";

const MINUTE = 60_000;

/** A session whose gateway records its closing, and closes for real (resolving `closed`) when told. */
function fakeSession(clock: VirtualClock, grantId = "g"): RegisteredSession & { inFlight: number; hasStream: boolean; isClosed: boolean; closes: number; gone(reason: string): void } {
  let resolve!: (closed: { reason: string }) => void;
  const closed = new Promise<{ reason: string }>((r) => (resolve = r));
  const session = {
    grantId,
    isClosed: false,
    inFlight: 0,
    hasStream: false,
    lastUsedMs: clock.nowMs(),
    closes: 0,
    gateway: {
      closed,
      close: async () => {
        session.closes++;
      },
    },
    gone: (reason: string) => resolve({ reason }),
  };
  return session;
}

function setup(options: { maxSessions?: number; maxPerGrant?: number; idleMs?: number } = {}) {
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const { log, lines } = recordingLogger(clock);
  const registry = new SessionRegistry<ReturnType<typeof fakeSession>>({ clock, maxSessions: options.maxSessions ?? 10, ...(options.maxPerGrant === undefined ? {} : { maxPerGrant: options.maxPerGrant }), idleMs: options.idleMs ?? 30 * MINUTE, log });
  return { clock, registry, log, lines };
}

test("a session is found by its id only for the grant that opened it, and only while it is live", () => {
  const { clock, registry } = setup();
  const s = fakeSession(clock, "alice");
  registry.add("s1", s);
  expect(registry.find("s1", "alice")).toBe(s);
  expect(registry.find("s1", "bob")).toBeUndefined();
  expect(registry.find("s2", "alice")).toBeUndefined();
  s.isClosed = true;
  expect(registry.find("s1", "alice")).toBeUndefined();
});

test("the registry is full at maxSessions, and has room again when one is removed", () => {
  const { clock, registry } = setup({ maxSessions: 2 });
  registry.add("a", fakeSession(clock));
  expect(registry.isFull).toBe(false);
  registry.add("b", fakeSession(clock));
  expect(registry.isFull).toBe(true);
  expect(registry.size).toBe(2);
  registry.remove("a");
  expect(registry.isFull).toBe(false);
  expect(registry.find("a", "g")).toBeUndefined();
});

test("a session leaves the registry when its gateway closes, and the closing is logged with its reason", async () => {
  const { clock, registry, log, lines } = setup();
  const s = fakeSession(clock, "alice");
  registry.add("s1", s);
  s.gone("upstream closed");
  await settle();
  expect(registry.size).toBe(0);
  await log.flush();
  expect(lines).toContainEqual(expect.objectContaining({ event: "session_closed", session: "s1", grant: "alice", reason: "upstream closed" }));
});

test("the sweep closes a session idle for idleMs, and not one used since", async () => {
  const { clock, registry, log, lines } = setup({ idleMs: 5 * MINUTE });
  const idle = fakeSession(clock);
  const used = fakeSession(clock);
  registry.add("idle", idle);
  registry.add("used", used);
  registry.startSweep();
  await clock.advanceBy(3 * MINUTE);
  registry.touch(used);
  await clock.advanceBy(2 * MINUTE);
  expect(idle.closes).toBe(1);
  expect(registry.find("idle", "g")).toBeUndefined();
  expect(used.closes).toBe(0);
  expect(registry.find("used", "g")).toBe(used);
  await clock.advanceBy(3 * MINUTE);
  expect(used.closes).toBe(1);
  await log.flush();
  expect(lines.filter((l) => l.event === "session_idle").map((l) => l.session)).toEqual(["idle", "used"]);
});

test("a session with a request in flight or an open GET stream is never idle", async () => {
  const { clock, registry } = setup({ idleMs: MINUTE });
  const busy = fakeSession(clock);
  busy.inFlight = 1;
  const streaming = fakeSession(clock);
  streaming.hasStream = true;
  registry.add("busy", busy);
  registry.add("streaming", streaming);
  registry.startSweep();
  await clock.advanceBy(10 * MINUTE);
  expect([busy.closes, streaming.closes]).toEqual([0, 0]);
  busy.inFlight = 0;
  await clock.advanceBy(MINUTE);
  expect([busy.closes, streaming.closes]).toEqual([1, 0]);
});

test("the sweep runs every minute, or every idleMs when that is shorter", async () => {
  const long = setup({ idleMs: 30 * MINUTE });
  long.registry.startSweep();
  expect(long.clock.pendingTimers()).toBe(1);
  await long.clock.advanceBy(30_000);
  const s = fakeSession(long.clock); // idle from 30 s on: idle enough at 30 min 30 s
  long.registry.add("s", s);
  await long.clock.advanceBy(30 * MINUTE - 30_000);
  expect(s.closes).toBe(0);
  await long.clock.advanceBy(SWEEP_EVERY_MS); // the sweep at 31 min, long before a 30-minute period would come round
  expect(s.closes).toBe(1);
  const short = setup({ idleMs: 1_000 });
  const t = fakeSession(short.clock);
  short.registry.add("t", t);
  short.registry.startSweep();
  await short.clock.advanceBy(1_000);
  expect(t.closes).toBe(1);
});

test("after stopSweep no sweep runs and no timer is left", async () => {
  const { clock, registry } = setup({ idleMs: MINUTE });
  const s = fakeSession(clock);
  registry.add("s", s);
  registry.startSweep();
  registry.stopSweep();
  expect(clock.pendingTimers()).toBe(0);
  await clock.advanceBy(10 * MINUTE);
  expect(s.closes).toBe(0);
});

test("closeAll closes every session's gateway and forgets them; inFlight sums the sessions", async () => {
  const { clock, registry } = setup();
  const a = fakeSession(clock);
  const b = fakeSession(clock);
  a.inFlight = 2;
  b.inFlight = 1;
  registry.add("a", a);
  registry.add("b", b);
  expect(registry.inFlight()).toBe(3);
  await registry.closeAll();
  expect([a.closes, b.closes]).toEqual([1, 1]);
  expect(registry.size).toBe(0);
  expect(registry.inFlight()).toBe(0);
});

test("one grant at its share is refused while another grant still gets in; a slot it gives back is its own again", () => {
  const { clock, registry } = setup({ maxSessions: 10, maxPerGrant: 2 });
  registry.add("a1", fakeSession(clock, "alice"));
  expect(registry.refusalFor("alice")).toBeUndefined();
  registry.add("a2", fakeSession(clock, "alice"));
  expect(registry.refusalFor("alice")).toBe("grant_full");
  expect(registry.refusalFor("bob")).toBeUndefined();
  registry.add("b1", fakeSession(clock, "bob"));
  expect(registry.countOf("alice")).toBe(2);
  expect(registry.countOf("bob")).toBe(1);
  registry.remove("a1");
  registry.remove("a1"); // twice: counted once
  expect(registry.countOf("alice")).toBe(1);
  expect(registry.refusalFor("alice")).toBeUndefined();
});

test("the share never exceeds the whole: a full registry refuses every grant with `full`", () => {
  const { clock, registry } = setup({ maxSessions: 2, maxPerGrant: 5 });
  expect(registry.maxPerGrant).toBe(2);
  registry.add("a", fakeSession(clock, "alice"));
  registry.add("b", fakeSession(clock, "bob"));
  expect(registry.refusalFor("carol")).toBe("full");
  expect(registry.refusalFor("alice")).toBe("full");
});

test("before a new session is admitted, idle sessions expire on the clock's time, without waiting for the sweep's timer", async () => {
  const { clock, registry } = setup({ maxSessions: 10, maxPerGrant: 1, idleMs: 5 * MINUTE });
  const idle = fakeSession(clock, "alice");
  registry.add("idle", idle);
  await clock.advanceBy(5 * MINUTE); // no sweep was started: no timer fires
  expect(registry.refusalFor("alice")).toBeUndefined();
  expect(idle.closes).toBe(1);
  expect(registry.countOf("alice")).toBe(0);
  // A session its gateway closes later is not counted twice.
  idle.gone("closed by the host");
  await settle();
  expect(registry.countOf("alice")).toBe(0);
});

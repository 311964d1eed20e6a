import { expect, test } from "vitest";
import { parseScenario } from "../../../src/harness/load-scenario.js";
import { compareEntries, scenarioEntries, scenarioTimeline } from "../../../src/harness/timeline.js";

const call = (at: number, label: string) => ({ at, label, call: { tool: "get_account" }, expect: "allow" });

function scenario() {
  const parsed = parseScenario(
    {
      purpose: "timeline order",
      policy: { version: "1", default: "allow" },
      grants: ["a", "b"],
      agents: [
        { name: "first", grant: "a", steps: [call(0, "f0"), call(100, "f100"), call(100, "f100b")] },
        { name: "second", grant: "b", steps: [call(0, "s0"), call(50, "s50")] },
      ],
      events: [{ at: 0, clock: { note: "n0" } }, { at: 100, clock: { note: "n1" } }, { at: 100, clearFaults: true }],
    },
    "/tmp/timeline.scenario.json",
  );
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.value.scenario;
}

test("by time; at equal times events first (in file order), then agents in file order, each agent's steps in file order", () => {
  expect(scenarioTimeline(scenario()).map((e) => e.id)).toEqual([
    "events[0]",
    "agents[0].steps[0]",
    "agents[1].steps[0]",
    "agents[1].steps[1]",
    "events[1]",
    "events[2]",
    "agents[0].steps[1]",
    "agents[0].steps[2]",
  ]);
});

test("the order is total and does not depend on the order entries arrive in", () => {
  const entries = scenarioEntries(scenario());
  const reversed = [...entries].reverse().sort(compareEntries).map((e) => e.id);
  expect([...entries].sort(compareEntries).map((e) => e.id)).toEqual(reversed);
  for (const a of entries) for (const b of entries) if (a !== b) expect(compareEntries(a, b)).not.toBe(0);
});

test("entries carry what they are: events and steps are told apart by kind, with their typed payload", () => {
  const timeline = scenarioTimeline(scenario());
  const kinds = timeline.map((e) => (e.kind === "event" ? `event:${e.event.kind}` : `step:${e.step.kind}`));
  expect(kinds).toEqual(["event:clock", "step:call", "step:call", "step:call", "event:clock", "event:clearFaults", "step:call", "step:call"]);
});

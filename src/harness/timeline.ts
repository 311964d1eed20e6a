/**
 * Everything in a scenario that starts at a time — the scenario's events and every agent's steps —
 * as entries tagged with what they are, in the one order every runner follows: by time; at equal
 * times events first (in file order), then agents in file order, each agent's steps in file order.
 * `compareEntries` is that order and the only sort of steps and events in the harness.
 */
import { assertNever } from "../core/errors.js";
import type { Agent, AgentStep, Scenario, ScenarioEvent } from "./scenario-schema.js";

export interface EventEntry {
  readonly kind: "event";
  /** `events[1]`. */
  readonly id: string;
  /** Virtual ms from the scenario's start. */
  readonly atMs: number;
  /** The event's index in the scenario's `events` (reload policies are kept by it). */
  readonly index: number;
  readonly event: ScenarioEvent;
}

export interface StepEntry {
  readonly kind: "step";
  /** `agents[0].steps[2]`. */
  readonly id: string;
  /** Virtual ms from the scenario's start. */
  readonly atMs: number;
  /** The agent's index in the scenario's `agents`. */
  readonly agentIndex: number;
  readonly agent: Agent;
  /** The step's index in the agent's `steps`. */
  readonly index: number;
  readonly step: AgentStep;
}

export type TimelineEntry = EventEntry | StepEntry;

export function eventId(index: number): string {
  return `events[${index}]`;
}

export function stepId(agentIndex: number, index: number): string {
  return `agents[${agentIndex}].steps[${index}]`;
}

/** The order key: time, then events before steps, then agent, then position in the file. */
function orderKey(entry: TimelineEntry): readonly [number, number, number, number] {
  switch (entry.kind) {
    case "event":
      return [entry.atMs, 0, 0, entry.index];
    case "step":
      return [entry.atMs, 1, entry.agentIndex, entry.index];
    default:
      return assertNever(entry, "timeline entry");
  }
}

/** The one order of a timeline (a total order: no two entries of a scenario compare equal). */
export function compareEntries(a: TimelineEntry, b: TimelineEntry): number {
  const x = orderKey(a);
  const y = orderKey(b);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return 0;
}

/** Every entry, unordered in time: each agent's steps (agents in file order), then the events. */
export function scenarioEntries(scenario: Scenario): TimelineEntry[] {
  const steps = scenario.agents.flatMap((agent, agentIndex) =>
    agent.steps.map((step, index): StepEntry => ({ kind: "step", id: stepId(agentIndex, index), atMs: step.at, agentIndex, agent, index, step })),
  );
  const events = (scenario.events ?? []).map((event, index): EventEntry => ({ kind: "event", id: eventId(index), atMs: event.at, index, event }));
  return [...steps, ...events];
}

/** Every entry of the scenario in the order it starts. */
export function scenarioTimeline(scenario: Scenario): readonly TimelineEntry[] {
  return scenarioEntries(scenario).sort(compareEntries);
}

import { expect, test } from "vitest";
import { VirtualClock } from "../../../../src/core/virtual-clock.js";
import { CrmStore, EffectLog, loadDefaultSeed } from "../../../../src/kommo/crm/index.js";

function store(): { clock: VirtualClock; crm: CrmStore } {
  const clock = new VirtualClock();
  return { clock, crm: new CrmStore(loadDefaultSeed(), clock) };
}

test("a new lead gets the next id, the main pipeline's first open status and clock time", () => {
  const { clock, crm } = store();
  const maxId = Math.max(...crm.leads().map((l) => l.id));
  const lead = crm.createLead({ name: "Novo" });
  expect(lead.id).toBe(maxId + 1);
  expect(lead.pipeline_id).toBe(crm.mainPipeline().id);
  expect(lead.status_id).toBe(crm.firstStatus(crm.mainPipeline()).id);
  expect(lead.status_id).not.toBe(142);
  expect(lead.created_at).toBe(clock.nowMs() / 1000);
});

test("moving a lead to another pipeline without a status puts it in that pipeline's first status", () => {
  const { crm } = store();
  const lead = crm.leads().find((l) => l.pipeline_id === crm.mainPipeline().id)!;
  const other = crm.pipelines().find((p) => !p.is_main)!;
  crm.updateLead(lead.id, { pipeline_id: other.id });
  expect(crm.lead(lead.id)).toMatchObject({ pipeline_id: other.id, status_id: crm.firstStatus(other).id });
});

test("leaving a closed status clears closed_at; entering one keeps an existing closed_at", async () => {
  const { clock, crm } = store();
  const won = crm.leads().find((l) => l.status_id === 142)!;
  const closedAt = won.closed_at;
  crm.updateLead(won.id, { status_id: 143 });
  expect(crm.lead(won.id)!.closed_at).toBe(closedAt);
  await clock.advanceBy(10_000);
  crm.updateLead(won.id, { status_id: crm.firstStatus(crm.pipeline(won.pipeline_id)!).id });
  expect(crm.lead(won.id)!.closed_at).toBeNull();
  expect(crm.lead(won.id)!.updated_at).toBe(clock.nowMs() / 1000);
});

test("stopping a bot marks only that bot's running runs on that entity", () => {
  const { crm } = store();
  const before = crm.botRuns({ state: "running" }).length;
  expect(crm.stopBotRuns(1, 101, "leads")).toBe(1);
  expect(crm.botRuns({ state: "running" })).toHaveLength(before - 1);
  expect(crm.botRuns({ botId: 7, entityId: 101, state: "running" })).toHaveLength(1);
  expect(crm.stopBotRuns(1, 101, "leads")).toBe(0);
});

test("reset discards every change, and the seed object given to the store is never mutated", () => {
  const seed = loadDefaultSeed();
  const original = JSON.stringify(seed);
  const { crm } = store();
  crm.updateLead(seed.leads[0]!.id, { name: "alterado" });
  crm.createNote({ entity_type: "leads", entity_id: 101, note_type: "common", params: { text: "x" } });
  expect(JSON.stringify(seed)).toBe(original);
  crm.reset();
  expect(JSON.stringify(crm.snapshot())).toBe(original);
});

test("the effect log filters stops and runs by bot, entity and time", () => {
  const log = new EffectLog();
  log.record({ kind: "run", botId: 1, entityId: 101, entityType: "leads", atMs: 1_000 });
  log.record({ kind: "stop", botId: 1, entityId: 101, entityType: "leads", atMs: 2_000 });
  log.record({ kind: "stop", botId: 7, entityId: 102, entityType: "leads", atMs: 3_000 });
  expect(log.stops()).toHaveLength(2);
  expect(log.stops({ botId: 7 })).toEqual([{ kind: "stop", botId: 7, entityId: 102, entityType: "leads", atMs: 3_000 }]);
  expect(log.runs({ entityId: 101 })).toHaveLength(1);
  expect(log.count({ sinceMs: 2_000 })).toBe(2);
  log.clear();
  expect(log.size).toBe(0);
});

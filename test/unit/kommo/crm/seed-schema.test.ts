import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { GatewayError } from "../../../../src/core/errors.js";
import { DEFAULT_SEED_PATH, loadCrmSeedFile, loadDefaultSeed, parseCrmSeed } from "../../../../src/kommo/crm/index.js";

test("the committed default seed parses and has the promised shape", () => {
  const seed = loadDefaultSeed();
  expect(seed.account.currency).toBe("BRL");
  expect(seed.users.length).toBeGreaterThanOrEqual(6);
  expect(seed.pipelines.length).toBeGreaterThanOrEqual(3);
  expect(seed.pipelines.length).toBeLessThanOrEqual(4);
  for (const p of seed.pipelines) expect(p.statuses.map((s) => s.id)).toEqual(expect.arrayContaining([142, 143]));
  expect(seed.leads).toHaveLength(300);
  expect(seed.contacts).toHaveLength(150);
  expect(seed.companies).toHaveLength(60);
  expect(seed.loss_reasons.length).toBeGreaterThanOrEqual(5);
  expect(seed.salesbots.length).toBeGreaterThanOrEqual(6);
  expect(seed.bot_runs.some((r) => r.bot_id === 7 && r.entity_id === 101 && r.state === "running")).toBe(true);
});

test("seeded leads include won and lost leads with closed_at, and every closed_at follows created_at", () => {
  const { leads } = loadDefaultSeed();
  const won = leads.filter((l) => l.status_id === 142);
  const lost = leads.filter((l) => l.status_id === 143);
  expect(won.length).toBeGreaterThan(20);
  expect(lost.length).toBeGreaterThan(20);
  for (const lead of [...won, ...lost]) expect(lead.closed_at).toBeGreaterThanOrEqual(lead.created_at);
  for (const lead of leads.filter((l) => l.status_id !== 142 && l.status_id !== 143)) expect(lead.closed_at).toBeNull();
  const start = Date.UTC(2025, 9, 1) / 1000;
  const end = Date.UTC(2026, 0, 1) / 1000;
  expect(leads.every((l) => l.created_at >= start && l.created_at < end)).toBe(true);
});

test("seeded tasks include completed ones and overdue ones relative to 2026-01-01", () => {
  const { tasks } = loadDefaultSeed();
  const now = Date.UTC(2026, 0, 1) / 1000;
  expect(tasks.some((t) => t.is_completed)).toBe(true);
  expect(tasks.some((t) => !t.is_completed && t.complete_till < now)).toBe(true);
  expect(tasks.some((t) => !t.is_completed && t.complete_till > now)).toBe(true);
});

test("no seeded record was created or updated after the seed's 'now' (2026-01-01T00:00Z), tasks included", () => {
  const seed = loadDefaultSeed();
  const now = Date.UTC(2026, 0, 1) / 1000;
  const late = [...seed.leads, ...seed.contacts, ...seed.companies, ...seed.tasks, ...seed.notes].filter((r) => r.created_at >= now || r.updated_at >= now);
  expect(late.map((r) => r.id)).toEqual([]);
  for (const task of seed.tasks) {
    expect(task.updated_at).toBeGreaterThanOrEqual(task.created_at);
    expect(task.created_at).toBeGreaterThanOrEqual(seed.leads.find((l) => l.id === task.entity_id)!.created_at);
  }
});

test("the generator is deterministic and reproduces the committed seed byte for byte", () => {
  const generated = execFileSync(process.execPath, ["--import", "tsx", "src/kommo/crm/generate-seed.ts"], { encoding: "utf8", timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
  expect(generated).toBe(readFileSync(DEFAULT_SEED_PATH, "utf8"));
});

test("an unknown key and a wrong type are reported with their JSON paths", () => {
  const seed = structuredClone(loadDefaultSeed()) as unknown as { leads: Record<string, unknown>[]; account: Record<string, unknown> };
  seed.leads[3]!.colour = "red";
  seed.account.currency = 7;
  const parsed = parseCrmSeed(seed, "seed.json");
  expect(parsed.ok).toBe(false);
  if (parsed.ok) return;
  const paths = parsed.issues.map((i) => i.path);
  expect(paths).toContain("account.currency");
  expect(paths).toContain("leads[3]");
  expect(parsed.issues.find((i) => i.path === "leads[3]")!.message).toMatch(/colour/);
});

test("a lead in a status outside its pipeline and a duplicate id are reported", () => {
  const seed = structuredClone(loadDefaultSeed());
  const other = seed.pipelines.find((p) => p.id !== seed.leads[0]!.pipeline_id)!;
  seed.leads[0]!.status_id = other.statuses.find((s) => s.id !== 142 && s.id !== 143)!.id;
  seed.contacts[1]!.id = seed.contacts[0]!.id;
  const parsed = parseCrmSeed(seed, "seed.json");
  expect(parsed.ok).toBe(false);
  if (parsed.ok) return;
  expect(parsed.issues).toEqual(
    expect.arrayContaining([
      { path: "leads[0].status_id", message: expect.stringMatching(/is not in pipeline/) },
      { path: "contacts[1].id", message: expect.stringMatching(/duplicate id/) },
    ]),
  );
});

test("loading a seed file names the file and the JSON path in the error", () => {
  const dir = mkdtempSync(join(tmpdir(), "seed-"));
  try {
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ ...loadDefaultSeed(), salesbots: [{ id: 0, name: "x", is_active: true }] }));
    expect(() => loadCrmSeedFile(bad)).toThrow(GatewayError);
    expect(() => loadCrmSeedFile(bad)).toThrow(`${bad}: salesbots[0].id: `);
    const broken = join(dir, "broken.json");
    writeFileSync(broken, "{");
    expect(() => loadCrmSeedFile(broken)).toThrow(`${broken}: (root): found invalid JSON`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

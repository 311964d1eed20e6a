import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { afterEach, expect, test } from "vitest";
import { argumentFacts, createAuditFileWriter, type AuditRecord } from "../../../src/gateway/audit-log.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

test("argument facts are the sorted keys and the SHA-256 of the canonical JSON", () => {
  const facts = argumentFacts({ b: 1, a: { y: 2, x: 1 } });
  expect(facts.argKeys).toEqual(["a", "b"]);
  expect(facts.argsSha256).toBe(createHash("sha256").update('{"a":{"x":1,"y":2},"b":1}').digest("hex"));
  expect(argumentFacts({ a: { x: 1, y: 2 }, b: 1 }).argsSha256).toBe(facts.argsSha256);
});

test("the file writer appends one JSON line per record", async () => {
  const dir = mkdtempSync(join(tmpdir(), "toolgate-audit-"));
  dirs.push(dir);
  const path = join(dir, "audit.jsonl");
  const record = { decisionId: "dec_1", outcome: "ok" } as unknown as AuditRecord;
  const writer = createAuditFileWriter(path);
  writer.write(record);
  writer.write({ ...record, decisionId: "dec_2" });
  await writer.close();
  const again = createAuditFileWriter(path);
  again.write({ ...record, decisionId: "dec_3" });
  await again.close();
  const lines = readFileSync(path, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { decisionId: string });
  expect(lines.map((l) => l.decisionId)).toEqual(["dec_1", "dec_2", "dec_3"]);
});

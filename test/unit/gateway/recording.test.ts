import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fc, test as prop } from "@fast-check/vitest";
import { expect, test } from "vitest";
import type { AuditRecord } from "../../../src/gateway/audit-log.js";
import { createRecordingWriter, keyMatcher, parseRedactList, REDACTED, redactArguments } from "../../../src/gateway/recording.js";

const audit: AuditRecord = { time: "2026-01-01T00:00:00.000Z", decisionId: "dec_1", grant: "alice", session: "s", tool: "search", decision: "allow", code: null, rule: null, argKeys: [], argsSha256: "x", policyVersion: "v", latencyMs: 1, outcome: "ok" };

test("keys matching a pattern are redacted at any depth, case-insensitively, and long strings are cut; both are listed by path", () => {
  const redact = keyMatcher(parseRedactList("token, password,*_secret,"));
  const out = redactArguments({ query: "x".repeat(12), auth: { Token: "t0k", list: [{ client_secret: "s" }] }, PASSWORD: "p", n: 3 }, redact, 10);
  expect(out.args).toEqual({ query: "xxxxxxxxxx…[2 more characters cut]", auth: { Token: REDACTED, list: [{ client_secret: REDACTED }] }, PASSWORD: REDACTED, n: 3 });
  expect(out.redacted).toEqual(["args.auth.Token", "args.auth.list.0.client_secret", "args.PASSWORD"]);
  expect(out.truncated).toEqual(["args.query"]);
});

test("the file rotates by size: FILE.1 holds the older lines, at most `keep` old files are kept", async () => {
  const dir = mkdtempSync(join(tmpdir(), "toolgate-rec-"));
  const file = join(dir, "rec.jsonl");
  const writer = createRecordingWriter(file, { redact: [], maxFileBytes: 600, keep: 2 });
  for (let i = 0; i < 12; i++) {
    writer.write({ audit: { ...audit, decisionId: `dec_${i}` }, method: "tools/call", args: { i }, server: undefined, nameAtServer: "search" });
    writer.close();
  }
  expect(readdirSync(dir).sort()).toEqual(["rec.jsonl", "rec.jsonl.1", "rec.jsonl.2"]);
  const ids = (name: string) => readFileSync(join(dir, name), "utf8").trim().split("\n").map((l) => JSON.parse(l).decisionId as string);
  const newest = ids("rec.jsonl");
  expect(newest.at(-1)).toBe("dec_11");
  expect(Number(ids("rec.jsonl.1").at(-1)!.slice(4))).toBe(Number(newest[0]!.slice(4)) - 1);
  for (const name of readdirSync(dir)) expect(readFileSync(join(dir, name)).length).toBeLessThanOrEqual(600);
});

const keyName = fc.constantFrom("token", "Token", "api_token", "password", "db_secret", "secret", "name", "query", "id", "value");
const tree = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: "small" }, fc.string(), fc.integer(), fc.boolean(), fc.array(tie("node"), { maxLength: 3 }), fc.dictionary(keyName, tie("node"), { maxKeys: 4 })),
})).node;

prop.prop([fc.dictionary(keyName, tree, { maxKeys: 5 }), fc.string({ minLength: 6, maxLength: 12 }).filter((s) => /^[a-z]+$/.test(s))], { numRuns: 200 })(
  "a redacted key's value never reaches the recording file, however deep the argument tree",
  async (args, secret) => {
    // Plant the secret under every redacted key; none of it may appear in the file.
    const plant = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(plant);
      if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, /token|password|_secret$/i.test(k) ? `${secret}-${JSON.stringify(v)}` : plant(v)]));
      return value;
    };
    const planted = plant(args) as Record<string, unknown>;
    const dir = mkdtempSync(join(tmpdir(), "toolgate-rec-"));
    const file = join(dir, "rec.jsonl");
    const writer = createRecordingWriter(file, { redact: ["*token", "password", "*_secret"] });
    writer.write({ audit, method: "tools/call", args: planted, server: undefined, nameAtServer: "search" });
    writer.close();
    const text = readFileSync(file, "utf8");
    expect(text).not.toContain(secret);
    expect(JSON.parse(text).args).toBeDefined();
  },
);

import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, expect, test } from "vitest";
import { UsageError } from "../../../src/cli/args.js";
import { main } from "../../../src/cli/main.js";
import { run } from "../../../src/cli/validate.js";
import { capturedIo } from "../../helpers/captured-io.js";

const dir = mkdtempSync(join(tmpdir(), "toolgate-validate-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const capture = (cwd = process.cwd()) => capturedIo(cwd);

test("validate prints `file: ok (…)` for each valid policy and exits 0", async () => {
  const c = capture();
  expect(await run(["fixtures/policies/valid/seed.json", "fixtures/policies/valid/all-tools.json"], c.io)).toBe(0);
  expect(c.out()).toBe(
    "fixtures/policies/valid/seed.json: ok (1 tool, 1 limit, 0 hidden, default deny, version sha256:3a772282205a85cc)\n" +
      "fixtures/policies/valid/all-tools.json: ok (3 tools, 5 limits, 0 hidden, default allow, version sha256:fc76d9b495dec16a)\n",
  );
  expect(c.err()).toBe("");
});

test("validate prints every problem as `file: path: message` on stderr and exits 1 when any file is invalid", async () => {
  const file = join(dir, "two-problems.json");
  writeFileSync(file, JSON.stringify({ version: "1", default: "deny", tools: { t: { limits: [{ counter: "c", window: "week", max: -1 }] } } }));
  const c = capture(dir);
  expect(await run(["two-problems.json", join(process.cwd(), "fixtures/policies/valid/seed.json")], c.io)).toBe(1);
  expect(c.err()).toBe(
    'two-problems.json: tools.t.limits[0].window: found `"week"`, expected `"second"`, `"minute"`, `"hour"`, `"day"` or a whole number of seconds ≥ 1\n' +
      "two-problems.json: tools.t.limits[0].max: found `-1`, expected a number ≥ 0\n",
  );
  expect(c.out()).toMatch(/seed\.json: ok \(1 tool/);
});

test("validate without files is a usage error", async () => {
  await expect(run([], capture().io)).rejects.toThrow(UsageError);
  await expect(run([], capture().io)).rejects.toThrow("expected at least one file: toolgate validate FILE… (policies, grants files, scenarios, recordings)");
});

test("an unreadable file is a usage error that names it, and main exits 2", async () => {
  const c = capture();
  expect(await main(["validate", "no/such/policy.json"], c.io)).toBe(2);
  expect(c.err()).toBe("toolgate validate: cannot read `no/such/policy.json`: no such file\n");
});

test("validate rejects unknown flags as usage errors", async () => {
  await expect(run(["--strict", "x.json"], capture().io)).rejects.toThrow(/unknown flag `--strict`/);
});

test("the real bin validates files and sets the exit code", async () => {
  const exec = promisify(execFile);
  const ok = await exec(process.execPath, ["bin/toolgate.mjs", "validate", "fixtures/policies/valid/ops.json"], { timeout: 20_000 });
  expect(ok.stdout).toMatch(/^fixtures\/policies\/valid\/ops\.json: ok \(1 tool, 0 limits/);
  const bad = await exec(process.execPath, ["bin/toolgate.mjs", "validate", "fixtures/policies/invalid/unknown-op.json"], { timeout: 20_000 }).catch((e: { code: number; stderr: string }) => e);
  expect("code" in bad && bad.code).toBe(1);
  expect((bad as { stderr: string }).stderr).toBe(
    'fixtures/policies/invalid/unknown-op.json: tools.t.deny_if[0].conditions[0].op: found `"like"`, expected `"eq"`, `"neq"`, `"in"`, `"not_in"`, `"lt"`, `"lte"`, `"gt"`, `"gte"`, `"regex"`, `"contains"` or `"exists"`\n',
  );
});

test("validate recognises each kind of file by its content and checks it with its own schema", async () => {
  const c = capture();
  const files = ["fixtures/grants/valid.json", "scenarios/seed-policy-runaway-loop.scenario.json", "fixtures/policies/valid/resources-prompts-methods.json"];
  expect(await run(files, c.io)).toBe(0);
  expect(c.out()).toBe(
    "fixtures/grants/valid.json: ok (grants file, 2 grants)\n" +
      "scenarios/seed-policy-runaway-loop.scenario.json: ok (scenario, 2 agents)\n" +
      "fixtures/policies/valid/resources-prompts-methods.json: ok (0 tools, 3 resources, 1 prompt, 2 methods, 1 limit, 0 hidden, default deny, version sha256:594a3cacc841cf8a)\n",
  );
});

test("a grants file is reported as a grants file, with the problems of the policies it names at their own paths", async () => {
  const c = capture();
  expect(await run(["fixtures/grants/invalid/policy-invalid.json", "fixtures/grants/invalid/duplicate-id.json"], c.io)).toBe(1);
  expect(c.err()).toMatch(/window-zero\.json: tools\.t\.limits\[0\]\.window: found `0`/);
  expect(c.err()).toContain("fixtures/grants/invalid/duplicate-id.json: grants[1].id: grant id");
  expect(c.err()).not.toContain("version: missing");
});

test("a scenario and a recording are checked as what they are", async () => {
  const recording = join(dir, "rec.jsonl");
  writeFileSync(recording, '{"time":"2026-01-01T00:00:00.000Z","decisionId":"d","grant":"g","session":"s","method":"tools/call","name":"x","args":{},"decision":"allow","code":null,"rule":null,"outcome":"ok","latencyMs":1,"policyVersion":null}\n{"time":"nope","decisionId":"d2"}\n');
  const c = capture(dir);
  expect(await run(["rec.jsonl", join(process.cwd(), "fixtures/scenarios/invalid/missing-purpose.scenario.json")], c.io)).toBe(1);
  expect(c.err()).toContain("rec.jsonl:2: time:");
  expect(c.err()).toContain("missing-purpose.scenario.json: purpose: missing; expected a string");
});

test("a grants file with only oauth and claim grants is recognised as a grants file, and its identity problems are reported at their paths", async () => {
  const c = capture();
  expect(await run(["fixtures/grants/identity.json", "fixtures/grants/invalid/oauth-alg-hs256.json"], c.io)).toBe(1);
  expect(c.out()).toBe("fixtures/grants/identity.json: ok (grants file, 1 grant, 2 claim grant rules, 1 issuer)\n");
  expect(c.err()).toBe(
    "fixtures/grants/invalid/oauth-alg-hs256.json: oauth.issuers[0].algorithms[0]: found `\"HS256\"`, expected one of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA, Ed25519; `none` and HS* (shared-secret) algorithms are never accepted\n",
  );
  const only = join(dir, "claims-only.json");
  writeFileSync(only, JSON.stringify({ version: "1", oauth: { resource: "http://127.0.0.1:1/mcp", issuers: [{ issuer: "http://127.0.0.1:2" }] }, claimGrants: [{ match: { sub: "x" }, id: "x", policy: join(process.cwd(), "fixtures/policies/valid/seed.json") }] }));
  const d = capture();
  expect(await run([only], d.io)).toBe(0);
  expect(d.out()).toBe(`${only}: ok (grants file, 0 grants, 1 claim grant rule, 1 issuer)\n`);
});

test("validate checks a stack's grants file on its own (shape, ids, policies), and a config with grants counts them", async () => {
  const c = capture();
  expect(await run(["examples/stack/team.json", "examples/stack/grants.json"], c.io)).toBe(0);
  expect(c.out()).toBe(
    "examples/stack/team.json: ok (gateway config, 3 servers (kommo, memory, files), 1 stack limit, 2 grants)\n" +
      "examples/stack/grants.json: ok (a stack's grants file, 2 grants (their server names are checked with the gateway config that names it))\n",
  );
  const bad = join(dir, "stack-grants.json");
  writeFileSync(bad, JSON.stringify({ version: "1", grants: [{ id: "x", tokenSha256: "a".repeat(64), servers: ["memory"], policies: { memory: "missing.json" } }] }));
  const b = capture(dir);
  expect(await run(["stack-grants.json"], b.io)).toBe(1);
  expect(b.err()).toBe(`stack-grants.json: grants[0].policies.memory: cannot read the policy file \`${join(dir, "missing.json")}\`: ENOENT: no such file or directory, open '${join(dir, "missing.json")}'\n`);
});

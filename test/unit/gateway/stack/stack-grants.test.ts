/**
 * A gateway config's grants: inline or in a file it names, each token with the servers and
 * policies it may use; every bad input at its file and JSON path. And the policy table they make:
 * a grant sees only its servers, under its own policies, with the stack's limits on all of them.
 */
import { expect, test } from "vitest";
import { formatConfigIssues, loadStackConfigText } from "../../../../src/gateway/stack/stack-config.js";
import { everyServer, stackPolicies } from "../../../../src/gateway/stack/stack-policies.js";
import { NO_SERVER } from "../../../../src/gateway/server-naming.js";
import { compilePolicy } from "../../../../src/policy/load-policy.js";

const A = "a".repeat(64);
const B = "b".repeat(64);
const files: Record<string, string> = {
  "/cfg/kommo.json": JSON.stringify({ version: "1", description: "kommo", default: "deny", tools: { stop_salesbot: {} } }),
  "/cfg/memory.json": JSON.stringify({ version: "1", description: "memory", default: "allow" }),
  "/cfg/strict/kommo-readonly.json": JSON.stringify({ version: "1", description: "readonly", default: "deny" }),
};
const read = (path: string): string => {
  const text = files[path];
  if (text === undefined) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
  return text;
};
const SERVERS = { kommo: { command: "x", policy: "kommo.json" }, memory: { command: "y", policy: "memory.json" } };
const load = (grants: unknown, extra: Record<string, unknown> = {}) => loadStackConfigText(JSON.stringify({ version: "1", servers: SERVERS, grants, ...extra }), "/cfg/stack.json", read);
const issues = (grants: unknown) => {
  const loaded = load(grants);
  if (loaded.ok) throw new Error("expected issues");
  return formatConfigIssues(loaded.issues);
};

test("inline grants: servers default to all, a grant's policy replaces a server's own for it", () => {
  const loaded = load([
    { id: "sales", tokenSha256: A },
    { id: "reader", tokenSha256: B.toUpperCase(), servers: ["kommo"], policies: { kommo: "strict/kommo-readonly.json" } },
  ]);
  expect(loaded.ok).toBe(true);
  if (!loaded.ok) return;
  const [sales, reader] = loaded.value.grants!;
  expect(loaded.value.grantsFile).toBe("/cfg/stack.json");
  expect(sales).toMatchObject({ id: "sales", servers: ["kommo", "memory"] });
  expect(sales!.policies.size).toBe(0);
  expect(reader!.digest.toString("hex")).toBe(B);
  expect(reader!.servers).toEqual(["kommo"]);
  expect(reader!.policies.get("kommo")?.file).toBe("/cfg/strict/kommo-readonly.json");

  const policies = stackPolicies(loaded.value, loaded.value.grants!);
  expect(policies.table.get("sales", "kommo")?.document.description).toBe("kommo");
  expect(policies.table.get("sales", "memory")?.document.description).toBe("memory");
  expect(policies.table.get("reader", "kommo")?.document.description).toBe("readonly");
  // A server the grant may not use has no policy: its tools are hidden and its calls denied.
  expect(policies.table.get("reader", "memory")).toBeUndefined();
  expect(policies.table.get("reader", NO_SERVER)?.defaultDecision).toBe("deny");
  expect(policies.sources.map((s) => [s.file, s.grantIds])).toEqual([
    ["/cfg/kommo.json", ["sales/kommo"]],
    ["/cfg/memory.json", ["sales/memory"]],
    ["/cfg/strict/kommo-readonly.json", ["reader/kommo"]],
  ]);
  // A reload of one file replaces it for exactly its targets.
  const next = compilePolicy({ version: "1", description: "kommo v2", default: "deny" });
  if (!next.ok) throw new Error("policy");
  policies.apply(["sales/kommo"], next.value);
  expect(policies.table.get("sales", "kommo")?.document.description).toBe("kommo v2");
  expect(policies.table.get("reader", "kommo")?.document.description).toBe("readonly");
});

test("grants from a file the config names, paths relative to that file", () => {
  files["/cfg/auth/grants.json"] = JSON.stringify({ version: "1", grants: [{ id: "ops", tokenSha256: A, policies: { memory: "../memory.json" } }] });
  const loaded = load("auth/grants.json");
  expect(loaded.ok).toBe(true);
  if (!loaded.ok) return;
  expect(loaded.value.grantsFile).toBe("/cfg/auth/grants.json");
  expect(loaded.value.grants![0]!.policies.get("memory")?.file).toBe("/cfg/memory.json");
});

test("without grants: one view of every server, each with its own policy", () => {
  const loaded = loadStackConfigText(JSON.stringify({ version: "1", servers: SERVERS }), "/cfg/stack.json", read);
  if (!loaded.ok) throw new Error("expected a config");
  expect(loaded.value.grants).toBeUndefined();
  const policies = stackPolicies(loaded.value, [everyServer(loaded.value, "stdio")]);
  expect(policies.table.grants()).toEqual(["stdio"]);
  expect(policies.table.get("stdio", "memory")?.document.description).toBe("memory");
});

test("bad grants are named at their path with what was found and what was expected", () => {
  expect(issues([])).toContain("/cfg/stack.json: grants: found no grants, expected at least one");
  expect(issues([{ id: "a", tokenSha256: "xyz" }])).toContain("/cfg/stack.json: grants[0].tokenSha256: expected the SHA-256 of the token as 64 hex digits");
  expect(issues([{ id: "a b", tokenSha256: A }])).toContain("grants[0].id: expected a grant id of 1–128 letters");
  const dup = issues([
    { id: "a", tokenSha256: A },
    { id: "a", tokenSha256: A },
  ]);
  expect(dup).toContain("grants[1].id: grant id `a` is already used by grants[0]");
  expect(dup).toContain("grants[1].tokenSha256: the same token digest is already used by grants[0]");
  expect(issues([{ id: "a", tokenSha256: A, servers: ["github"] }])).toContain("grants[0].servers[0]: found server `github`, expected one of the config's servers (`kommo`, `memory`)");
  expect(issues([{ id: "a", tokenSha256: A, servers: ["kommo", "kommo"] }])).toContain("grants[0].servers[1]: server `kommo` is listed twice");
  expect(issues([{ id: "a", tokenSha256: A, servers: [] }])).toContain("grants[0].servers: expected at least one server name");
  expect(issues([{ id: "a", tokenSha256: A, servers: ["kommo"], policies: { memory: "memory.json" } }])).toContain("grants[0].policies.memory: found a policy for server `memory`, which this grant does not use; expected one of `kommo`");
  expect(issues([{ id: "a", tokenSha256: A, policies: { kommo: "nope.json" } }])).toContain("/cfg/stack.json: grants[0].policies.kommo: cannot read the policy file `/cfg/nope.json`: ENOENT");
  expect(issues([{ id: "a", tokenSha256: A, token: "secret" }])).toContain("grants[0].token: unknown key");
  expect(issues({ id: "a" })).toContain("grants: found an object, expected a list of grants or the path of a grants file");
});

test("a bad grants file is named with its own path", () => {
  files["/cfg/bad-grants.json"] = '{"version": "1", "grants": [{"id": "a", "tokenSha256": "' + A + '", "servers": ["nope"]}], "extra": 1}';
  const text = issues("bad-grants.json");
  expect(text).toContain("/cfg/bad-grants.json: extra: unknown key");
  expect(issues("missing.json")).toContain("/cfg/stack.json: grants: cannot read the grants file `/cfg/missing.json`: ENOENT");
  files["/cfg/bad-policy-grants.json"] = JSON.stringify({ version: "1", grants: [{ id: "a", tokenSha256: A, servers: ["nope"] }] });
  expect(issues("bad-policy-grants.json")).toContain("/cfg/bad-policy-grants.json: grants[0].servers[0]: found server `nope`");
  files["/cfg/not-json.json"] = "{";
  expect(issues("not-json.json")).toMatch(/^\/cfg\/not-json\.json: /);
});

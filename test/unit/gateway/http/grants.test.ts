import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { timingSafeEqual } from "node:crypto";
import { expect, test } from "vitest";
import { formatGrantsIssues, GrantTable, loadGrantsText, tokenSha256, type Grant } from "../../../../src/gateway/grants.js";
import { REPO_ROOT } from "../../../fixtures/servers/gateway-process.js";

const DIR = join(REPO_ROOT, "fixtures/grants");
const load = (file: string, defaultPolicy?: string) => loadGrantsText(readFileSync(file, "utf8"), file, defaultPolicy);
const rel = (text: string) => text.replaceAll(`${REPO_ROOT}/`, "");

/** Every invalid grants file fails for one reason, reported with its file and JSON path. */
const EXPECTED: Record<string, string> = {
  "digest-not-hex64.json": "fixtures/grants/invalid/digest-not-hex64.json: grants[0].tokenSha256: expected the SHA-256 of the token as 64 hex digits (`printf %s TOKEN | sha256sum`)",
  "duplicate-digest.json": "fixtures/grants/invalid/duplicate-digest.json: grants[1].tokenSha256: the same token digest is already used by grants[0]; expected one grant per token",
  "duplicate-id.json": "fixtures/grants/invalid/duplicate-id.json: grants[1].id: grant id `a` is already used by grants[0]; expected unique ids",
  "id-bad.json": "fixtures/grants/invalid/id-bad.json: grants[0].id: expected a grant id of 1–128 letters, digits or `._:@-`",
  "no-grants.json": "fixtures/grants/invalid/no-grants.json: grants: expected at least one grant",
  "not-json.json": "fixtures/grants/invalid/not-json.json: (root): invalid JSON at line 2, column 13: found `,`, expected a value",
  "policy-absent.json": "fixtures/grants/invalid/policy-absent.json: grants[0].policy: no policy: expected a policy file path here or `--policy FILE`",
  "policy-invalid.json": "fixtures/policies/invalid/window-zero.json: tools.t.limits[0].window: found `0`, expected `\"second\"`, `\"minute\"`, `\"hour\"`, `\"day\"` or a whole number of seconds ≥ 1",
  "policy-missing.json": "fixtures/grants/invalid/policy-missing.json: grants[0].policy: cannot read the policy file `fixtures/grants/invalid/policies/missing.json`: ENOENT: no such file or directory, open 'fixtures/grants/invalid/policies/missing.json'",
  "unknown-key.json": "fixtures/grants/invalid/unknown-key.json: grants[0].token: unknown key `token`; found an object, which is not valid here",
  "version-wrong.json": "fixtures/grants/invalid/version-wrong.json: version: found `\"2\"`, expected `\"1\"`",
};

test("every invalid grants fixture is rejected with its exact message, naming the file and the JSON path", () => {
  const files = readdirSync(join(DIR, "invalid")).sort();
  expect(files).toEqual(Object.keys(EXPECTED).sort());
  for (const name of files) {
    const result = load(join(DIR, "invalid", name));
    expect(result.ok, name).toBe(false);
    if (!result.ok) expect(rel(formatGrantsIssues(result.issues)), name).toBe(EXPECTED[name]);
  }
});

test("a valid grants file loads each grant with its policy resolved relative to the grants file", () => {
  const result = load(join(DIR, "valid.json"));
  expect(result.ok).toBe(true);
  if (!result.ok) return;
  expect(result.value.map((g) => [g.id, relative(REPO_ROOT, g.policyFile)])).toEqual([
    ["sales-agent", "fixtures/grants/policies/seed.json"],
    ["support-agent", "fixtures/grants/policies/seed.json"],
  ]);
  expect(result.value[0]!.policy).toBe(result.value[1]!.policy); // one file, loaded once
});

test("a grant without a policy uses --policy", () => {
  const text = JSON.stringify({ version: "1", grants: [{ id: "a", tokenSha256: tokenSha256("t") }] });
  const result = loadGrantsText(text, join(DIR, "inline.json"), join(DIR, "policies/seed.json"));
  expect(result.ok && relative(REPO_ROOT, result.value[0]!.policyFile)).toBe("fixtures/grants/policies/seed.json");
});

test("every issue is reported, not just the first", () => {
  const text = JSON.stringify({ version: "1", grants: [{ id: "a", tokenSha256: "x" }, { id: "", tokenSha256: tokenSha256("t"), extra: 1 }] });
  const result = loadGrantsText(text, "g.json", "p.json", () => "{}");
  expect(result.ok).toBe(false);
  if (!result.ok) expect(result.issues.map((i) => i.path)).toEqual(["grants[0].tokenSha256", "grants[1].id", "grants[1].extra"]);
});

function grants(...tokens: string[]): Grant[] {
  return tokens.map((t, i) => ({ id: `g${i}`, policyFile: "p.json", policy: {} as Grant["policy"], digest: Buffer.from(tokenSha256(t), "hex") }));
}

test("a bearer token resolves to its grant; a wrong, missing or malformed one does not", () => {
  const table = new GrantTable(grants("tok-a", "tok-b"));
  expect(table.authenticate("Bearer tok-b")).toMatchObject({ kind: "ok", grant: { id: "g1" } });
  expect(table.authenticate("bearer   tok-a")).toMatchObject({ kind: "ok", grant: { id: "g0" } });
  expect(table.authenticate("Bearer tok-c")).toEqual({ kind: "invalid" });
  expect(table.authenticate(undefined)).toEqual({ kind: "missing" });
  expect(table.authenticate("")).toEqual({ kind: "missing" });
  for (const bad of ["Bearer", "Bearer ", "Basic dG9rLWE=", "tok-a", "Bearer tok a", "Bearer tok-a,"]) expect(table.authenticate(bad), bad).toEqual({ kind: "malformed" });
});

test("lookup compares the digest with every grant's digest in constant time, whichever matches", () => {
  const compared: Array<[string, string]> = [];
  const table = new GrantTable(grants("one", "two", "three"), (a, b) => {
    compared.push([a.toString("hex"), b.toString("hex")]);
    return timingSafeEqual(a, b);
  });
  for (const token of ["one", "three", "nobody"]) {
    compared.length = 0;
    table.lookup(token);
    expect(compared.map(([, b]) => b), token).toEqual(["one", "two", "three"].map(tokenSha256));
    expect(compared.every(([a]) => a === tokenSha256(token)), token).toBe(true);
  }
});

test("tokenSha256 matches `printf %s TOKEN | sha256sum`", () => {
  expect(tokenSha256("alpha-example-token")).toBe(JSON.parse(readFileSync(join(DIR, "valid.json"), "utf8")).grants[0].tokenSha256);
});

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
  "claim-grant-groups-not-list.json": "fixtures/grants/invalid/claim-grant-groups-not-list.json: claimGrants[0].match.groups: found `\"sales\"`, expected an array",
  "claim-grant-id-placeholder.json": "fixtures/grants/invalid/claim-grant-id-placeholder.json: claimGrants[0].id: found `\"user:{email}\"`, expected a grant id of at most 128 letters, digits or `._:@-`, optionally with `{sub}` or `{client_id}`",
  "claim-grant-id-static.json": "fixtures/grants/invalid/claim-grant-id-static.json: claimGrants[0].id: grant id `a` is already used by grants[0]; expected claim grants and static grants to have different ids",
  "claim-grants-without-oauth.json": "fixtures/grants/invalid/claim-grants-without-oauth.json: oauth: missing; `claimGrants` read the claims of validated tokens, expected `oauth` naming the resource and the issuers",
  "oauth-alg-hs256.json": "fixtures/grants/invalid/oauth-alg-hs256.json: oauth.issuers[0].algorithms[0]: found `\"HS256\"`, expected one of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA, Ed25519; `none` and HS* (shared-secret) algorithms are never accepted",
  "oauth-alg-none.json": "fixtures/grants/invalid/oauth-alg-none.json: oauth.issuers[0].algorithms[0]: found `\"none\"`, expected one of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA, Ed25519; `none` and HS* (shared-secret) algorithms are never accepted",
  "oauth-no-issuers.json": "fixtures/grants/invalid/oauth-no-issuers.json: oauth.issuers: expected at least one issuer",
  "oauth-resource-not-url.json": "fixtures/grants/invalid/oauth-resource-not-url.json: oauth.resource: found `\"127.0.0.1:8080/mcp\"`, expected the resource identifier as an absolute http(s) URL without query or fragment",
  "oauth-skew-too-large.json": "fixtures/grants/invalid/oauth-skew-too-large.json: oauth.clockSkewSeconds: found `600`, expected at most 300",
  "oauth-unknown-key.json": "fixtures/grants/invalid/oauth-unknown-key.json: oauth.issuers[0].jwks: unknown key `jwks`; found an object, which is not valid here",
  "oauth-without-claim-grants.json": "fixtures/grants/invalid/oauth-without-claim-grants.json: claimGrants: missing; with `oauth` a token needs a rule that gives it a grant, expected `claimGrants`",
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

test("a grants file with oauth and claim grants loads the rules with their policies beside the static grants", () => {
  const result = load(join(DIR, "identity.json"));
  expect(result.ok).toBe(true);
  if (!result.ok) return;
  expect(result.value.map((g) => g.id)).toEqual(["support-agent"]);
  expect(result.identity?.oauth.resource).toBe("http://127.0.0.1:4818/mcp");
  expect(result.identity?.rules.map((r) => [r.index, r.entry.id, relative(REPO_ROOT, r.policyFile), r.policyKey.startsWith("claims:")])).toEqual([
    [0, "{client_id}", "fixtures/grants/policies/seed.json", true],
    [1, "user:{sub}", "fixtures/grants/policies/seed.json", true],
  ]);
});

test("two claim grant rules that give one fixed grant id two policies are rejected", () => {
  const text = JSON.stringify({
    version: "1",
    oauth: { resource: "http://127.0.0.1:1/mcp", issuers: [{ issuer: "http://127.0.0.1:2" }] },
    claimGrants: [
      { match: { client_id: "a" }, id: "bots", policy: "policies/seed.json" },
      { match: { client_id: "b" }, id: "bots", policy: "policies/other.json" },
    ],
  });
  const result = loadGrantsText(text, join(DIR, "inline.json"), undefined, () => JSON.stringify({ version: "1", default: "allow" }));
  expect(result.ok ? "" : rel(formatGrantsIssues(result.issues))).toBe("fixtures/grants/inline.json: claimGrants[1].policy: grant id `bots` is also given by claimGrants[0] with another policy; expected one policy per grant id");
});

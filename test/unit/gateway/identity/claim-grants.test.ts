/** Grant rules over claims, the authenticator that puts them after token validation, and the challenges it answers with. */
import { expect, test } from "vitest";
import { GrantTable, tokenSha256, type ClaimGrantRule } from "../../../../src/gateway/grants.js";
import { Authenticator } from "../../../../src/gateway/identity/authenticator.js";
import { ClaimGrants, grantIdOf, scopesOf } from "../../../../src/gateway/identity/claim-grants.js";
import type { ClaimGrantEntry } from "../../../../src/gateway/identity/identity-config.js";
import { challengeHeader, protectedResource } from "../../../../src/gateway/identity/protected-resource.js";
import type { TokenCheck } from "../../../../src/gateway/identity/token-check.js";
import type { TokenVerifier } from "../../../../src/gateway/identity/token-verifier.js";
import { unauthorized } from "../../../../src/gateway/http/request-guards.js";
import { parsePolicyText, type CompiledPolicy } from "../../../../src/policy/load-policy.js";

const parsed = parsePolicyText(JSON.stringify({ version: "1", default: "allow" }));
const POLICY = (parsed.ok ? parsed.value : undefined) as CompiledPolicy;
const rule = (index: number, entry: ClaimGrantEntry): ClaimGrantRule => ({ index, entry, policyFile: `/p${index}.json`, policy: POLICY, policyKey: `claims:/p${index}.json` });
const RULES = [
  rule(0, { match: { client_id: "sales-bot" }, id: "{client_id}" }),
  rule(1, { match: { iss: "https://id.example.com", groups: ["sales-ops", "sales-admins"] }, id: "user:{sub}" }),
  rule(2, { match: { sub: ["carol"], scope: ["mcp", "crm:write"] }, id: "writer:{sub}" }),
  rule(3, { match: { client_id: "reporting" }, id: "static-agent" }),
];
const grants = new ClaimGrants(RULES, "realm_access.roles", new Set(["static-agent", "legacy"]));

test("the first rule that matches gives the grant id, filled from the token's claims", () => {
  expect(grants.grantFor({ client_id: "sales-bot", sub: "sales-bot" })).toMatchObject({ kind: "grant", grantId: "sales-bot", rule: { index: 0 } });
  expect(grants.grantFor({ azp: "sales-bot" })).toMatchObject({ kind: "grant", grantId: "sales-bot" });
  expect(grants.grantFor({ iss: "https://id.example.com", sub: "alice", realm_access: { roles: ["viewer", "sales-admins"] } })).toMatchObject({ kind: "grant", grantId: "user:alice", rule: { index: 1 } });
  expect(grants.grantFor({ iss: "https://other.example.com", sub: "alice", realm_access: { roles: ["sales-ops"] } })).toEqual({ kind: "none" });
  expect(grants.grantFor({ iss: "https://id.example.com", sub: "alice", realm_access: { roles: "sales-ops" } })).toMatchObject({ kind: "grant", grantId: "user:alice" });
});

test("scope needs every listed scope, from `scope` or `scp`; a rule short of scopes says which it needs", () => {
  expect(scopesOf({ scope: "mcp  crm:write", scp: ["extra"] })).toEqual(new Set(["mcp", "crm:write", "extra"]));
  expect(grants.grantFor({ sub: "carol", scp: ["mcp", "crm:write"] })).toMatchObject({ kind: "grant", grantId: "writer:carol" });
  expect(grants.grantFor({ sub: "carol", scope: "mcp" })).toEqual({ kind: "none", scope: ["mcp", "crm:write"] });
});

test("a derived id that would be a static grant's id, needs a missing claim, or is not printable ASCII gives no grant", () => {
  expect(grants.grantFor({ client_id: "reporting" })).toEqual({ kind: "none" });
  const bySub = new ClaimGrants([rule(0, { match: {}, id: "{sub}" })], "groups", new Set(["legacy"]));
  expect(bySub.grantFor({ sub: "legacy" })).toEqual({ kind: "none" });
  expect(bySub.grantFor({})).toEqual({ kind: "none" });
  expect(bySub.grantFor({ sub: "bad id\n" })).toEqual({ kind: "none" });
  expect(grantIdOf("{client_id}/{sub}", { sub: "s", client_id: "c" })).toBe("c/s");
});

const verifierSaying = (check: TokenCheck): TokenVerifier => ({ verify: async () => check }) as unknown as TokenVerifier;
const identity = { oauth: { resource: "https://mcp.example.com/mcp", issuers: [{ issuer: "https://id.example.com" }], requiredScopes: ["mcp"] }, rules: RULES };
const table = new GrantTable([{ id: "legacy", policyFile: "/l.json", policy: POLICY, digest: Buffer.from(tokenSha256("static-token"), "hex") }]);

test("the authenticator tries static tokens first, then the verifier, then the required scopes and the rules", async () => {
  const auth = (check: TokenCheck) => new Authenticator({ table, identity, verifier: verifierSaying(check) });
  const valid = (claims: Record<string, unknown>) => auth({ kind: "valid", claims }).authenticate("Bearer some.jwt.token");
  expect(await auth({ kind: "invalid", reason: "x" }).authenticate("Bearer static-token")).toEqual({ kind: "ok", grantId: "legacy" });
  expect(await auth({ kind: "invalid", reason: "the token has expired" }).authenticate("Bearer a.b.c")).toEqual({ kind: "invalid", description: "the token has expired" });
  expect(await auth({ kind: "unavailable", reason: "down" }).authenticate("Bearer a.b.c")).toEqual({ kind: "unavailable", description: "the token cannot be checked now (its issuer is unreachable)" });
  expect(await valid({ client_id: "sales-bot", sub: "sales-bot", scope: "openid" })).toEqual({ kind: "forbidden", description: "the token lacks a scope this resource requires", scope: ["mcp"] });
  expect(await valid({ sub: "carol", scope: "mcp" })).toEqual({ kind: "forbidden", description: "the token lacks a scope its grant rule requires", scope: ["mcp", "crm:write"] });
  expect(await valid({ sub: "dave", scope: "mcp" })).toEqual({ kind: "forbidden", description: "no grant rule matches the token" });
  expect(await valid({ client_id: "sales-bot", sub: "sales-bot", scope: "mcp" })).toEqual({
    kind: "ok",
    grantId: "sales-bot",
    owner: "sales-bot\u0000claims:/p0.json",
    caller: { claims: { client_id: "sales-bot", sub: "sales-bot", scope: "mcp" }, subject: "sales-bot", clientId: "sales-bot", policyKey: "claims:/p0.json" },
  });
  expect(await auth({ kind: "valid", claims: {} }).authenticate(undefined)).toEqual({ kind: "missing" });
  expect(await auth({ kind: "valid", claims: {} }).authenticate("Basic abc")).toEqual({ kind: "malformed" });
});

test("the metadata document and its URL follow from the resource; challenges name it with the error and the scope", () => {
  const prm = protectedResource(identity.oauth, ["crm:write", "mcp"]);
  expect(prm).toEqual({
    document: { resource: "https://mcp.example.com/mcp", authorization_servers: ["https://id.example.com"], scopes_supported: ["mcp", "crm:write"], bearer_methods_supported: ["header"], resource_name: "toolgate" },
    metadataUrl: "https://mcp.example.com/.well-known/oauth-protected-resource/mcp",
    paths: ["/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"],
    requiredScopes: ["mcp"],
  });
  expect(protectedResource({ ...identity.oauth, resource: "https://mcp.example.com" }, []).paths).toEqual(["/.well-known/oauth-protected-resource"]);
  const context = { resourceMetadata: prm.metadataUrl, requiredScopes: ["mcp"] };
  expect(unauthorized({ kind: "missing" }, context).headers).toEqual({ "www-authenticate": 'Bearer realm="toolgate", resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", scope="mcp"' });
  expect(unauthorized({ kind: "forbidden", description: "no grant rule matches the token", scope: ["mcp", "crm:write"] }, context)).toMatchObject({
    status: 403,
    headers: { "www-authenticate": 'Bearer realm="toolgate", resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", error="insufficient_scope", error_description="no grant rule matches the token", scope="mcp crm:write"' },
  });
  expect(unauthorized({ kind: "unavailable", description: "down" }, context)).toMatchObject({ status: 503, headers: { "retry-after": "30" } });
  expect(challengeHeader({ error: "invalid_token", description: 'quote " and \\ and\nnewline' })).toBe('Bearer realm="toolgate", error="invalid_token", error_description="quote  and  andnewline"');
});

/**
 * toolgate as an OAuth 2.1 resource server in front of the Kommo simulator, against a real
 * OpenID Connect provider on loopback (`oidc-provider`): protected resource metadata, client
 * credentials tokens of two clients mapped to two grants with different policies, the seed limit
 * counted per grant, bad tokens refused with the right challenge, key rotation, introspection of
 * opaque tokens, both MCP eras, audit and metrics naming the caller but never its token.
 * `toolgate serve` runs as a child process whose clock is a TOOLGATE_CLOCK_FILE the test moves.
 */
import { join } from "node:path";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { base64url, decodeJwt, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, expect, test, vi } from "vitest";
import { tokenSha256 } from "../../src/gateway/grants.js";
import { REPO_ROOT, readJsonLines, tempDir, writeJson } from "../fixtures/servers/gateway-process.js";
import { clockFile, kommoSimCommand, readEffectsFile } from "../helpers/kommo-sim-process.js";
import { CLIENTS, startTestProvider, type TestProvider } from "../helpers/oidc-test-provider.js";
import { httpAgent, quoted, STOP_ARGS } from "./bridge-agents.js";
import { connectClient, startHttpGateway, type HttpGateway } from "./gateway-http-process.js";
import { freePort } from "../../src/bench/processes.js";

/** /metrics on a listener with grants needs its own token. */
const METRICS_TOKEN = "metrics-scraper-token-0123456789";
const dir = tempDir("toolgate-oauth-");
const effectsFile = join(dir, "effects.jsonl");
const auditFile = join(dir, "audit.jsonl");
const STATIC_TOKEN = "static-grant-token-0123456789";
/** 10 s into the minute after the real one: tokens the provider issues now are valid then. */
const T0_MS = Math.floor(Date.now() / 60_000) * 60_000 + 70_000;
const clock = clockFile(dir, T0_MS);
const SEED = join(REPO_ROOT, "fixtures/policies/valid/seed.json");
let provider: TestProvider;
let gateway: HttpGateway;
let resource: string;
let base: string;
const tokensSeen: string[] = [];

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  resource = `${base}/mcp`;
  provider = await startTestProvider([resource, "http://127.0.0.1:1/other"]);
  // The support bot may call stop_salesbot only as the sales bot: its policy reads the token's claims.
  const support = writeJson(dir, "support.json", {
    version: "1",
    default: "deny",
    tools: { stop_salesbot: { require: [{ conditions: [{ path: "claims.client_id", op: "eq", value: "sales-bot" }], on_deny: "only the sales bot stops salesbots" }] } },
  });
  const grants = writeJson(dir, "grants.json", {
    version: "1",
    oauth: {
      resource,
      issuers: [{ issuer: provider.issuer, introspection: { clientId: CLIENTS.introspector.id, clientSecretEnv: "TOOLGATE_INTROSPECTION_SECRET" } }],
      requiredScopes: ["mcp"],
    },
    claimGrants: [
      { match: { client_id: ["sales-bot", "opaque-bot"] }, id: "{client_id}", policy: SEED },
      { match: { client_id: "support-bot" }, id: "support-bot", policy: support },
    ],
    grants: [{ id: "static", tokenSha256: tokenSha256(STATIC_TOKEN), policy: SEED }],
  });
  const sim = kommoSimCommand(["--kommo-rps", "0", "--effects-file", effectsFile]);
  gateway = await startHttpGateway(["--grants", grants, "--upstream-cmd", quoted(sim), "--audit", auditFile], { TOOLGATE_METRICS_TOKEN: METRICS_TOKEN, TOOLGATE_CLOCK_FILE: clock.path, TOOLGATE_INTROSPECTION_SECRET: CLIENTS.introspector.secret }, 30_000, port);
}, 90_000);

afterAll(async () => {
  await gateway?.stop();
  await provider?.stop();
});

async function token(client: { id: string; secret: string }, audience = resource): Promise<string> {
  const t = await provider.clientToken(client, audience);
  tokensSeen.push(t);
  return t;
}

const decision = (r: CallToolResult) => (r._meta as Record<string, Record<string, unknown>> | undefined)?.["toolgate/decision"];
const stops = () => readEffectsFile(effectsFile).filter((l) => l.kind === "effect" && l.effect === "stop").length;

/** A raw 2026-07-28 tools/call, as a stateless client sends it. */
function statelessCall(bearer: string | undefined, id = 1): Promise<Response> {
  const meta = { "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientInfo": { name: "raw", version: "1" }, "io.modelcontextprotocol/clientCapabilities": {} };
  return fetch(resource, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": "stop_salesbot", ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
    body: JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name: "stop_salesbot", arguments: STOP_ARGS, _meta: meta } }),
  });
}

test("the protected resource metadata names the resource, the issuer and the scopes, at the path-suffixed and the root well-known URI", async () => {
  const expected = { resource, authorization_servers: [provider.issuer], scopes_supported: ["mcp"], bearer_methods_supported: ["header"], resource_name: "toolgate" };
  for (const path of ["/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"]) {
    const res = await fetch(`${base}${path}`);
    expect(res.status, path).toBe(200);
    expect(await res.json(), path).toEqual(expected);
  }
  const res = await statelessCall(undefined);
  expect(res.status).toBe(401);
  expect(res.headers.get("www-authenticate")).toBe(`Bearer realm="toolgate", resource_metadata="${base}/.well-known/oauth-protected-resource/mcp", scope="mcp"`);
});

test("client credentials of two clients are two grants with their own policies; the seed limit counts per grant, across tokens and sessions", async () => {
  const before = stops();
  const sales = (await connectClient(resource, await token(CLIENTS.sales))).client;
  const outcomes: unknown[] = [];
  for (let i = 0; i < 8; i++) outcomes.push(decision((await sales.callTool({ name: "stop_salesbot", arguments: STOP_ARGS })) as CallToolResult)?.code ?? "allow");
  await sales.close();
  // A fresh token of the same client is the same grant: its counter goes on.
  const again = (await connectClient(resource, await token(CLIENTS.sales))).client;
  for (let i = 0; i < 4; i++) outcomes.push(decision((await again.callTool({ name: "stop_salesbot", arguments: STOP_ARGS })) as CallToolResult)?.code ?? "allow");
  await again.close();
  expect(outcomes).toEqual([...Array<string>(10).fill("allow"), "rate_limited", "rate_limited"]);
  const support = (await connectClient(resource, await token(CLIENTS.support))).client;
  const denied = (await support.callTool({ name: "stop_salesbot", arguments: STOP_ARGS })) as CallToolResult;
  expect(decision(denied)).toMatchObject({ code: "requirement_failed" });
  expect(denied.content).toEqual([{ type: "text", text: "[POLICY DENIED] only the sales bot stops salesbots" }]);
  await support.close();
  // The static bearer grant works beside the identity provider, with its own counter.
  const fixed = (await connectClient(resource, STATIC_TOKEN)).client;
  expect(decision((await fixed.callTool({ name: "stop_salesbot", arguments: STOP_ARGS })) as CallToolResult)).toBeUndefined();
  await fixed.close();
  expect(stops() - before).toBe(11);
  const audit = readJsonLines(auditFile).filter((l) => l.tool === "stop_salesbot");
  expect(audit.filter((l) => l.grant === "sales-bot").every((l) => l.clientId === "sales-bot" && l.subject === "sales-bot")).toBe(true);
  expect(audit.filter((l) => l.grant === "support-bot")).toMatchObject([{ clientId: "support-bot", code: "requirement_failed" }]);
  expect(audit.find((l) => l.grant === "static")).not.toHaveProperty("clientId");
}, 60_000);

test("a 2026-07-28 client and a 2025-era client both work with a token; the stateless path authenticates every request", async () => {
  clock.set(T0_MS + 60_000); // a new minute
  const salesToken = await token(CLIENTS.sales);
  for (const era of ["2026-07-28", "2025"] as const) {
    const agent = await httpAgent(era, resource, salesToken);
    const result = (await agent.client.callTool({ name: "stop_salesbot", arguments: STOP_ARGS })) as CallToolResult;
    expect(decision(result), era).toBeUndefined();
    await agent.close();
  }
  const ok = await statelessCall(salesToken, 7);
  expect(ok.status).toBe(200);
  for (const bad of [undefined, "not-a-token", `${salesToken.slice(0, -4)}AAAA`]) {
    const res = await statelessCall(bad, 8);
    expect(res.status, String(bad)).toBe(401);
    expect(res.headers.get("www-authenticate")).toContain(`resource_metadata="${base}/.well-known/oauth-protected-resource/mcp"`);
  }
}, 60_000);

test("a token for another audience, signed by a foreign key, with alg none or tampered gets 401 invalid_token with a reason", async () => {
  const good = await token(CLIENTS.sales);
  const [header, payload] = good.split(".") as [string, string, string];
  const claims = decodeJwt(good);
  const { privateKey } = await generateKeyPair("ES256");
  const foreign = await new SignJWT({ ...claims }).setProtectedHeader({ alg: "ES256", typ: "at+jwt", kid: "foreign-key" }).sign(privateKey);
  const none = `${base64url.encode(JSON.stringify({ alg: "none", typ: "at+jwt" }))}.${payload}.`;
  const tampered = `${header}.${base64url.encode(JSON.stringify({ ...claims, client_id: "support-bot", sub: "support-bot" }))}.${good.split(".")[2]}`;
  const cases: Array<[string, string, string]> = [
    ["other audience", await token(CLIENTS.sales, "http://127.0.0.1:1/other"), "the token is not for this resource (aud)"],
    ["foreign key", foreign, "the token is signed with a key its issuer does not publish"],
    ["alg none", none, "the token's signature algorithm is not allowed"],
    ["tampered", tampered, "the token's signature does not verify"],
  ];
  for (const [name, bad, reason] of cases) {
    const res = await statelessCall(bad);
    expect(res.status, name).toBe(401);
    expect(res.headers.get("www-authenticate"), name).toBe(`Bearer realm="toolgate", resource_metadata="${base}/.well-known/oauth-protected-resource/mcp", error="invalid_token", error_description="${reason}"`);
  }
});

test("a key rotated in at the provider is picked up by one JWKS fetch once the cooldown allows; made-up key ids do not refetch within it", async () => {
  const { privateKey } = await generateKeyPair("ES256");
  const forge = (claims: Record<string, unknown>, kid: string) => new SignJWT(claims).setProtectedHeader({ alg: "ES256", kid }).sign(privateKey);
  const claims = decodeJwt(await token(CLIENTS.sales));
  clock.set(T0_MS + 100_000);
  // An unknown kid refetches the set once (the cooldown has passed since the last fetch)…
  let fetches = provider.jwksServed();
  expect((await statelessCall(await forge(claims, "made-up-0"), 10)).status).toBe(401);
  expect(provider.jwksServed()).toBe(++fetches);
  // …and then not again within the cooldown, however many made-up kids arrive.
  for (let i = 1; i <= 5; i++) expect((await statelessCall(await forge(claims, `made-up-${i}`), 10 + i)).status).toBe(401);
  expect(provider.jwksServed()).toBe(fetches);
  await provider.rotate();
  const fresh = await token(CLIENTS.sales);
  const early = await statelessCall(fresh, 20);
  expect(early.status).toBe(401);
  expect(provider.jwksServed()).toBe(fetches);
  clock.set(T0_MS + 131_000); // past the 30 s cooldown
  expect((await statelessCall(fresh, 21)).status).toBe(200);
  expect(provider.jwksServed()).toBe(fetches + 1);
  expect((await statelessCall(fresh, 22)).status).toBe(200);
  expect(provider.jwksServed()).toBe(fetches + 1);
}, 30_000);

test("an opaque token is checked by RFC 7662 introspection at the provider", async () => {
  const opaque = await token(CLIENTS.opaque);
  expect(opaque.split(".").length).toBe(1);
  const res = await statelessCall(opaque, 40);
  expect(res.status).toBe(200);
  // The audit file is written off the hot path.
  await vi.waitFor(() => expect(readJsonLines(auditFile).filter((l) => l.grant === "opaque-bot")).toMatchObject([{ clientId: "opaque-bot", decision: "allow" }]), { timeout: 5_000, interval: 20 });
  const res2 = await statelessCall(`${opaque}x`, 41);
  expect(res2.status).toBe(401);
  expect(res2.headers.get("www-authenticate")).toContain('error_description="the token is not active"');
});

test("metrics carry the grant and the client; neither audit nor metrics nor logs carry a token", async () => {
  const metrics = await (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
  expect(metrics).toContain('toolgate_grant_decisions_total{grant="sales-bot",client_id="sales-bot",decision="allow"}');
  expect(metrics).toContain('toolgate_grant_decisions_total{grant="support-bot",client_id="support-bot",decision="deny"} 1');
  expect(metrics).toMatch(/toolgate_auth_refusals_total\{reason="invalid"\} \d+/);
  const audit = readJsonLines(auditFile).map((l) => JSON.stringify(l)).join("\n");
  for (const t of tokensSeen) {
    expect(audit).not.toContain(t);
    expect(metrics).not.toContain(t);
    expect(gateway.stderr()).not.toContain(t);
  }
});

test("an expired token gets 401 invalid_token once the gateway's clock passes its exp (plus skew)", async () => {
  const t = await token(CLIENTS.sales);
  expect((await statelessCall(t, 30)).status).toBe(200);
  clock.set((decodeJwt(t).exp! + 31) * 1000);
  const res = await statelessCall(t, 31);
  expect(res.status).toBe(401);
  expect(res.headers.get("www-authenticate")).toBe(`Bearer realm="toolgate", resource_metadata="${base}/.well-known/oauth-protected-resource/mcp", error="invalid_token", error_description="the token has expired"`);
});

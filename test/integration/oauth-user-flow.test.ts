/**
 * A person's token, got the way an MCP client gets one: the authorization-code flow with PKCE and
 * a resource indicator, driven by a script against a real OpenID Connect provider (its
 * development login and consent pages, with cookies, no browser), ends in a working MCP session
 * through toolgate whose grant comes from the user's `sub` and groups. The agent's token never
 * reaches the upstream: an HTTP upstream records every header it receives.
 */
import { createHash, randomBytes } from "node:crypto";
import { join } from "node:path";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, expect, test, vi } from "vitest";
import { readJsonLines, tempDir, writeJson } from "../fixtures/servers/gateway-process.js";
import { recordingUpstream } from "../fixtures/servers/recording-upstream.js";
import { CLIENTS, startTestProvider, type TestProvider } from "../helpers/oidc-test-provider.js";
import { connectClient, startHttpGateway, type HttpGateway } from "./gateway-http-process.js";
import { freePort } from "../../src/bench/processes.js";

const dir = tempDir("toolgate-oauth-user-");
const auditFile = join(dir, "audit.jsonl");
const started: Array<{ stop(): Promise<void> }> = [];
let provider: TestProvider;
let upstream: Awaited<ReturnType<typeof recordingUpstream>>;
let gateway: HttpGateway;
let resource: string;

beforeAll(async () => {
  const port = await freePort();
  resource = `http://127.0.0.1:${port}/mcp`;
  provider = await startTestProvider([resource]);
  started.push(provider);
  upstream = await recordingUpstream();
  started.push(upstream);
  const policy = writeJson(dir, "sales-ops.json", {
    version: "1",
    default: "deny",
    tools: { whoami: { require: [{ conditions: [{ path: "claims.groups", op: "contains", value: "sales-ops" }] }] } },
  });
  const grants = writeJson(dir, "grants.json", {
    version: "1",
    oauth: { resource, issuers: [{ issuer: provider.issuer }], requiredScopes: ["mcp"] },
    claimGrants: [{ match: { groups: ["sales-ops"] }, id: "user:{sub}", policy }],
  });
  gateway = await startHttpGateway(["--grants", grants, "--upstream-url", upstream.url, "--upstream-header", "Authorization: Bearer upstream-secret", "--audit", auditFile], {}, 30_000, port);
  started.push(gateway);
}, 60_000);

afterAll(async () => {
  for (const s of started.reverse()) await s.stop();
});

/** Cookies by name, sent back to the provider on every request (one host). */
class CookieJar {
  private readonly cookies = new Map<string, string>();
  take(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const eq = pair!.indexOf("=");
      this.cookies.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }
}

/** Logs `user` in and consents, following the provider's redirects; the authorization code. */
async function authorize(user: string, challenge: string, state: string): Promise<string> {
  const jar = new CookieJar();
  const params = new URLSearchParams({ client_id: CLIENTS.desk.id, response_type: "code", redirect_uri: CLIENTS.desk.redirectUri, scope: "openid mcp", code_challenge: challenge, code_challenge_method: "S256", resource, state });
  let url = `${provider.issuer}/auth?${params}`;
  let body: string | undefined;
  for (let step = 0; step < 12; step++) {
    const res = await fetch(url, { method: body === undefined ? "GET" : "POST", redirect: "manual", headers: { cookie: jar.header(), ...(body === undefined ? {} : { "content-type": "application/x-www-form-urlencoded" }) }, ...(body === undefined ? {} : { body }) });
    jar.take(res);
    body = undefined;
    const location = res.headers.get("location");
    if (location !== null) {
      const next = new URL(location, url);
      if (next.href.startsWith(CLIENTS.desk.redirectUri)) {
        expect(next.searchParams.get("state")).toBe(state);
        expect(next.searchParams.get("iss")).toBe(provider.issuer);
        return next.searchParams.get("code")!;
      }
      url = next.href;
      continue;
    }
    const page = await res.text();
    const prompt = /name="prompt" value="(\w+)"/.exec(page)?.[1];
    if (res.status !== 200 || prompt === undefined) throw new Error(`unexpected page at ${url}: HTTP ${res.status}`);
    body = new URLSearchParams(prompt === "login" ? { prompt, login: user, password: "any" } : { prompt }).toString();
  }
  throw new Error("the authorization flow did not end in a redirect to the client");
}

async function userToken(user: string): Promise<string> {
  const verifier = randomBytes(32).toString("base64url");
  const challenge = createHash("sha256").update(verifier).digest("base64url");
  const code = await authorize(user, challenge, randomBytes(8).toString("hex"));
  const res = await fetch(`${provider.issuer}/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: CLIENTS.desk.redirectUri, client_id: CLIENTS.desk.id, code_verifier: verifier, resource }).toString(),
  });
  const answer = (await res.json()) as { access_token?: string; error?: string };
  if (answer.access_token === undefined) throw new Error(`token request failed: ${answer.error}`);
  return answer.access_token;
}

test("authorization code + PKCE for a user in sales-ops ends in an MCP session whose grant is the user's; the token never reaches the upstream", async () => {
  const token = await userToken("alice");
  expect(decodeJwt(token)).toMatchObject({ sub: "alice", aud: resource, iss: provider.issuer, client_id: CLIENTS.desk.id, groups: ["sales-ops"] });
  const { client } = await connectClient(resource, token);
  expect((await client.listTools()).tools.map((t) => t.name)).toEqual(["whoami"]);
  const result = (await client.callTool({ name: "whoami", arguments: {} })) as CallToolResult;
  expect(result.content).toEqual([{ type: "text", text: "ok" }]);
  await client.close();
  const posts = upstream.seen.filter((h) => h["content-type"] === "application/json");
  expect(posts.length).toBeGreaterThanOrEqual(3);
  for (const h of posts) expect(h.authorization).toBe("Bearer upstream-secret");
  expect(JSON.stringify(upstream.seen)).not.toContain(token);
  await vi.waitFor(() => expect(readJsonLines(auditFile).filter((l) => l.tool === "whoami")).toMatchObject([{ grant: "user:alice", subject: "alice", clientId: CLIENTS.desk.id, decision: "allow" }]), { timeout: 5_000, interval: 20 });
  expect(JSON.stringify(readJsonLines(auditFile))).not.toContain(token);
}, 60_000);

test("a user whose groups match no grant rule gets 403 insufficient_scope before any MCP handling", async () => {
  const token = await userToken("bob");
  const res = await fetch(resource, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", authorization: `Bearer ${token}` },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "t", version: "1" } } }),
  });
  expect(res.status).toBe(403);
  expect(res.headers.get("www-authenticate")).toBe(`Bearer realm="toolgate", resource_metadata="${new URL(resource).origin}/.well-known/oauth-protected-resource/mcp", error="insufficient_scope", error_description="no grant rule matches the token"`);
  expect(upstream.seen.some((h) => JSON.stringify(h).includes(token))).toBe(false);
}, 60_000);

test("serve refuses to start when an issuer's introspection secret is not in the environment, naming the file and the variable", async () => {
  const file = writeJson(dir, "needs-secret.json", {
    version: "1",
    oauth: { resource, issuers: [{ issuer: provider.issuer, introspection: { clientId: "toolgate", clientSecretEnv: "TOOLGATE_TEST_UNSET_SECRET" } }] },
    claimGrants: [{ match: { sub: "x" }, id: "x", policy: join(dir, "sales-ops.json") }],
  });
  const failed = await startHttpGateway(["--grants", file, "--upstream-url", upstream.url], { TOOLGATE_TEST_UNSET_SECRET: "" }).then(
    () => "started",
    (error: Error) => error.message,
  );
  expect(failed).toContain("exited with code 1 before listening");
  expect(failed).toContain(`${file}: oauth.issuers[0].introspection.clientSecretEnv: the introspection client secret of \`${provider.issuer}\` is not set; expected it in the environment variable \`TOOLGATE_TEST_UNSET_SECRET\``);
}, 30_000);

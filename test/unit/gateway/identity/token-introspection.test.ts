/** RFC 7662 introspection on a virtual clock with a scripted endpoint: what counts as active, and the cache. */
import { expect, test } from "vitest";
import { VirtualClock } from "../../../../src/core/virtual-clock.js";
import { TokenVerifier } from "../../../../src/gateway/identity/token-verifier.js";

const ISSUER = "https://id.example.com";
const RESOURCE = "https://mcp.example.com/mcp";
const T0_MS = Date.UTC(2026, 5, 1, 12, 0, 0);

function setup(answer: Record<string, unknown>, env: Record<string, string> = { SECRET: "s3cret" }) {
  const clock = new VirtualClock(T0_MS);
  const posts: RequestInit[] = [];
  const fetchJson = async (url: string, init?: RequestInit): Promise<unknown> => {
    if (url.endsWith("/openid-configuration")) return { issuer: ISSUER, introspection_endpoint: `${ISSUER}/introspect` };
    if (url.endsWith("/oauth-authorization-server")) throw new Error("HTTP 404");
    posts.push(init!);
    return answer;
  };
  const verifier = new TokenVerifier({ oauth: { resource: RESOURCE, issuers: [{ issuer: ISSUER, introspection: { clientId: "toolgate", clientSecretEnv: "SECRET" } }], introspectionCacheSeconds: 30 }, clock, env, fetchJson });
  return { clock, posts, verifier };
}

const ACTIVE = { active: true, iss: ISSUER, aud: [RESOURCE, "other"], client_id: "bot", exp: T0_MS / 1000 + 600, scope: "mcp" };

test("an active answer for this resource is valid; the token goes in the body with the resource's Basic credentials", async () => {
  const { verifier, posts } = setup(ACTIVE);
  expect(await verifier.verify("opaque-token")).toEqual({ kind: "valid", claims: { iss: ISSUER, aud: [RESOURCE, "other"], client_id: "bot", exp: ACTIVE.exp, scope: "mcp" } });
  expect(posts[0]!.body).toBe("token=opaque-token&token_type_hint=access_token");
  expect((posts[0]!.headers as Record<string, string>).authorization).toBe(`Basic ${Buffer.from("toolgate:s3cret").toString("base64")}`);
});

test("inactive, another audience, another issuer or an expired answer is invalid; no secret is unavailable", async () => {
  expect(await setup({ active: false }).verifier.verify("t")).toEqual({ kind: "invalid", reason: "the token is not active" });
  expect(await setup({ ...ACTIVE, aud: "other" }).verifier.verify("t")).toEqual({ kind: "invalid", reason: "the token is not for this resource (aud)" });
  expect(await setup({ ...ACTIVE, aud: undefined }).verifier.verify("t")).toEqual({ kind: "invalid", reason: "the token is not for this resource (aud)" });
  expect(await setup({ ...ACTIVE, iss: "https://evil.example.com" }).verifier.verify("t")).toEqual({ kind: "invalid", reason: "the token's issuer is not trusted by this resource" });
  expect(await setup({ ...ACTIVE, exp: T0_MS / 1000 - 60 }).verifier.verify("t")).toEqual({ kind: "invalid", reason: "the token has expired" });
  expect(await setup(ACTIVE, {}).verifier.verify("t")).toEqual({ kind: "unavailable", reason: "the introspection client secret is not set (environment variable `SECRET`)" });
});

test("answers are reused for the cache time, never past the token's exp", async () => {
  const { verifier, posts, clock } = setup({ ...ACTIVE, exp: T0_MS / 1000 + 45 });
  await verifier.verify("t");
  await verifier.verify("t");
  expect(posts.length).toBe(1);
  await clock.advanceBy(30_000);
  expect((await verifier.verify("t")).kind).toBe("valid");
  expect(posts.length).toBe(2);
  await clock.advanceBy(46_000); // past exp and its 30 s skew: the cached answer is not used, and the new one is expired
  expect(await verifier.verify("t")).toEqual({ kind: "invalid", reason: "the token has expired" });
  expect(posts.length).toBe(3);
});

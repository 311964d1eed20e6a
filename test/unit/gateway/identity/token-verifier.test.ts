/**
 * The token verifier on a virtual clock with a scripted issuer (metadata and JWKS answered by a
 * fake fetch that counts requests): exp/nbf with skew on the injected clock, audience, issuer,
 * allowed algorithms (none and HS* never, not even HS256 keyed with the issuer's public key),
 * discovery order and issuer check, JWKS cache age and the cooldown on unknown key ids.
 */
import { createPublicKey } from "node:crypto";
import { base64url, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from "jose";
import { beforeAll, expect, test } from "vitest";
import { VirtualClock } from "../../../../src/core/virtual-clock.js";
import type { OAuthConfig } from "../../../../src/gateway/identity/identity-config.js";
import { metadataUrls } from "../../../../src/gateway/identity/issuer-keys.js";
import { TokenVerifier } from "../../../../src/gateway/identity/token-verifier.js";

const ISSUER = "https://id.example.com/tenant";
const RESOURCE = "https://mcp.example.com/mcp";
const T0_MS = Date.UTC(2026, 5, 1, 12, 0, 0);
let privateKey: CryptoKey;
let publicJwk: JWK;

beforeAll(async () => {
  const pair = await generateKeyPair("ES256", { extractable: true });
  privateKey = pair.privateKey;
  publicJwk = { ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "ES256", use: "sig" };
});

function issuer(keys: () => JWK[]): { fetchJson: (url: string) => Promise<unknown>; requests: string[] } {
  const requests: string[] = [];
  const fetchJson = async (url: string): Promise<unknown> => {
    requests.push(url);
    if (url === "https://id.example.com/.well-known/oauth-authorization-server/tenant") throw new Error("HTTP 404");
    if (url === "https://id.example.com/.well-known/openid-configuration/tenant") return { issuer: ISSUER, jwks_uri: "https://id.example.com/tenant/jwks" };
    if (url === "https://id.example.com/tenant/jwks") return { keys: keys() };
    throw new Error(`unexpected ${url}`);
  };
  return { fetchJson, requests };
}

function verifier(clock: VirtualClock, fetchJson: (url: string) => Promise<unknown>, extra: Partial<OAuthConfig> = {}): TokenVerifier {
  return new TokenVerifier({ oauth: { resource: RESOURCE, issuers: [{ issuer: ISSUER }], ...extra }, clock, env: {}, fetchJson });
}

const sign = (claims: Record<string, unknown>, header: Record<string, unknown> = {}) =>
  new SignJWT({ iss: ISSUER, aud: RESOURCE, sub: "alice", client_id: "app", iat: T0_MS / 1000, exp: T0_MS / 1000 + 300, ...claims }).setProtectedHeader({ alg: "ES256", kid: "k1", ...header }).sign(privateKey);

test("a JWT from the issuer for this resource is valid; its claims come back", async () => {
  const clock = new VirtualClock(T0_MS);
  const { fetchJson } = issuer(() => [publicJwk]);
  expect(await verifier(clock, fetchJson).verify(await sign({ groups: ["sales-ops"] }))).toMatchObject({ kind: "valid", claims: { sub: "alice", groups: ["sales-ops"] } });
});

test("exp and nbf are judged on the injected clock with the configured skew", async () => {
  const clock = new VirtualClock(T0_MS);
  const { fetchJson } = issuer(() => [publicJwk]);
  const v = verifier(clock, fetchJson, { clockSkewSeconds: 10 });
  const token = await sign({ nbf: T0_MS / 1000 + 60 });
  expect(await v.verify(token)).toEqual({ kind: "invalid", reason: "the token is not valid yet (nbf)" });
  await clock.advanceBy(50_000); // nbf - 10 s: within the skew
  expect((await v.verify(token)).kind).toBe("valid");
  await clock.advanceBy(259_000); // exp + 9 s: within the skew
  expect((await v.verify(token)).kind).toBe("valid");
  await clock.advanceBy(1_000); // exp + 10 s: the skew's end
  expect(await v.verify(token)).toEqual({ kind: "invalid", reason: "the token has expired" });
});

test("another audience, an untrusted issuer, a token without exp, alg none and HS256 keyed with the public key are all invalid", async () => {
  const clock = new VirtualClock(T0_MS);
  const { fetchJson } = issuer(() => [publicJwk]);
  const v = verifier(clock, fetchJson);
  const good = await sign({});
  const payload = good.split(".")[1]!;
  const none = `${base64url.encode(JSON.stringify({ alg: "none" }))}.${payload}.`;
  const pem = createPublicKey({ key: publicJwk as never, format: "jwk" }).export({ type: "spki", format: "pem" });
  const hs256 = await new SignJWT({ iss: ISSUER, aud: RESOURCE, exp: T0_MS / 1000 + 300 }).setProtectedHeader({ alg: "HS256", kid: "k1" }).sign(new TextEncoder().encode(String(pem)));
  const noExp = await new SignJWT({ iss: ISSUER, aud: RESOURCE }).setProtectedHeader({ alg: "ES256", kid: "k1" }).sign(privateKey);
  expect(await v.verify(await sign({ aud: "https://other.example.com/mcp" }))).toEqual({ kind: "invalid", reason: "the token is not for this resource (aud)" });
  expect(await v.verify(await sign({ iss: "https://evil.example.com" }))).toEqual({ kind: "invalid", reason: "the token's issuer is not trusted by this resource" });
  expect(await v.verify(noExp)).toEqual({ kind: "invalid", reason: "the token's `exp` claim is missing" });
  expect(await v.verify(none)).toEqual({ kind: "invalid", reason: "the token's signature algorithm is not allowed" });
  expect(await v.verify(hs256)).toEqual({ kind: "invalid", reason: "the token's signature algorithm is not allowed" });
  expect(await v.verify("not-a-jwt")).toEqual({ kind: "invalid", reason: "the token is not a JWT and no issuer has introspection configured" });
});

test("an issuer's configured algorithms narrow what is accepted", async () => {
  const clock = new VirtualClock(T0_MS);
  const { fetchJson } = issuer(() => [publicJwk]);
  const v = new TokenVerifier({ oauth: { resource: RESOURCE, issuers: [{ issuer: ISSUER, algorithms: ["RS256"] }] }, clock, env: {}, fetchJson });
  expect(await v.verify(await sign({}))).toEqual({ kind: "invalid", reason: "the token's signature algorithm is not allowed" });
});

test("metadata is discovered in the spec's order and must name the configured issuer", async () => {
  expect(metadataUrls("https://id.example.com/tenant")).toEqual([
    "https://id.example.com/.well-known/oauth-authorization-server/tenant",
    "https://id.example.com/.well-known/openid-configuration/tenant",
    "https://id.example.com/tenant/.well-known/openid-configuration",
  ]);
  expect(metadataUrls("https://id.example.com")).toEqual(["https://id.example.com/.well-known/oauth-authorization-server", "https://id.example.com/.well-known/openid-configuration"]);
  const clock = new VirtualClock(T0_MS);
  const lying = async (url: string): Promise<unknown> => (url.endsWith("/jwks") ? { keys: [publicJwk] } : { issuer: "https://evil.example.com", jwks_uri: "https://id.example.com/tenant/jwks" });
  const check = await verifier(clock, lying).verify(await sign({}));
  expect(check.kind).toBe("unavailable");
  expect(check.kind === "unavailable" && check.reason).toContain("names the issuer \"https://evil.example.com\", expected `https://id.example.com/tenant`");
});

test("the JWKS is cached, refetched when older than its max age, and an unknown kid refetches at most once per cooldown", async () => {
  const clock = new VirtualClock(T0_MS);
  let keys = [publicJwk];
  const { fetchJson, requests } = issuer(() => keys);
  const v = verifier(clock, fetchJson, { jwksCooldownSeconds: 30, jwksMaxAgeSeconds: 600 });
  const jwks = () => requests.filter((r) => r.endsWith("/jwks")).length;
  const token = await sign({ exp: T0_MS / 1000 + 3600 });
  for (let i = 0; i < 3; i++) expect((await v.verify(token)).kind).toBe("valid");
  expect(jwks()).toBe(1);
  // A rotated key: unknown until the set is fetched again, which the cooldown allows after 30 s.
  const next = await generateKeyPair("ES256", { extractable: true });
  keys = [{ ...(await exportJWK(next.publicKey)), kid: "k2", alg: "ES256" }, publicJwk];
  const rotated = await new SignJWT({ iss: ISSUER, aud: RESOURCE, exp: T0_MS / 1000 + 3600 }).setProtectedHeader({ alg: "ES256", kid: "k2" }).sign(next.privateKey);
  await clock.advanceBy(10_000);
  expect(await v.verify(rotated)).toEqual({ kind: "invalid", reason: "the token is signed with a key its issuer does not publish" });
  expect(jwks()).toBe(1);
  await clock.advanceBy(20_000);
  expect((await v.verify(rotated)).kind).toBe("valid");
  expect(jwks()).toBe(2);
  const made = await new SignJWT({ iss: ISSUER, aud: RESOURCE, exp: T0_MS / 1000 + 3600 }).setProtectedHeader({ alg: "ES256", kid: "nope" }).sign(next.privateKey);
  for (let i = 0; i < 10; i++) await v.verify(made);
  expect(jwks()).toBe(2);
  await clock.advanceBy(600_000);
  expect((await v.verify(rotated)).kind).toBe("valid");
  expect(jwks()).toBe(3);
});

test("an issuer that cannot be reached makes tokens unverifiable (503), and is asked again only after the cooldown", async () => {
  const clock = new VirtualClock(T0_MS);
  let calls = 0;
  const down = async (): Promise<unknown> => {
    calls++;
    throw new Error("connect ECONNREFUSED");
  };
  const v = verifier(clock, down);
  const token = await sign({});
  expect((await v.verify(token)).kind).toBe("unavailable");
  const afterFirst = calls;
  expect((await v.verify(token)).kind).toBe("unavailable");
  expect(calls).toBe(afterFirst);
  await clock.advanceBy(30_000);
  await v.verify(token);
  expect(calls).toBeGreaterThan(afterFirst);
});

test("a verified JWT is remembered, yet judged against exp on the clock at every use", async () => {
  const clock = new VirtualClock(T0_MS);
  const { fetchJson } = issuer(() => [publicJwk]);
  const v = verifier(clock, fetchJson, { clockSkewSeconds: 0 });
  const token = await sign({ exp: T0_MS / 1000 + 20 });
  const first = await v.verify(token);
  const second = await v.verify(token);
  expect(second.kind === "valid" && first.kind === "valid" && second.claims).toBe(first.kind === "valid" && first.claims); // the same claims object: not verified again
  await clock.advanceBy(19_000);
  expect((await v.verify(token)).kind).toBe("valid");
  await clock.advanceBy(1_000); // exp, still within the remembering time
  expect(await v.verify(token)).toEqual({ kind: "invalid", reason: "the token has expired" });
});

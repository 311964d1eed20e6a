/**
 * RFC 7662 introspection of opaque access tokens: a POST of the token to the issuer's
 * introspection endpoint (configured, or `introspection_endpoint` from its metadata) with the
 * resource's client credentials (HTTP Basic, the secret read from the environment variable the
 * config names). The answer counts only when `active` is true, `iss` (if given) is the issuer,
 * `aud` names this resource and `exp` (if given) is not past on the gateway's clock (with skew).
 * Answers are kept for `cacheMs` (never past the token's `exp`) under the token's SHA-256, so a
 * 2026-07-28 client that authenticates every request does not cost one round trip per request.
 */
import { createHash } from "node:crypto";
import type { Clock } from "../../core/clock.js";
import { messageOf } from "../../core/errors.js";
import type { IssuerConfig } from "./identity-config.js";
import { fetchJson as defaultFetchJson, type FetchJson, type IssuerKeys } from "./issuer-keys.js";
import type { TokenCheck } from "./token-check.js";

/** Cached answers kept at most; the oldest go first. */
export const MAX_INTROSPECTION_CACHE = 10_000;

export interface IntrospectionOptions {
  readonly issuer: IssuerConfig;
  readonly keys: IssuerKeys;
  readonly resource: string;
  readonly clock: Clock;
  readonly skewSeconds: number;
  readonly cacheMs: number;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly fetchJson?: FetchJson;
}

export class Introspection {
  private readonly cache = new Map<string, { readonly check: TokenCheck; readonly untilMs: number }>();
  private readonly fetchJson: FetchJson;

  constructor(private readonly o: IntrospectionOptions) {
    this.fetchJson = o.fetchJson ?? defaultFetchJson;
  }

  async check(token: string): Promise<TokenCheck> {
    const key = createHash("sha256").update(token, "utf8").digest("hex");
    const now = this.o.clock.nowMs();
    const cached = this.cache.get(key);
    if (cached !== undefined && now < cached.untilMs) return cached.check;
    const config = this.o.issuer.introspection!;
    const secret = this.o.env[config.clientSecretEnv];
    if (secret === undefined || secret === "") return { kind: "unavailable", reason: `the introspection client secret is not set (environment variable \`${config.clientSecretEnv}\`)` };
    let endpoint = config.endpoint;
    let answer: unknown;
    try {
      endpoint ??= (await this.o.keys.discover()).introspection_endpoint;
      if (typeof endpoint !== "string") return { kind: "unavailable", reason: `the issuer \`${this.o.issuer.issuer}\` names no introspection endpoint` };
      const basic = Buffer.from(`${encodeURIComponent(config.clientId)}:${encodeURIComponent(secret)}`).toString("base64");
      answer = await this.fetchJson(endpoint, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json", authorization: `Basic ${basic}` },
        body: new URLSearchParams({ token, token_type_hint: "access_token" }).toString(),
      });
    } catch (error) {
      return { kind: "unavailable", reason: `introspection at the issuer \`${this.o.issuer.issuer}\` failed: ${messageOf(error)}` };
    }
    const check = this.judge(answer, now);
    const exp = (answer as { exp?: unknown } | null)?.exp;
    const untilMs = Math.min(now + this.o.cacheMs, typeof exp === "number" ? exp * 1000 : Number.POSITIVE_INFINITY);
    if (this.o.cacheMs > 0 && untilMs > now) {
      if (this.cache.size >= MAX_INTROSPECTION_CACHE) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(key, { check, untilMs });
    }
    return check;
  }

  private judge(answer: unknown, nowMs: number): TokenCheck {
    if (answer === null || typeof answer !== "object" || Array.isArray(answer)) return { kind: "invalid", reason: "the introspection answer is not an object" };
    const claims = answer as Record<string, unknown>;
    if (claims.active !== true) return { kind: "invalid", reason: "the token is not active" };
    if (claims.iss !== undefined && claims.iss !== this.o.issuer.issuer) return { kind: "invalid", reason: "the token's issuer is not trusted by this resource" };
    const aud = claims.aud;
    const audiences = Array.isArray(aud) ? aud : [aud];
    if (!audiences.includes(this.o.resource)) return { kind: "invalid", reason: "the token is not for this resource (aud)" };
    const skewMs = this.o.skewSeconds * 1000;
    if (typeof claims.exp === "number" && claims.exp * 1000 + skewMs <= nowMs) return { kind: "invalid", reason: "the token has expired" };
    if (typeof claims.nbf === "number" && claims.nbf * 1000 - skewMs > nowMs) return { kind: "invalid", reason: "the token is not valid yet (nbf)" };
    const { active: _active, ...rest } = claims;
    return { kind: "valid", claims: { iss: this.o.issuer.issuer, ...rest } };
  }
}

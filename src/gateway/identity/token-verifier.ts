/**
 * Access tokens from identity providers, checked as an OAuth 2.1 resource server must: a JWT
 * (three dot-separated parts) is verified with jose against its issuer's JWKS — `iss` one of the
 * configured issuers, `aud` this resource, `exp` required, `exp`/`nbf` with the configured skew on
 * the gateway's clock, only the allowed asymmetric algorithms; any other token goes to RFC 7662
 * introspection when an issuer has it configured. The outcome is a value: the claims, or why not
 * (a reason for the `WWW-Authenticate` description and the log, never the token).
 *
 * A JWT that verified is remembered under its SHA-256 for up to `VERIFIED_CACHE_MS` (a signature
 * check costs far more than a hash, and a 2026-07-28 client sends its token with every request);
 * a remembered token is still judged against `exp` and `nbf` on the clock at every use.
 */
import { createHash } from "node:crypto";
import { decodeJwt, errors, jwtVerify } from "jose";
import type { Clock } from "../../core/clock.js";
import { messageOf } from "../../core/errors.js";
import { ASYMMETRIC_ALGORITHMS, DEFAULT_CLOCK_SKEW_SECONDS, DEFAULT_INTROSPECTION_CACHE_SECONDS, DEFAULT_JWKS_COOLDOWN_SECONDS, DEFAULT_JWKS_MAX_AGE_SECONDS, type IssuerConfig, type OAuthConfig } from "./identity-config.js";
import { IssuerKeys, KeysUnavailable, type FetchJson } from "./issuer-keys.js";
import type { Claims, TokenCheck } from "./token-check.js";
import { Introspection } from "./token-introspection.js";


export interface TokenVerifierOptions {
  readonly oauth: OAuthConfig;
  readonly clock: Clock;
  /** Environment for introspection client secrets. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly fetchJson?: FetchJson;
  readonly log?: (line: object) => void;
}

interface IssuerEntry {
  readonly config: IssuerConfig;
  readonly keys: IssuerKeys;
  readonly introspection: Introspection | undefined;
}

/** How long a verified JWT is remembered, and how many at most (the oldest go first). */
export const VERIFIED_CACHE_MS = 60_000;
export const MAX_VERIFIED_CACHE = 10_000;

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;

export class TokenVerifier {
  private readonly issuers = new Map<string, IssuerEntry>();
  private readonly skewSeconds: number;
  private readonly verified = new Map<string, { readonly claims: Claims; readonly untilMs: number }>();

  constructor(private readonly o: TokenVerifierOptions) {
    const { oauth } = o;
    this.skewSeconds = oauth.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS;
    for (const config of oauth.issuers) {
      const keys = new IssuerKeys({
        config,
        clock: o.clock,
        maxAgeMs: (oauth.jwksMaxAgeSeconds ?? DEFAULT_JWKS_MAX_AGE_SECONDS) * 1000,
        cooldownMs: (oauth.jwksCooldownSeconds ?? DEFAULT_JWKS_COOLDOWN_SECONDS) * 1000,
        ...(o.fetchJson ? { fetchJson: o.fetchJson } : {}),
        ...(o.log ? { log: o.log } : {}),
      });
      const introspection =
        config.introspection === undefined
          ? undefined
          : new Introspection({ issuer: config, keys, resource: oauth.resource, clock: o.clock, skewSeconds: this.skewSeconds, cacheMs: (oauth.introspectionCacheSeconds ?? DEFAULT_INTROSPECTION_CACHE_SECONDS) * 1000, env: o.env, ...(o.fetchJson ? { fetchJson: o.fetchJson } : {}) });
      this.issuers.set(config.issuer, { config, keys, introspection });
    }
  }

  /** The keys of `issuer` (tests count their fetches). */
  keysOf(issuer: string): IssuerKeys | undefined {
    return this.issuers.get(issuer)?.keys;
  }

  async verify(token: string): Promise<TokenCheck> {
    if (JWT_SHAPE.test(token)) return this.verifyJwt(token);
    const introspecting = [...this.issuers.values()].filter((i) => i.introspection !== undefined);
    if (introspecting.length === 0) return { kind: "invalid", reason: "the token is not a JWT and no issuer has introspection configured" };
    let unavailable: TokenCheck | undefined;
    let invalid: TokenCheck | undefined;
    for (const issuer of introspecting) {
      const check = await issuer.introspection!.check(token);
      if (check.kind === "valid") return check;
      if (check.kind === "unavailable") unavailable ??= check;
      else invalid ??= check;
    }
    // An issuer that could not answer might have known the token: say so rather than "invalid".
    return unavailable ?? invalid!;
  }

  private async verifyJwt(token: string): Promise<TokenCheck> {
    const key = createHash("sha256").update(token, "utf8").digest("base64url");
    const nowMs = this.o.clock.nowMs();
    const remembered = this.verified.get(key);
    if (remembered !== undefined && nowMs < remembered.untilMs) return this.stillValid(remembered.claims, nowMs);
    const check = await this.verifySignedJwt(token);
    if (check.kind === "valid") {
      if (this.verified.size >= MAX_VERIFIED_CACHE) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(key, { claims: check.claims, untilMs: nowMs + VERIFIED_CACHE_MS });
    }
    return check;
  }

  /** `exp` and `nbf` of a remembered token, on the clock now (with the skew, as jose judges them). */
  private stillValid(claims: Claims, nowMs: number): TokenCheck {
    const now = Math.floor(nowMs / 1000);
    if (typeof claims.exp === "number" && claims.exp <= now - this.skewSeconds) return { kind: "invalid", reason: "the token has expired" };
    if (typeof claims.nbf === "number" && claims.nbf > now + this.skewSeconds) return { kind: "invalid", reason: "the token is not valid yet (nbf)" };
    return { kind: "valid", claims };
  }

  private async verifySignedJwt(token: string): Promise<TokenCheck> {
    let iss: unknown;
    try {
      iss = decodeJwt(token).iss;
    } catch {
      return { kind: "invalid", reason: "the token is not a well-formed JWT" };
    }
    const issuer = typeof iss === "string" ? this.issuers.get(iss) : undefined;
    if (issuer === undefined) return { kind: "invalid", reason: "the token's issuer is not trusted by this resource" };
    try {
      const { payload } = await jwtVerify(token, issuer.keys.getKey, {
        issuer: issuer.config.issuer,
        audience: this.o.oauth.resource,
        algorithms: issuer.config.algorithms ?? [...ASYMMETRIC_ALGORITHMS],
        clockTolerance: this.skewSeconds,
        currentDate: new Date(this.o.clock.nowMs()),
        requiredClaims: ["exp"],
      });
      return { kind: "valid", claims: payload };
    } catch (error) {
      if (error instanceof KeysUnavailable) return { kind: "unavailable", reason: error.message };
      return { kind: "invalid", reason: describeJoseError(error) };
    }
  }
}

/** A short reason for a failed JWT check, safe to show the caller. */
export function describeJoseError(error: unknown): string {
  if (error instanceof errors.JWTExpired) return "the token has expired";
  if (error instanceof errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case "aud":
        return "the token is not for this resource (aud)";
      case "nbf":
        return "the token is not valid yet (nbf)";
      case "iat":
        return "the token's iat is invalid";
      case "iss":
        return "the token's issuer is not trusted by this resource";
      default:
        return `the token's \`${error.claim}\` claim is ${error.reason === "missing" ? "missing" : "invalid"}`;
    }
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return "the token's signature algorithm is not allowed";
  if (error instanceof errors.JWKSNoMatchingKey) return "the token is signed with a key its issuer does not publish";
  if (error instanceof errors.JWSSignatureVerificationFailed) return "the token's signature does not verify";
  if (error instanceof errors.JWKSMultipleMatchingKeys) return "the token's key is ambiguous in its issuer's key set";
  if (error instanceof errors.JOSEError) return "the token is not a valid signed JWT";
  return `the token could not be checked: ${messageOf(error)}`;
}

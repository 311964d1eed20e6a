/**
 * An issuer's metadata and signing keys, fetched when first needed and kept on the gateway's
 * clock. Metadata is discovered as the MCP authorization spec orders it (RFC 8414 with path
 * insertion, then OpenID Connect discovery inserted and appended) and used only when its `issuer`
 * is exactly the configured one. The JWKS is refetched when older than `maxAgeMs`, and when a
 * token names a `kid` the set lacks — at most once per `cooldownMs`, so tokens with made-up key
 * ids cannot make toolgate hammer the issuer. Concurrent refreshes share one fetch. A failed
 * refresh keeps the keys already known. Key selection and signature checks are jose's
 * (`createLocalJWKSet`).
 */
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from "jose";
import type { Clock } from "../../core/clock.js";
import { messageOf } from "../../core/errors.js";
import type { IssuerConfig } from "./identity-config.js";

export interface IssuerMetadata {
  readonly issuer: string;
  readonly jwks_uri?: string;
  readonly introspection_endpoint?: string;
}

/** The issuer's keys could not be had (metadata or JWKS unreachable or invalid). */
export class KeysUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KeysUnavailable";
  }
}

export type FetchJson = (url: string, init?: RequestInit) => Promise<unknown>;

/** `fetch` with a deadline; a non-2xx answer or a body that is not JSON throws. */
export const fetchJson: FetchJson = async (url, init) => {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(5_000), redirect: "error" });
  if (!res.ok) throw new Error(`\`${url}\` answered HTTP ${res.status}`);
  return (await res.json()) as unknown;
};

/** The discovery URLs for `issuer`, in the order the MCP authorization spec gives. */
export function metadataUrls(issuer: string): string[] {
  const url = new URL(issuer);
  const path = url.pathname.replace(/\/$/, "");
  const origin = url.origin;
  if (path === "") return [`${origin}/.well-known/oauth-authorization-server`, `${origin}/.well-known/openid-configuration`];
  return [`${origin}/.well-known/oauth-authorization-server${path}`, `${origin}/.well-known/openid-configuration${path}`, `${origin}${path}/.well-known/openid-configuration`];
}

export interface IssuerKeysOptions {
  readonly config: IssuerConfig;
  readonly clock: Clock;
  readonly maxAgeMs: number;
  readonly cooldownMs: number;
  readonly fetchJson?: FetchJson;
  readonly log?: (line: object) => void;
}

export class IssuerKeys {
  private metadata: IssuerMetadata | undefined;
  private keys: JWTVerifyGetKey | undefined;
  private fetchedAtMs = Number.NEGATIVE_INFINITY;
  private refreshing: Promise<void> | undefined;
  private readonly fetchJson: FetchJson;
  /** How many times the JWKS was fetched (for tests and logs). */
  fetches = 0;

  constructor(private readonly o: IssuerKeysOptions) {
    this.fetchJson = o.fetchJson ?? fetchJson;
  }

  /** The jose key resolver: the known key for the token's header, refreshing the set as described above. */
  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    const now = this.o.clock.nowMs();
    if (this.keys === undefined && now - this.fetchedAtMs < this.o.cooldownMs) throw new KeysUnavailable(`the keys of the issuer \`${this.o.config.issuer}\` are unavailable; retrying after the cooldown`);
    if (this.keys === undefined || now - this.fetchedAtMs >= this.o.maxAgeMs) await this.refresh();
    try {
      return await this.keys!(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey) || this.o.clock.nowMs() - this.fetchedAtMs < this.o.cooldownMs) throw error;
      await this.refresh();
      return await this.keys!(header, token);
    }
  };

  /** The issuer's metadata (discovered once, retried after a failure). */
  async discover(): Promise<IssuerMetadata> {
    if (this.metadata) return this.metadata;
    const problems: string[] = [];
    for (const url of metadataUrls(this.o.config.issuer)) {
      let doc: unknown;
      try {
        doc = await this.fetchJson(url);
      } catch (error) {
        problems.push(messageOf(error));
        continue;
      }
      const issuer = (doc as { issuer?: unknown } | null)?.issuer;
      if (issuer !== this.o.config.issuer) {
        problems.push(`\`${url}\` names the issuer ${JSON.stringify(issuer)}, expected \`${this.o.config.issuer}\``);
        continue;
      }
      this.metadata = doc as IssuerMetadata;
      return this.metadata;
    }
    throw new KeysUnavailable(`cannot discover the metadata of the issuer \`${this.o.config.issuer}\`: ${problems.join("; ")}`);
  }

  private refresh(): Promise<void> {
    this.refreshing ??= this.load().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async load(): Promise<void> {
    try {
      const jwksUri = this.o.config.jwksUri ?? (await this.discover()).jwks_uri;
      if (typeof jwksUri !== "string") throw new KeysUnavailable(`the metadata of the issuer \`${this.o.config.issuer}\` has no \`jwks_uri\``);
      this.fetches++;
      const jwks = (await this.fetchJson(jwksUri)) as JSONWebKeySet;
      this.keys = createLocalJWKSet(jwks);
      this.fetchedAtMs = this.o.clock.nowMs();
      this.o.log?.({ level: "info", event: "jwks_fetched", issuer: this.o.config.issuer, keys: Array.isArray(jwks?.keys) ? jwks.keys.length : 0 });
    } catch (error) {
      // A failed refresh counts as one for the cooldown; known keys stay in use.
      this.fetchedAtMs = this.o.clock.nowMs();
      this.o.log?.({ level: "warn", event: "jwks_unavailable", issuer: this.o.config.issuer, message: messageOf(error) });
      if (this.keys === undefined) throw error instanceof KeysUnavailable ? error : new KeysUnavailable(`cannot fetch the keys of the issuer \`${this.o.config.issuer}\`: ${messageOf(error)}`);
    }
  }
}

/**
 * A real OpenID Connect provider on loopback for the identity tests (the certified
 * `oidc-provider` package): resource indicators on, so tokens are audience-bound JWT access
 * tokens (opaque for the client `opaque-bot`, for introspection); client credentials for
 * `sales-bot` and `support-bot`; an authorization-code + PKCE public client `desk-app` whose
 * users log in through the development interactions (any user name; `alice` is in the group
 * `sales-ops`); `toolgate` as the resource server's own client for introspection.
 * `rotate()` puts a new signing key first (the old one stays published), as an IdP rotating keys
 * does. Run it by itself for the README: `npx tsx test/helpers/oidc-test-provider.ts 4817 http://127.0.0.1:4818/mcp`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import { exportJWK, generateKeyPair, type JWK } from "jose";
import Provider, { errors } from "oidc-provider";

export const CLIENTS = {
  sales: { id: "sales-bot", secret: "sales-bot-secret" },
  support: { id: "support-bot", secret: "support-bot-secret" },
  opaque: { id: "opaque-bot", secret: "opaque-bot-secret" },
  introspector: { id: "toolgate", secret: "toolgate-introspection-secret" },
  desk: { id: "desk-app", redirectUri: "http://127.0.0.1:4819/callback" },
} as const;

/** Groups of the users who log in through the development interactions. */
const GROUPS: Record<string, string[]> = { alice: ["sales-ops"], bob: ["support"] };

export interface TestProvider {
  readonly issuer: string;
  readonly port: number;
  /** JWKS documents served so far. */
  jwksServed(): number;
  /** A client-credentials access token for `client` and `resource`. */
  clientToken(client: { id: string; secret: string }, resource: string, scope?: string): Promise<string>;
  /** A new signing key, first in the set; returns its kid. */
  rotate(): Promise<string>;
  stop(): Promise<void>;
}

async function signingKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, alg: "ES256", use: "sig", kid: `key-${Math.random().toString(36).slice(2, 10)}` };
}

function makeProvider(issuer: string, resources: readonly string[], keys: JWK[]): Provider {
  return new Provider(issuer, {
    clients: [
      ...[CLIENTS.sales, CLIENTS.support, CLIENTS.opaque].map((c) => ({ client_id: c.id, client_secret: c.secret, grant_types: ["client_credentials"], response_types: [], redirect_uris: [], scope: "mcp" })),
      { client_id: CLIENTS.introspector.id, client_secret: CLIENTS.introspector.secret, grant_types: [], response_types: [], redirect_uris: [] },
      { client_id: CLIENTS.desk.id, token_endpoint_auth_method: "none", grant_types: ["authorization_code"], response_types: ["code"], redirect_uris: [CLIENTS.desk.redirectUri], scope: "openid mcp" },
    ],
    jwks: { keys: keys as never },
    cookies: { keys: ["toolgate-test-cookie-key"] },
    clientDefaults: { id_token_signed_response_alg: "ES256" },
    scopes: ["openid", "mcp"],
    ttl: { ClientCredentials: 3600, AccessToken: 3600, AuthorizationCode: 60, Grant: 3600, Interaction: 600, Session: 3600 },
    findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
    extraTokenClaims: (_ctx, token) => {
      const account = (token as { accountId?: string }).accountId;
      return account !== undefined && GROUPS[account] ? { groups: GROUPS[account] } : undefined;
    },
    features: {
      clientCredentials: { enabled: true },
      introspection: { enabled: true, allowedPolicy: () => true },
      devInteractions: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => resources[0]!,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, indicator, client) => {
          if (!resources.includes(indicator)) throw new errors.InvalidTarget();
          return { scope: "mcp", audience: indicator, accessTokenTTL: 3600, accessTokenFormat: client.clientId === CLIENTS.opaque.id ? "opaque" : "jwt", jwt: { sign: { alg: "ES256" } } };
        },
      },
    },
  });
}

/** Starts the provider on `port` (0: any free one); it issues tokens for `resources`. */
export async function startTestProvider(resources: readonly string[], port = 0): Promise<TestProvider> {
  let served = 0;
  let keys = [await signingKey()];
  let provider: Provider | undefined;
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const server: Server = createServer((req, res) => {
    if (req.url === "/jwks") served++;
    handler!(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  const issuer = `http://127.0.0.1:${actual}`;
  const install = (): void => {
    provider = makeProvider(issuer, resources, keys);
    handler = provider.callback() as (req: IncomingMessage, res: ServerResponse) => void;
  };
  install();
  return {
    issuer,
    port: actual,
    jwksServed: () => served,
    async clientToken(client, resource, scope = "mcp") {
      const res = await fetch(`${issuer}/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString("base64")}` },
        body: new URLSearchParams({ grant_type: "client_credentials", resource, scope }).toString(),
      });
      const body = (await res.json()) as { access_token?: string; error?: string; error_description?: string };
      if (!res.ok || body.access_token === undefined) throw new Error(`token request failed: HTTP ${res.status} ${body.error ?? ""} ${body.error_description ?? ""}`);
      return body.access_token;
    },
    async rotate() {
      const key = await signingKey();
      keys = [key, ...keys];
      install();
      return key.kid!;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const port = Number(process.argv[2] ?? 4817);
  const resources = process.argv.slice(3);
  const provider = await startTestProvider(resources.length > 0 ? resources : ["http://127.0.0.1:4818/mcp"], port);
  process.stdout.write(`test identity provider at ${provider.issuer}\n`);
}

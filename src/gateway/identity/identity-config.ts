/**
 * The identity part of a grants file: toolgate as an OAuth 2.1 resource server (`oauth`) and the
 * rules that turn a validated token's claims into a grant (`claimGrants`). Both sit beside the
 * static `grants`:
 *
 *   {"version": "1",
 *    "oauth": {"resource": "https://mcp.example.com/mcp",
 *              "issuers": [{"issuer": "https://id.example.com"}],
 *              "requiredScopes": ["mcp"]},
 *    "claimGrants": [{"match": {"client_id": "sales-bot"}, "id": "sales-bot", "policy": "sales.json"},
 *                    {"match": {"groups": ["support"]}, "id": "user:{sub}", "policy": "support.json"}],
 *    "grants": [ … static bearer grants … ]}
 *
 * Only asymmetric signature algorithms can be allowed: `none` and the HMAC family (HS*) are
 * rejected here, so a public key can never be used as a shared secret.
 */
import { z } from "zod";

/** Signature algorithms a JWT access token may use; the default allows all of them. */
export const ASYMMETRIC_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"] as const;
export type AsymmetricAlgorithm = (typeof ASYMMETRIC_ALGORITHMS)[number];

export const DEFAULT_CLOCK_SKEW_SECONDS = 30;
export const DEFAULT_JWKS_COOLDOWN_SECONDS = 30;
export const DEFAULT_JWKS_MAX_AGE_SECONDS = 600;
export const DEFAULT_INTROSPECTION_CACHE_SECONDS = 30;
export const DEFAULT_GROUPS_CLAIM = "groups";

/** Placeholders a claim grant's `id` may use, and the claim each reads. */
export const ID_PLACEHOLDERS = { sub: "sub", client_id: "client_id" } as const;

const httpUrl = (what: string) =>
  z.string().refine(
    (value) => {
      try {
        const url = new URL(value);
        return (url.protocol === "https:" || url.protocol === "http:") && url.hash === "" && url.search === "";
      } catch {
        return false;
      }
    },
    { message: `expected ${what} as an absolute http(s) URL without query or fragment` },
  );

const scopeToken = z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, "expected a scope token (printable ASCII without spaces, `\"` or `\\`)");

const algorithm = z.string().refine((a) => (ASYMMETRIC_ALGORITHMS as readonly string[]).includes(a), {
  message: `expected one of ${ASYMMETRIC_ALGORITHMS.join(", ")}; \`none\` and HS* (shared-secret) algorithms are never accepted`,
});

const IntrospectionSchema = z.strictObject({
  /** RFC 7662 endpoint; default: `introspection_endpoint` from the issuer's metadata. */
  endpoint: httpUrl("the introspection endpoint").optional(),
  clientId: z.string().min(1),
  /** The environment variable holding the client secret (never the secret itself). */
  clientSecretEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "expected the name of an environment variable"),
});

const IssuerSchema = z.strictObject({
  /** Compared exactly with the token's `iss` and the metadata's `issuer`. */
  issuer: httpUrl("the issuer"),
  /** Default: `jwks_uri` from the issuer's metadata (RFC 8414 / OpenID Connect discovery). */
  jwksUri: httpUrl("the JWKS URI").optional(),
  algorithms: z.array(algorithm).min(1).optional(),
  /** Opaque (non-JWT) tokens are checked with RFC 7662 introspection when this is given. */
  introspection: IntrospectionSchema.optional(),
});

export const OAuthSchema = z.strictObject({
  /** This resource's identifier (RFC 8707): tokens must carry it in `aud`. */
  resource: httpUrl("the resource identifier"),
  issuers: z.array(IssuerSchema).min(1, "expected at least one issuer"),
  /** Every token must carry these scopes (else 403 `insufficient_scope`). */
  requiredScopes: z.array(scopeToken).optional(),
  /** Shown in the protected resource metadata; default: the required scopes and those the rules name. */
  scopesSupported: z.array(scopeToken).optional(),
  /** The claim holding the caller's groups: a name or a dotted path (`realm_access.roles`). */
  groupsClaim: z.string().regex(/^[^.\s]+(\.[^.\s]+)*$/, "expected a claim name or a dotted path such as `realm_access.roles`").optional(),
  clockSkewSeconds: z.number().int().min(0).max(300).optional(),
  /** An unknown `kid` refetches the JWKS at most once per this many seconds. */
  jwksCooldownSeconds: z.number().int().min(1).max(3600).optional(),
  /** The JWKS is refetched when older than this. */
  jwksMaxAgeSeconds: z.number().int().min(1).max(86_400).optional(),
  /** How long an introspection answer is reused (0: never). */
  introspectionCacheSeconds: z.number().int().min(0).max(3600).optional(),
});

const oneOrMany = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

const ClaimMatchSchema = z.strictObject({
  iss: oneOrMany.optional(),
  sub: oneOrMany.optional(),
  /** Matches `client_id`, or `azp` when the token has no `client_id`. */
  client_id: oneOrMany.optional(),
  /** Every listed scope must be granted. */
  scope: z.array(scopeToken).min(1).optional(),
  /** The caller must be in at least one listed group (`groupsClaim`). */
  groups: z.array(z.string().min(1)).min(1).optional(),
});

const ID_TEMPLATE = /^([A-Za-z0-9._:@-]|\{(sub|client_id)\})+$/;

const ClaimGrantSchema = z.strictObject({
  match: ClaimMatchSchema,
  /** The grant id: fixed (`sales-bots`) or from the token (`user:{sub}`, `{client_id}`). */
  id: z.string().refine((id) => id.length <= 128 && ID_TEMPLATE.test(id), { message: "expected a grant id of at most 128 letters, digits or `._:@-`, optionally with `{sub}` or `{client_id}`" }),
  policy: z.string().min(1, "expected a policy file path").optional(),
  description: z.string().optional(),
});

export const ClaimGrantsSchema = z.array(ClaimGrantSchema).min(1, "expected at least one claim grant rule");

export type OAuthConfig = z.output<typeof OAuthSchema>;
export type IssuerConfig = OAuthConfig["issuers"][number];
export type ClaimGrantEntry = z.output<typeof ClaimGrantSchema>;
export type ClaimMatch = ClaimGrantEntry["match"];

/** Whether a claim grant's id depends on the token (has a placeholder). */
export function isIdTemplate(id: string): boolean {
  return id.includes("{");
}

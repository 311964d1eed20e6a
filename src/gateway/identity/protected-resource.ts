/**
 * OAuth 2.0 Protected Resource Metadata (RFC 9728) for toolgate's MCP endpoint, and the
 * `WWW-Authenticate` challenges that point to it. The document is served at the well-known URI
 * built from the resource identifier (`/.well-known/oauth-protected-resource` + the resource's
 * path, e.g. `/.well-known/oauth-protected-resource/mcp`) and, as the MCP authorization spec
 * allows for path-bearing endpoints, at the root well-known URI too.
 */
import type { OAuthConfig } from "./identity-config.js";

export const WELL_KNOWN_PRM = "/.well-known/oauth-protected-resource";

export interface ProtectedResource {
  /** The metadata document. */
  readonly document: Readonly<Record<string, unknown>>;
  /** Absolute URL of the document (the challenges' `resource_metadata`). */
  readonly metadataUrl: string;
  /** Request paths that answer with the document. */
  readonly paths: readonly string[];
  /** Scopes every token needs (`scope` on a 401 without a token). */
  readonly requiredScopes: readonly string[];
}

export function protectedResource(oauth: OAuthConfig, ruleScopes: readonly string[]): ProtectedResource {
  const url = new URL(oauth.resource);
  const path = url.pathname === "/" ? "" : url.pathname.replace(/\/$/, "");
  const requiredScopes = oauth.requiredScopes ?? [];
  const scopes = oauth.scopesSupported ?? [...new Set([...requiredScopes, ...ruleScopes])];
  const document = {
    resource: oauth.resource,
    authorization_servers: oauth.issuers.map((i) => i.issuer),
    ...(scopes.length > 0 ? { scopes_supported: scopes } : {}),
    bearer_methods_supported: ["header"],
    resource_name: "toolgate",
  };
  return { document, metadataUrl: `${url.origin}${WELL_KNOWN_PRM}${path}`, paths: [...new Set([`${WELL_KNOWN_PRM}${path}`, WELL_KNOWN_PRM])], requiredScopes };
}

/** What a challenge says (RFC 6750 section 3, RFC 9728 section 5.1). */
export interface Challenge {
  readonly resourceMetadata?: string;
  readonly error?: "invalid_token" | "insufficient_scope" | "invalid_request";
  readonly description?: string;
  readonly scope?: readonly string[];
}

/** `Bearer realm="toolgate", resource_metadata="…", error="…", error_description="…", scope="…"`. */
export function challengeHeader(challenge: Challenge): string {
  const params: string[] = ['realm="toolgate"'];
  if (challenge.resourceMetadata !== undefined) params.push(`resource_metadata="${quoted(challenge.resourceMetadata)}"`);
  if (challenge.error !== undefined) params.push(`error="${challenge.error}"`);
  if (challenge.description !== undefined) params.push(`error_description="${quoted(challenge.description)}"`);
  if (challenge.scope !== undefined && challenge.scope.length > 0) params.push(`scope="${quoted(challenge.scope.join(" "))}"`);
  return `Bearer ${params.join(", ")}`;
}

/** RFC 6750 allows %x20-21 / %x23-5B / %x5D-7E in these values: drop anything else. */
function quoted(value: string): string {
  return value.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, "");
}

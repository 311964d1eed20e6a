/**
 * From an `Authorization` header to a grant: a static bearer token (its digest in the grants
 * file) first, else an access token from a configured issuer (`token-verifier.ts`) whose claims
 * carry the required scopes and match a claim grant rule (`claim-grants.ts`). The outcome names
 * the grant, the caller (claims, `sub`, `client_id`, the rule's policy) and the owner that may
 * reuse a session — grant id and policy, so a session is never shared across two policies.
 * Tokens are never logged; refusals are logged with their reason and the token's `sub` and
 * `client_id` when the token was genuine.
 */
import type { Caller } from "../caller.js";
import type { GrantTable, IdentityGrants } from "../grants.js";
import type { AuthOutcome } from "../http/request-guards.js";
import { ClaimGrants, clientIdOf, scopesOf } from "./claim-grants.js";
import { DEFAULT_GROUPS_CLAIM } from "./identity-config.js";
import type { TokenVerifier } from "./token-verifier.js";

/** `Bearer <token68>`, scheme case-insensitive; anything else is malformed. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

export interface AuthenticatorOptions {
  /** Static bearer grants (may hold none). */
  readonly table: GrantTable;
  readonly identity?: IdentityGrants;
  readonly verifier?: TokenVerifier;
  readonly log?: (line: object) => void;
}

export class Authenticator {
  private readonly claimGrants: ClaimGrants | undefined;

  constructor(private readonly o: AuthenticatorOptions) {
    const staticIds = new Set(o.table.grants.map((g) => g.id));
    this.claimGrants = o.identity ? new ClaimGrants(o.identity.rules, o.identity.oauth.groupsClaim ?? DEFAULT_GROUPS_CLAIM, staticIds) : undefined;
  }

  async authenticate(authorization: string | undefined): Promise<AuthOutcome> {
    if (authorization === undefined || authorization === "") return { kind: "missing" };
    const m = BEARER.exec(authorization);
    if (!m) return { kind: "malformed" };
    const token = m[1]!;
    const grant = this.o.table.lookup(token);
    if (grant) return { kind: "ok", grantId: grant.id };
    if (this.o.verifier === undefined || this.claimGrants === undefined || this.o.identity === undefined) return { kind: "invalid" };
    const check = await this.o.verifier.verify(token);
    if (check.kind === "unavailable") {
      this.o.log?.({ level: "error", event: "token_unverifiable", message: check.reason });
      return { kind: "unavailable", description: "the token cannot be checked now (its issuer is unreachable)" };
    }
    if (check.kind === "invalid") return { kind: "invalid", description: check.reason };
    const claims = check.claims;
    const who = identityOf(claims);
    const scopes = scopesOf(claims);
    const required = this.o.identity.oauth.requiredScopes ?? [];
    if (required.some((s) => !scopes.has(s))) {
      this.o.log?.({ level: "warn", event: "token_forbidden", reason: "required scopes missing", ...who });
      return { kind: "forbidden", description: "the token lacks a scope this resource requires", scope: required };
    }
    const found = this.claimGrants.grantFor(claims);
    if (found.kind === "none") {
      this.o.log?.({ level: "warn", event: "token_forbidden", reason: "no claim grant rule matches", ...who });
      return { kind: "forbidden", description: found.scope ? "the token lacks a scope its grant rule requires" : "no grant rule matches the token", ...(found.scope ? { scope: [...new Set([...required, ...found.scope])] } : {}) };
    }
    const { rule, grantId } = found;
    const caller: Caller = { claims, ...(who.sub !== undefined ? { subject: who.sub } : {}), ...(who.clientId !== undefined ? { clientId: who.clientId } : {}), policyKey: rule.policyKey };
    return { kind: "ok", grantId, owner: `${grantId}\u0000${rule.policyKey}`, caller };
  }
}

function identityOf(claims: Readonly<Record<string, unknown>>): { sub?: string; clientId?: string } {
  const sub = typeof claims.sub === "string" ? claims.sub : undefined;
  const clientId = clientIdOf(claims);
  return { ...(sub !== undefined ? { sub } : {}), ...(clientId !== undefined ? { clientId } : {}) };
}

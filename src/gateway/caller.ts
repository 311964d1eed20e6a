/**
 * Who sent a request, as far as the gateway needs to know: the claims of the caller's validated
 * token (policy conditions read them as `claims.…`), its subject and client for the audit line,
 * and which policy its grant rule gave it. Never the token.
 */
export interface Caller {
  readonly claims: Readonly<Record<string, unknown>>;
  /** The token's `sub`. */
  readonly subject?: string;
  /** The token's `client_id` (or `azp`). */
  readonly clientId?: string;
  /** The key of this caller's policy in the policy table, when it is not the grant id (claim grants). */
  readonly policyKey?: string;
}

/** The caller of the request being handled now; read once per request, when it arrives. */
export type CallerOf = () => Caller | undefined;

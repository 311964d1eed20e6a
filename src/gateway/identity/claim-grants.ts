/**
 * Grants from claims: the first `claimGrants` rule whose `match` holds for a validated token's
 * claims gives the grant id (fixed, or from `{sub}` / `{client_id}`) and the policy. `iss`,
 * `sub` and `client_id` (or `azp`) match one of the listed values; `scope` needs every listed
 * scope; `groups` needs at least one listed group in the groups claim. A rule whose id needs a
 * claim the token lacks does not match. A derived id that is not printable ASCII, or that is the
 * id of a static grant, gives no grant (a token must not borrow a static grant's counters).
 */
import type { ClaimGrantRule } from "../grants.js";
import type { ClaimMatch } from "./identity-config.js";

export type ClaimGrantOutcome =
  | { readonly kind: "grant"; readonly grantId: string; readonly rule: ClaimGrantRule }
  /** `scope`: what a rule that otherwise matches needs beyond the token's scopes. */
  | { readonly kind: "none"; readonly scope?: readonly string[] };

/** `scope` (space-separated, RFC 8693/9068) or `scp` (a list or a string, as Entra and Okta send it). */
export function scopesOf(claims: Readonly<Record<string, unknown>>): Set<string> {
  const out = new Set<string>();
  for (const value of [claims.scope, claims.scp]) {
    if (typeof value === "string") for (const s of value.split(" ")) if (s !== "") out.add(s);
    if (Array.isArray(value)) for (const s of value) if (typeof s === "string") out.add(s);
  }
  return out;
}

/** `client_id`, else `azp`. */
export function clientIdOf(claims: Readonly<Record<string, unknown>>): string | undefined {
  const id = claims.client_id ?? claims.azp;
  return typeof id === "string" ? id : undefined;
}

/** The value at a dotted claim path (`realm_access.roles`). */
export function claimAt(claims: Readonly<Record<string, unknown>>, path: string): unknown {
  let value: unknown = claims;
  for (const key of path.split(".")) {
    if (value === null || typeof value !== "object" || Array.isArray(value) || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

const DERIVED_ID = /^[\x21-\x7e]{1,256}$/;

export class ClaimGrants {
  constructor(
    private readonly rules: readonly ClaimGrantRule[],
    private readonly groupsClaim: string,
    private readonly staticIds: ReadonlySet<string>,
  ) {}

  grantFor(claims: Readonly<Record<string, unknown>>): ClaimGrantOutcome {
    const scopes = scopesOf(claims);
    let missing: string[] | undefined;
    for (const rule of this.rules) {
      const { match } = rule.entry;
      if (!this.identityMatches(match, claims)) continue;
      const lacking = (match.scope ?? []).filter((s) => !scopes.has(s));
      if (lacking.length > 0) {
        missing ??= match.scope!.slice();
        continue;
      }
      const grantId = grantIdOf(rule.entry.id, claims);
      if (grantId === undefined || !DERIVED_ID.test(grantId) || this.staticIds.has(grantId)) continue;
      return { kind: "grant", grantId, rule };
    }
    return missing === undefined ? { kind: "none" } : { kind: "none", scope: missing };
  }

  private identityMatches(match: ClaimMatch, claims: Readonly<Record<string, unknown>>): boolean {
    if (!oneOf(match.iss, claims.iss)) return false;
    if (!oneOf(match.sub, claims.sub)) return false;
    if (!oneOf(match.client_id, clientIdOf(claims))) return false;
    if (match.groups !== undefined) {
      const held = claimAt(claims, this.groupsClaim);
      const groups = Array.isArray(held) ? held.filter((g): g is string => typeof g === "string") : typeof held === "string" ? [held] : [];
      if (!match.groups.some((g) => groups.includes(g))) return false;
    }
    return true;
  }
}

function oneOf(wanted: string | readonly string[] | undefined, value: unknown): boolean {
  if (wanted === undefined) return true;
  if (typeof value !== "string") return false;
  return typeof wanted === "string" ? wanted === value : wanted.includes(value);
}

/** The rule's id with `{sub}` and `{client_id}` filled in; undefined when the token lacks one. */
export function grantIdOf(template: string, claims: Readonly<Record<string, unknown>>): string | undefined {
  let missing = false;
  const id = template.replace(/\{(sub|client_id)\}/g, (_all, name: string) => {
    const value = name === "sub" ? claims.sub : clientIdOf(claims);
    if (typeof value !== "string" || value === "") {
      missing = true;
      return "";
    }
    return value;
  });
  return missing ? undefined : id;
}

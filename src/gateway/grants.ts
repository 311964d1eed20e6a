/**
 * Grants (docs/architecture.md#grants-approvals-and-audit): a bearer token bound to a grant id and a policy. The grants file holds only
 * SHA-256 digests of tokens, never tokens:
 *
 *   {"version": "1",
 *    "grants": [{"id": "sales-agent", "tokenSha256": "<64 hex digits>", "policy": "policies/sales.json"}]}
 *
 * `policy` is a path relative to the grants file; without it the grant uses `--policy`. Ids and
 * digests are unique. A digest is made with `printf %s TOKEN | sha256sum`. Beside them, `oauth` and
 * `claimGrants` give grants to access tokens from identity providers (`identity/identity-config.ts`);
 * their policies load here too, each keyed in the policy table by `claimPolicyKey(file)`.
 *
 * Lookup hashes the presented token and compares the digest with every grant's digest with
 * `crypto.timingSafeEqual`, never stopping early, so the time taken does not depend on which
 * grant (if any) matched or on how many leading bytes agreed.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { z } from "zod";
import { messageOf, type Issue, type Parsed } from "../core/errors.js";
import { parseJsonText } from "../core/json-text.js";
import { parsePolicyText, type CompiledPolicy } from "../policy/load-policy.js";
import { errorMap, issuesFromZod } from "../core/schema-issues.js";
import { ClaimGrantsSchema, isIdTemplate, OAuthSchema, type ClaimGrantEntry, type OAuthConfig } from "./identity/identity-config.js";

export const GrantIdSchema = z.string().regex(/^[A-Za-z0-9._:@-]{1,128}$/, "expected a grant id of 1–128 letters, digits or `._:@-`");
export const TokenSha256Schema = z.string().regex(/^[0-9a-fA-F]{64}$/, "expected the SHA-256 of the token as 64 hex digits (`printf %s TOKEN | sha256sum`)");

const GrantEntrySchema = z.strictObject({
  id: GrantIdSchema,
  tokenSha256: TokenSha256Schema,
  policy: z.string().min(1, "expected a policy file path").optional(),
  description: z.string().optional(),
});

export const GrantsFileSchema = z.strictObject({
  version: z.literal("1"),
  /** Static bearer grants; may be empty (or absent) when `claimGrants` give grants from tokens. */
  grants: z.array(GrantEntrySchema).optional(),
  /** toolgate as an OAuth 2.1 resource server (`identity/identity-config.ts`). */
  oauth: OAuthSchema.optional(),
  /** Claims of a validated token → a grant id and its policy; the first rule that matches wins. */
  claimGrants: ClaimGrantsSchema.optional(),
});

export type GrantsFile = z.output<typeof GrantsFileSchema>;

export interface Grant {
  readonly id: string;
  /** Absolute path of the grant's policy file. */
  readonly policyFile: string;
  readonly policy: CompiledPolicy;
  /** The 32-byte digest of the grant's token. */
  readonly digest: Buffer;
}

/** A claim grant rule with its policy loaded (`identity/claim-grants.ts` matches it). */
export interface ClaimGrantRule {
  /** Its index in `claimGrants`, for messages. */
  readonly index: number;
  readonly entry: ClaimGrantEntry;
  readonly policyFile: string;
  readonly policy: CompiledPolicy;
  /** The key of its policy in the policy table: one per policy file. */
  readonly policyKey: string;
}

/** What the grants file says about tokens from an identity provider. */
export interface IdentityGrants {
  readonly oauth: OAuthConfig;
  readonly rules: readonly ClaimGrantRule[];
}

/** The policy-table key of claim grants using `policyFile`. */
export function claimPolicyKey(policyFile: string): string {
  return `claims:${policyFile}`;
}

/** A problem in the grants file or in a policy it names: the file it is in, its JSON path. */
export interface GrantsIssue extends Issue {
  readonly file: string;
}

/**
 * Every grant id and token digest used twice among `entries` (at JSON path `base` of `file`) is an
 * issue; returns each id's first index. Shared by single-server grants files and a stack's grants.
 */
export function uniqueGrants(entries: ReadonlyArray<{ readonly id: string; readonly tokenSha256: string }>, file: string, base: string, issues: GrantsIssue[]): Map<string, number> {
  const ids = new Map<string, number>();
  const digests = new Map<string, number>();
  entries.forEach((g, index) => {
    const firstId = ids.get(g.id);
    if (firstId !== undefined) issues.push({ file, path: `${base}[${index}].id`, message: `grant id \`${g.id}\` is already used by ${base}[${firstId}]; expected unique ids` });
    else ids.set(g.id, index);
    const digest = g.tokenSha256.toLowerCase();
    const firstDigest = digests.get(digest);
    if (firstDigest !== undefined) issues.push({ file, path: `${base}[${index}].tokenSha256`, message: `the same token digest is already used by ${base}[${firstDigest}]; expected one grant per token` });
    else digests.set(digest, index);
  });
  return ids;
}

/**
 * Parses the grants file text and loads every policy it names (each once). `defaultPolicyFile`
 * is `--policy`, used by grants without `policy`. Every issue is collected.
 */
export function loadGrantsText(
  text: string,
  grantsFile: string,
  defaultPolicyFile: string | undefined,
  readText: (path: string) => string = (path) => readFileSync(path, "utf8"),
): { ok: true; value: Grant[]; identity?: IdentityGrants } | { ok: false; issues: GrantsIssue[] } {
  const issues: GrantsIssue[] = [];
  const json = parseJsonText(text);
  if (!json.ok) return { ok: false, issues: json.issues.map((i) => ({ ...i, file: grantsFile })) };
  const shape = GrantsFileSchema.safeParse(json.value, { error: errorMap, reportInput: true });
  if (!shape.success) return { ok: false, issues: issuesFromZod(shape.error.issues).map((i) => ({ ...i, file: grantsFile })) };
  const file = shape.data;
  const staticGrants = file.grants ?? [];
  const claimGrants = file.claimGrants ?? [];
  if (staticGrants.length === 0 && claimGrants.length === 0 && file.oauth === undefined) issues.push({ file: grantsFile, path: "grants", message: "expected at least one grant" });
  if (file.claimGrants !== undefined && file.oauth === undefined) issues.push({ file: grantsFile, path: "oauth", message: "missing; `claimGrants` read the claims of validated tokens, expected `oauth` naming the resource and the issuers" });
  if (file.oauth !== undefined && file.claimGrants === undefined) issues.push({ file: grantsFile, path: "claimGrants", message: "missing; with `oauth` a token needs a rule that gives it a grant, expected `claimGrants`" });
  const seenIds = uniqueGrants(staticGrants, grantsFile, "grants", issues);
  staticGrants.forEach((g, index) => {
    if (g.policy === undefined && defaultPolicyFile === undefined) {
      issues.push({ file: grantsFile, path: `grants[${index}].policy`, message: "no policy: expected a policy file path here or `--policy FILE`" });
    }
  });
  const fixedIds = new Map<string, { index: number; policy: string | undefined }>();
  claimGrants.forEach((rule, index) => {
    const at = `claimGrants[${index}]`;
    if (rule.policy === undefined && defaultPolicyFile === undefined) issues.push({ file: grantsFile, path: `${at}.policy`, message: "no policy: expected a policy file path here or `--policy FILE`" });
    if (isIdTemplate(rule.id)) return;
    const staticIndex = seenIds.get(rule.id);
    if (staticIndex !== undefined) issues.push({ file: grantsFile, path: `${at}.id`, message: `grant id \`${rule.id}\` is already used by grants[${staticIndex}]; expected claim grants and static grants to have different ids` });
    const first = fixedIds.get(rule.id);
    if (first !== undefined && first.policy !== rule.policy) issues.push({ file: grantsFile, path: `${at}.policy`, message: `grant id \`${rule.id}\` is also given by claimGrants[${first.index}] with another policy; expected one policy per grant id` });
    else if (first === undefined) fixedIds.set(rule.id, { index, policy: rule.policy });
  });
  const base = dirname(grantsFile);
  const policies = new Map<string, Parsed<CompiledPolicy> | { ok: false; unreadable: string }>();
  const load = (policyFile: string, at: string): CompiledPolicy | undefined => {
    let loaded = policies.get(policyFile);
    if (loaded === undefined) {
      let policyText: string | undefined;
      try {
        policyText = readText(policyFile);
      } catch (error) {
        loaded = { ok: false, unreadable: messageOf(error) };
      }
      if (policyText !== undefined) loaded = parsePolicyText(policyText);
      policies.set(policyFile, loaded!);
      if (loaded && !loaded.ok) {
        if ("unreadable" in loaded) issues.push({ file: grantsFile, path: at, message: `cannot read the policy file \`${policyFile}\`: ${loaded.unreadable}` });
        else for (const issue of loaded.issues) issues.push({ ...issue, file: policyFile });
      }
    }
    return loaded && loaded.ok ? loaded.value : undefined;
  };
  const grants: Grant[] = [];
  staticGrants.forEach((g, index) => {
    const policyFile = g.policy !== undefined ? resolve(base, g.policy) : defaultPolicyFile;
    if (policyFile === undefined) return;
    const policy = load(policyFile, `grants[${index}].policy`);
    if (policy) grants.push({ id: g.id, policyFile, policy, digest: Buffer.from(g.tokenSha256, "hex") });
  });
  const rules: ClaimGrantRule[] = [];
  claimGrants.forEach((entry, index) => {
    const policyFile = entry.policy !== undefined ? resolve(base, entry.policy) : defaultPolicyFile;
    if (policyFile === undefined) return;
    const policy = load(policyFile, `claimGrants[${index}].policy`);
    if (policy) rules.push({ index, entry, policyFile, policy, policyKey: claimPolicyKey(policyFile) });
  });
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, value: grants, ...(file.oauth !== undefined ? { identity: { oauth: file.oauth, rules } } : {}) };
}

export function formatGrantsIssues(issues: readonly GrantsIssue[]): string {
  return issues.map((i) => `${i.file}: ${i.path === "" ? "(root)" : i.path}: ${i.message}`).join("\n");
}

/** What a bearer lookup needs of a grant: its id and its token's digest. */
export interface TokenGrant {
  readonly id: string;
  readonly digest: Buffer;
}

export type BearerResult<G extends TokenGrant = Grant> =
  | { readonly kind: "ok"; readonly grant: G }
  | { readonly kind: "missing" }
  | { readonly kind: "malformed" }
  | { readonly kind: "invalid" };

/** `Bearer <token68>`, scheme case-insensitive; anything else is malformed. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

export class GrantTable<G extends TokenGrant = Grant> {
  private readonly digests: Buffer[];

  constructor(
    readonly grants: readonly G[],
    /** The comparison; injectable so a test can prove every digest is compared. */
    private readonly equal: (a: Buffer, b: Buffer) => boolean = timingSafeEqual,
  ) {
    this.digests = grants.map((g) => g.digest);
  }

  /** The grant whose digest matches `token`; compares against every grant, whatever matches. */
  lookup(token: string): G | undefined {
    const digest = createHash("sha256").update(token, "utf8").digest();
    let found = -1;
    for (let i = 0; i < this.digests.length; i++) {
      // Non-short-circuiting: the comparison runs for every grant.
      if (this.equal(digest, this.digests[i]!) && found === -1) found = i;
    }
    return found === -1 ? undefined : this.grants[found];
  }

  /** Reads an `Authorization` header value. */
  authenticate(authorization: string | undefined): BearerResult<G> {
    if (authorization === undefined || authorization === "") return { kind: "missing" };
    const m = BEARER.exec(authorization);
    if (!m) return { kind: "malformed" };
    const grant = this.lookup(m[1]!);
    return grant ? { kind: "ok", grant } : { kind: "invalid" };
  }
}

/** SHA-256 of a token as hex, as the grants file stores it. */
export function tokenSha256(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/**
 * Grants (docs/architecture.md#grants-approvals-and-audit): a bearer token bound to a grant id and a policy. The grants file holds only
 * SHA-256 digests of tokens, never tokens:
 *
 *   {"version": "1",
 *    "grants": [{"id": "sales-agent", "tokenSha256": "<64 hex digits>", "policy": "policies/sales.json"}]}
 *
 * `policy` is a path relative to the grants file; without it the grant uses `--policy`. Ids and
 * digests are unique. A digest is made with `printf %s TOKEN | sha256sum`.
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

const GrantEntrySchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9._:@-]{1,128}$/, "expected a grant id of 1–128 letters, digits or `._:@-`"),
  tokenSha256: z.string().regex(/^[0-9a-fA-F]{64}$/, "expected the SHA-256 of the token as 64 hex digits (`printf %s TOKEN | sha256sum`)"),
  policy: z.string().min(1, "expected a policy file path").optional(),
  description: z.string().optional(),
});

export const GrantsFileSchema = z.strictObject({
  version: z.literal("1"),
  grants: z.array(GrantEntrySchema).min(1, "expected at least one grant"),
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

/** A problem in the grants file or in a policy it names: the file it is in, its JSON path. */
export interface GrantsIssue extends Issue {
  readonly file: string;
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
): { ok: true; value: Grant[] } | { ok: false; issues: GrantsIssue[] } {
  const issues: GrantsIssue[] = [];
  const json = parseJsonText(text);
  if (!json.ok) return { ok: false, issues: json.issues.map((i) => ({ ...i, file: grantsFile })) };
  const shape = GrantsFileSchema.safeParse(json.value, { error: errorMap, reportInput: true });
  if (!shape.success) return { ok: false, issues: issuesFromZod(shape.error.issues).map((i) => ({ ...i, file: grantsFile })) };
  const seenIds = new Map<string, number>();
  const seenDigests = new Map<string, number>();
  shape.data.grants.forEach((g, index) => {
    const firstId = seenIds.get(g.id);
    if (firstId !== undefined) issues.push({ file: grantsFile, path: `grants[${index}].id`, message: `grant id \`${g.id}\` is already used by grants[${firstId}]; expected unique ids` });
    else seenIds.set(g.id, index);
    const digest = g.tokenSha256.toLowerCase();
    const firstDigest = seenDigests.get(digest);
    if (firstDigest !== undefined) issues.push({ file: grantsFile, path: `grants[${index}].tokenSha256`, message: `the same token digest is already used by grants[${firstDigest}]; expected one grant per token` });
    else seenDigests.set(digest, index);
    if (g.policy === undefined && defaultPolicyFile === undefined) {
      issues.push({ file: grantsFile, path: `grants[${index}].policy`, message: "no policy: expected a policy file path here or `--policy FILE`" });
    }
  });
  const base = dirname(grantsFile);
  const policies = new Map<string, Parsed<CompiledPolicy> | { ok: false; unreadable: string }>();
  const grants: Grant[] = [];
  shape.data.grants.forEach((g, index) => {
    const policyFile = g.policy !== undefined ? resolve(base, g.policy) : defaultPolicyFile;
    if (policyFile === undefined) return;
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
        if ("unreadable" in loaded) issues.push({ file: grantsFile, path: `grants[${index}].policy`, message: `cannot read the policy file \`${policyFile}\`: ${loaded.unreadable}` });
        else for (const issue of loaded.issues) issues.push({ ...issue, file: policyFile });
      }
    }
    if (loaded && loaded.ok) grants.push({ id: g.id, policyFile, policy: loaded.value, digest: Buffer.from(g.tokenSha256, "hex") });
  });
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, value: grants };
}

export function formatGrantsIssues(issues: readonly GrantsIssue[]): string {
  return issues.map((i) => `${i.file}: ${i.path === "" ? "(root)" : i.path}: ${i.message}`).join("\n");
}

export type BearerResult =
  | { readonly kind: "ok"; readonly grant: Grant }
  | { readonly kind: "missing" }
  | { readonly kind: "malformed" }
  | { readonly kind: "invalid" };

/** `Bearer <token68>`, scheme case-insensitive; anything else is malformed. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

export class GrantTable {
  private readonly digests: Buffer[];

  constructor(
    readonly grants: readonly Grant[],
    /** The comparison; injectable so a test can prove every digest is compared. */
    private readonly equal: (a: Buffer, b: Buffer) => boolean = timingSafeEqual,
  ) {
    this.digests = grants.map((g) => g.digest);
  }

  /** The grant whose digest matches `token`; compares against every grant, whatever matches. */
  lookup(token: string): Grant | undefined {
    const digest = createHash("sha256").update(token, "utf8").digest();
    let found = -1;
    for (let i = 0; i < this.digests.length; i++) {
      // Non-short-circuiting: the comparison runs for every grant.
      if (this.equal(digest, this.digests[i]!) && found === -1) found = i;
    }
    return found === -1 ? undefined : this.grants[found];
  }

  /** Reads an `Authorization` header value. */
  authenticate(authorization: string | undefined): BearerResult {
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

/**
 * The grants of a gateway config: which bearer token may use which servers of the stack, and with
 * which policy on each. Written in the config itself or in a file it names (paths relative to the
 * file they are written in):
 *
 *   "grants": [{"id": "sales-agent", "tokenSha256": "<64 hex digits>",
 *               "servers": ["kommo", "memory"],
 *               "policies": {"kommo": "policies/kommo-sales.json"}}]
 *   "grants": "grants.json"        // {"version": "1", "grants": [ …the same entries… ]}
 *
 * `servers` defaults to every server of the config; a server the grant does not list has no policy
 * for it, so its tools, resources and prompts are not listed to that grant and its calls are denied.
 * `policies` replaces a server's own policy for this grant (the stack's limits still apply). Ids and
 * token digests are unique, as in a single-server grants file (`gateway/grants.ts`).
 */
import { dirname, resolve } from "node:path";
import { z } from "zod";
import { messageOf } from "../../core/errors.js";
import { duplicateKeyIssues, parseJsonText } from "../../core/json-text.js";
import { errorMap, issuesFromZod } from "../../core/schema-issues.js";
import { parsePolicyText, type CompiledPolicy } from "../../policy/load-policy.js";
import { GrantIdSchema, TokenSha256Schema, uniqueGrants, type GrantsIssue, type TokenGrant } from "../grants.js";

export const StackGrantSchema = z.strictObject({
  id: GrantIdSchema,
  tokenSha256: TokenSha256Schema,
  /** The servers this grant may use; every server of the config when absent. */
  servers: z.array(z.string().min(1)).min(1, "expected at least one server name (leave `servers` out for all of them)").optional(),
  /** Per server, a policy file that replaces the server's own policy for this grant. */
  policies: z.record(z.string(), z.string().min(1, "expected the path of a policy file")).optional(),
  description: z.string().optional(),
});

export const StackGrantsFileSchema = z.strictObject({
  version: z.literal("1"),
  grants: z.array(StackGrantSchema),
});

/** The config's `grants`: inline entries, or the path of a file holding them. */
export const StackGrantsSchema = z.union([z.string().min(1), z.array(StackGrantSchema)], { error: "expected a list of grants or the path of a grants file" });

type StackGrantEntry = z.output<typeof StackGrantSchema>;

/** A policy as a grant uses it on one server: the file it came from (watched for reloads). */
export interface ServerPolicy {
  readonly file: string;
  readonly policy: CompiledPolicy;
}

export interface StackGrant extends TokenGrant {
  /** The servers it may use, in the config's order. */
  readonly servers: readonly string[];
  /** Policies that replace a server's own for this grant. */
  readonly policies: ReadonlyMap<string, ServerPolicy>;
}

export type StackGrantIssue = GrantsIssue;

export type LoadedStackGrants = { readonly ok: true; readonly grants: readonly StackGrant[]; readonly file: string } | { readonly ok: false; readonly issues: readonly StackGrantIssue[] };

/**
 * Reads the config's `grants` (`value`, at JSON path `grants` of `configFile`) against the config's
 * server names; a string names a grants file, read and checked here. Every issue is collected.
 */
export function loadStackGrants(value: z.output<typeof StackGrantsSchema>, configFile: string, serverNames: readonly string[], readText: (path: string) => string): LoadedStackGrants {
  if (typeof value !== "string") return checkEntries(value, configFile, "grants", serverNames, readText);
  const file = resolve(dirname(configFile), value);
  let text: string;
  try {
    text = readText(file);
  } catch (error) {
    return { ok: false, issues: [{ file: configFile, path: "grants", message: `cannot read the grants file \`${file}\`: ${messageOf(error)}` }] };
  }
  const at = (issues: readonly { path: string; message: string }[]) => issues.map((i) => ({ ...i, file }));
  const json = parseJsonText(text);
  if (!json.ok) return { ok: false, issues: at(json.issues) };
  const duplicates = duplicateKeyIssues(text);
  const shape = StackGrantsFileSchema.safeParse(json.value, { error: errorMap, reportInput: true });
  if (!shape.success || duplicates.length > 0) return { ok: false, issues: at([...duplicates, ...(shape.success ? [] : issuesFromZod(shape.error.issues))]) };
  return checkEntries(shape.data.grants, file, "grants", serverNames, readText);
}

function checkEntries(entries: readonly StackGrantEntry[], file: string, base: string, serverNames: readonly string[], readText: (path: string) => string): LoadedStackGrants {
  const issues: StackGrantIssue[] = [];
  const known = serverNames.map((n) => `\`${n}\``).join(", ");
  if (entries.length === 0) issues.push({ file, path: base, message: "found no grants, expected at least one (leave `grants` out to serve one grant without tokens)" });
  uniqueGrants(entries, file, base, issues);
  const loaded = new Map<string, ServerPolicy | undefined>();
  const grants: StackGrant[] = [];
  entries.forEach((entry, index) => {
    const at = `${base}[${index}]`;
    const listed = entry.servers ?? serverNames;
    listed.forEach((name, j) => {
      if (!serverNames.includes(name)) issues.push({ file, path: `${at}.servers[${j}]`, message: `found server \`${name}\`, expected one of the config's servers (${known})` });
      else if (listed.indexOf(name) !== j) issues.push({ file, path: `${at}.servers[${j}]`, message: `server \`${name}\` is listed twice` });
    });
    const policies = new Map<string, ServerPolicy>();
    for (const [server, path] of Object.entries(entry.policies ?? {})) {
      const where = `${at}.policies.${server}`;
      if (!listed.includes(server)) {
        issues.push({ file, path: where, message: `found a policy for server \`${server}\`, which this grant does not use; expected one of ${listed.map((n) => `\`${n}\``).join(", ")}` });
        continue;
      }
      const policyFile = resolve(dirname(file), path);
      if (!loaded.has(policyFile)) loaded.set(policyFile, readPolicy(policyFile, file, where, readText, issues));
      const policy = loaded.get(policyFile);
      if (policy !== undefined) policies.set(server, policy);
    }
    grants.push({ id: entry.id, digest: Buffer.from(entry.tokenSha256, "hex"), servers: serverNames.filter((n) => listed.includes(n)), policies });
  });
  return issues.length > 0 ? { ok: false, issues } : { ok: true, grants, file };
}

function readPolicy(policyFile: string, file: string, path: string, readText: (path: string) => string, issues: StackGrantIssue[]): ServerPolicy | undefined {
  let text: string;
  try {
    text = readText(policyFile);
  } catch (error) {
    issues.push({ file, path, message: `cannot read the policy file \`${policyFile}\`: ${messageOf(error)}` });
    return undefined;
  }
  const policy = parsePolicyText(text);
  if (!policy.ok) {
    for (const issue of policy.issues) issues.push({ ...issue, file: policyFile });
    return undefined;
  }
  return { file: policyFile, policy: policy.value };
}

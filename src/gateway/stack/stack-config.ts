/**
 * The gateway config file (`toolgate serve --config FILE`): the upstream servers of a stack, each a
 * command or a URL with its own policy file, the separator of exposed names, and a `stack` section
 * with the default for names no server has and limits that span servers:
 *
 *   {"version": "1",
 *    "servers": {
 *      "kommo":  {"command": "node", "args": ["bin/toolgate.mjs", "kommo-sim"], "policy": "kommo.json"},
 *      "memory": {"command": "npx", "args": ["mcp-server-memory"], "policy": "memory.json",
 *                 "onStartFailure": "serve_rest"}},
 *    "stack": {"default": "deny",
 *              "limits": [{"counter": "writes", "window": "minute", "max": 60,
 *                          "tools": ["kommo/create_*", "memory/create_*"]}]}}
 *
 * Paths (policies, `cwd`) are relative to the config file. Server names are lower-case letters,
 * digits and `-` (never `_`), and the separator contains `_`, so `<server>__<tool>` splits one way
 * only and no two servers can expose the same name. Every issue is collected with its file and path.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { z } from "zod";
import { messageOf, type Issue } from "../../core/errors.js";
import { duplicateKeyIssues, parseJsonText } from "../../core/json-text.js";
import { errorMap, issuesFromZod } from "../../core/schema-issues.js";
import { compilePolicy, parsePolicyText, type CompiledPolicy, type StackLimit } from "../../policy/load-policy.js";
import { LimitSchema } from "../../policy/policy-schema.js";
import { compileStackLimits } from "../../policy/stack-limits.js";
import { loadStackGrants, StackGrantsSchema, type StackGrant } from "./stack-grants.js";

export const SERVER_NAME = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
export const DEFAULT_SEPARATOR = "__";


const common = {
  policy: z.string().min(1, "expected the path of this server's policy file"),
  /** How long a forwarded request may wait for its answer. */
  timeoutMs: z.number().int().min(1).max(3_600_000).optional(),
  /** At start-up: `fail` stops the gateway when this server cannot start; `serve_rest` (the default) serves the others. */
  onStartFailure: z.enum(["fail", "serve_rest"]).optional(),
  description: z.string().optional(),
};

export const CommandServerSchema = z.strictObject({
  command: z.string().min(1, "expected the command that starts the server"),
  args: z.array(z.string()).optional(),
  env: z.record(z.string(), z.string()).optional(),
  cwd: z.string().optional(),
  ...common,
});

const UrlServerSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: "expected an http(s) URL" }),
  headers: z.record(z.string(), z.string()).optional(),
  ...common,
});

const StackLimitSchema = LimitSchema.extend({
  tools: z.array(z.string().regex(/^[a-z0-9*-]+\/[^/\s]+$/, "expected a `server/tool` pattern (`*` matches any characters)")).min(1, "expected at least one `server/tool` pattern"),
});

/** The `stack` section: the default for names no server has, and limits that span servers. */
export const StackSectionSchema = z.strictObject({
  default: z.enum(["allow", "deny"]).optional(),
  limits: z.array(StackLimitSchema).optional(),
});

export const StackConfigSchema = z.strictObject({
  version: z.literal("1"),
  description: z.string().optional(),
  separator: z.string().regex(/^[A-Za-z0-9_-]{1,8}$/, "expected 1–8 characters of `[A-Za-z0-9_-]`").refine((s) => s.includes("_"), "expected a separator containing `_` (server names never do, so names split one way only)").optional(),
  /** Bearer tokens and the servers and policies each may use (`stack-grants.ts`); without it, one grant for every request. */
  grants: StackGrantsSchema.optional(),
  servers: z.record(z.string(), z.union([CommandServerSchema, UrlServerSchema], { error: "expected a server with `command` (and `args`, `env`, `cwd`) or `url` (and `headers`), plus `policy`" })),
  stack: StackSectionSchema.optional(),
});

export type StackConfigDocument = z.output<typeof StackConfigSchema>;

export type ServerTransportSpec =
  | { readonly kind: "cmd"; readonly command: string; readonly args: readonly string[]; readonly env: Readonly<Record<string, string>>; readonly cwd: string }
  | { readonly kind: "url"; readonly url: URL; readonly headers: Readonly<Record<string, string>> };

export interface StackServer {
  readonly name: string;
  readonly transport: ServerTransportSpec;
  /** Absolute path of the server's policy file. */
  readonly policyFile: string;
  readonly policy: CompiledPolicy;
  readonly timeoutMs: number | undefined;
  readonly onStartFailure: "fail" | "serve_rest";
}

export interface StackConfig {
  readonly file: string;
  readonly separator: string;
  readonly servers: readonly StackServer[];
  /** Decides names no server has (the stack's `default`, deny unless said otherwise). */
  readonly stackPolicy: CompiledPolicy;
  readonly stackLimits: readonly StackLimit[];
  /** The config's grants; undefined when it has none (one grant, every server). */
  readonly grants: readonly StackGrant[] | undefined;
  /** The file the grants are written in (the config itself, or the grants file it names). */
  readonly grantsFile: string | undefined;
}

/** A problem in the config or in a policy it names: the file it is in, its JSON path. */
export interface ConfigIssue extends Issue {
  readonly file: string;
}

export type LoadedConfig = { readonly ok: true; readonly value: StackConfig } | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

export function loadStackConfigFile(file: string, readText: (path: string) => string = (path) => readFileSync(path, "utf8")): LoadedConfig {
  let text: string;
  try {
    text = readText(file);
  } catch (error) {
    return { ok: false, issues: [{ file, path: "", message: `cannot read the config file: ${messageOf(error)}` }] };
  }
  return loadStackConfigText(text, file, readText);
}

/** The config's JSON checked against its schema (no duplicate keys), before any file it names is read. */
export function parseStackConfigDocument(text: string, file: string): { readonly ok: true; readonly value: StackConfigDocument } | { readonly ok: false; readonly issues: readonly ConfigIssue[] } {
  const at = (issues: readonly Issue[]): ConfigIssue[] => issues.map((i) => ({ ...i, file }));
  const json = parseJsonText(text);
  if (!json.ok) return { ok: false, issues: at(json.issues) };
  const duplicates = duplicateKeyIssues(text);
  const shape = StackConfigSchema.safeParse(json.value, { error: errorMap, reportInput: true });
  if (!shape.success || duplicates.length > 0) return { ok: false, issues: at([...duplicates, ...(shape.success ? [] : issuesFromZod(shape.error.issues))]) };
  return { ok: true, value: shape.data };
}

export function loadStackConfigText(text: string, file: string, readText: (path: string) => string = (path) => readFileSync(path, "utf8")): LoadedConfig {
  const at = (issues: readonly Issue[], where = file): ConfigIssue[] => issues.map((i) => ({ ...i, file: where }));
  const parsed = parseStackConfigDocument(text, file);
  if (!parsed.ok) return parsed;
  const doc = parsed.value;
  const issues: ConfigIssue[] = [];
  const names = Object.keys(doc.servers);
  if (names.length === 0) issues.push({ file, path: "servers", message: "found no servers, expected at least one" });
  for (const name of names) {
    if (name.length > 32 || !SERVER_NAME.test(name)) issues.push({ file, path: `servers[${JSON.stringify(name)}]`, message: `found the server name \`${name}\`, expected at most 32 lower-case letters, digits and single \`-\` (no \`_\`), starting with a letter` });
  }
  const base = dirname(file);
  const servers: StackServer[] = [];
  for (const [name, spec] of Object.entries(doc.servers)) {
    const policyFile = resolve(base, spec.policy);
    let policyText: string | undefined;
    try {
      policyText = readText(policyFile);
    } catch (error) {
      issues.push({ file, path: `servers.${name}.policy`, message: `cannot read the policy file \`${policyFile}\`: ${messageOf(error)}` });
      continue;
    }
    const policy = parsePolicyText(policyText);
    if (!policy.ok) {
      issues.push(...at(policy.issues, policyFile));
      continue;
    }
    const transport: ServerTransportSpec =
      "command" in spec
        ? { kind: "cmd", command: spec.command, args: spec.args ?? [], env: spec.env ?? {}, cwd: resolve(base, spec.cwd ?? ".") }
        : { kind: "url", url: new URL(spec.url), headers: spec.headers ?? {} };
    servers.push({ name, transport, policyFile, policy: policy.value, timeoutMs: spec.timeoutMs, onStartFailure: spec.onStartFailure ?? "serve_rest" });
  }
  (doc.stack?.limits ?? []).forEach((limit, i) => {
    for (const [j, pattern] of limit.tools.entries()) {
      const server = pattern.slice(0, pattern.indexOf("/"));
      if (!server.includes("*") && !names.includes(server)) issues.push({ file, path: `stack.limits[${i}].tools[${j}]`, message: `found server \`${server}\`, expected one of the config's servers (${names.map((n) => `\`${n}\``).join(", ")})` });
    }
  });
  const grants = doc.grants === undefined ? undefined : loadStackGrants(doc.grants, file, names, readText);
  if (grants !== undefined && !grants.ok) issues.push(...grants.issues);
  if (issues.length > 0) return { ok: false, issues };
  const stackPolicy = compilePolicy({ version: "1", default: doc.stack?.default ?? "deny" });
  if (!stackPolicy.ok) throw new Error("the stack's own policy does not compile (a bug)");
  const stackLimits = compileStackLimits((doc.stack?.limits ?? []).map(({ tools, ...limit }, i) => ({ limit, tools, rule: `/stack/limits/${i}` })));
  return { ok: true, value: { file, separator: doc.separator ?? DEFAULT_SEPARATOR, servers, stackPolicy: stackPolicy.value, stackLimits, grants: grants?.ok ? grants.grants : undefined, grantsFile: grants?.ok ? grants.file : undefined } };
}

export function formatConfigIssues(issues: readonly ConfigIssue[]): string {
  return issues.map((i) => `${i.file}: ${i.path === "" ? "(root)" : i.path}: ${i.message}`).join("\n");
}

/**
 * Policy value/text → `CompiledPolicy`: the strict shape pass (zod), the semantic pass, and
 * lookup tables the evaluator uses (tools by name, compiled regexes, limits with their window in
 * ms and their JSON pointer). No file I/O here: callers read files and hand over the text.
 */
import type { Issue, Parsed } from "../core/errors.js";
import { sha256Hex } from "../core/sha256.js";
import type { LimitScope } from "./decision.js";
import { canonicalJson } from "../core/canonical-json.js";
import { duplicateKeyIssues, parseJsonText } from "../core/json-text.js";
import { PolicySchema, type Condition, type Limit, type Op, type PolicyDocument, type RuleEntry, type ToolRule } from "./policy-schema.js";
import { rateLimitCounter, semanticIssues } from "./policy-semantics.js";
import { errorMap, issuesFromZod } from "../core/schema-issues.js";
import { windowMs } from "./windows.js";

export type { PolicyDocument } from "./policy-schema.js";

export interface CompiledCondition {
  /** As written: `args.items.0.id`, `claims.groups`. */
  readonly path: string;
  /** What the path reads: the call's arguments, or the claims of the caller's token. */
  readonly root: "args" | "claims";
  /** Segments after the root: `["items", "0", "id"]`. */
  readonly segments: readonly string[];
  readonly op: Op;
  readonly value: unknown;
  readonly regex?: RegExp;
}

export interface CompiledRuleEntry {
  /** JSON pointer, e.g. `/tools/create_charge/deny_if/0`. */
  readonly rule: string;
  readonly conditions: readonly CompiledCondition[];
  /** `on_deny`, else the tool's `reason`; undefined → a default message. */
  readonly message: string | undefined;
  readonly shadow: boolean;
}

export interface CompiledLimit {
  /** JSON pointer: `/tools/x/limits/0`, `/tools/x/rate_limit` or `/all_tools/limits/0`. */
  readonly rule: string;
  readonly counter: string;
  readonly window: string | number;
  readonly windowMs: number;
  readonly max: number;
  readonly scope: LimitScope;
  readonly incrementFrom: { readonly path: string; readonly segments: readonly string[] } | undefined;
  readonly shadow: boolean;
  /** A stack-wide limit: one counter for every server (its key has no server). */
  readonly spansServers?: boolean;
}

export interface CompiledApproval {
  /** `/tools/x/approval` or `/tools/x/action` (alias `require_approval`). */
  readonly rule: string;
  /** Empty: every call needs approval; else only calls where all conditions hold. */
  readonly conditions: readonly CompiledCondition[];
  readonly ttlMs: number;
}

/** The rule of one tool, resource (URI or template), prompt or method. */
export interface CompiledTool {
  readonly name: string;
  /** `action: "deny"`: every call is denied (the tool stays visible). */
  readonly denyAction: { readonly rule: string; readonly message: string | undefined } | undefined;
  readonly denyIf: readonly CompiledRuleEntry[];
  readonly require: readonly CompiledRuleEntry[];
  readonly approval: CompiledApproval | undefined;
  readonly limits: readonly CompiledLimit[];
}

export interface CompiledPolicy {
  readonly document: PolicyDocument;
  /** `sha256:` + the first 16 hex digits of the SHA-256 of the document's canonical JSON. */
  readonly version: string;
  readonly defaultDecision: "allow" | "deny";
  readonly hideAll: boolean;
  readonly hidden: ReadonlySet<string>;
  readonly tools: ReadonlyMap<string, CompiledTool>;
  readonly allToolsLimits: readonly CompiledLimit[];
  /** `resources` keys without placeholders, by URI. */
  readonly resources: ReadonlyMap<string, CompiledTool>;
  /** `resources` keys with `{name}` placeholders, in file order. */
  readonly resourceTemplates: readonly CompiledResourceTemplate[];
  readonly prompts: ReadonlyMap<string, CompiledTool>;
  readonly methods: ReadonlyMap<string, CompiledTool>;
  /** Limits a gateway config puts on tools of several servers at once (`stack-limits.ts`); none in a policy file. */
  readonly stackLimits?: readonly StackLimit[];
}

/** A stack-wide limit: one counter (no server in its key) for every `server/tool` its patterns match. */
export interface StackLimit {
  readonly matches: (server: string, tool: string) => boolean;
  readonly limit: CompiledLimit;
}

export interface CompiledResourceTemplate {
  readonly template: string;
  /** Matches a whole URI; each placeholder is one capture group (no `/`). */
  readonly pattern: RegExp;
  readonly variables: readonly string[];
  readonly rule: CompiledTool;
}

/** Approval lifetime when `ttl` is not given: 10 minutes. */
export const DEFAULT_APPROVAL_TTL_MS = 600_000;

export function parsePolicyText(text: string): Parsed<CompiledPolicy> {
  const json = parseJsonText(text);
  if (!json.ok) return json;
  // JSON.parse keeps the last of two equal keys; a policy must not lose a rule without a word.
  const duplicates = duplicateKeyIssues(text);
  const compiled = compilePolicy(json.value);
  if (duplicates.length === 0) return compiled;
  return { ok: false, issues: [...duplicates, ...(compiled.ok ? [] : compiled.issues)] };
}

export function compilePolicy(value: unknown): Parsed<CompiledPolicy> {
  const shape = PolicySchema.safeParse(value, { error: errorMap, reportInput: true });
  const issues: Issue[] = shape.success ? [] : issuesFromZod(shape.error.issues);
  issues.push(...semanticIssues(value));
  if (!shape.success || issues.length > 0) return { ok: false, issues: sortIssues(issues) };
  return { ok: true, value: compileDocument(shape.data) };
}

function sortIssues(issues: Issue[]): Issue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.path}\u0000${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** JSON pointer segment escaping (RFC 6901). */
export function pointerSegment(segment: string | number): string {
  return String(segment).replaceAll("~", "~0").replaceAll("/", "~1");
}

function compileDocument(document: PolicyDocument): CompiledPolicy {
  const tools = new Map<string, CompiledTool>();
  for (const [name, rule] of Object.entries(document.tools ?? {})) tools.set(name, compileTool(name, rule));
  const resources = new Map<string, CompiledTool>();
  const resourceTemplates: CompiledResourceTemplate[] = [];
  for (const [key, rule] of Object.entries(document.resources ?? {})) {
    const compiled = compileTool(key, rule, "resources");
    const variables = [...key.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]!);
    if (variables.length === 0) resources.set(key, compiled);
    else resourceTemplates.push({ template: key, pattern: templatePattern(key), variables, rule: compiled });
  }
  const compileSection = (section: "prompts" | "methods"): Map<string, CompiledTool> =>
    new Map(Object.entries(document[section] ?? {}).map(([name, rule]) => [name, compileTool(name, rule, section)]));
  const hide = document.hide ?? [];
  return {
    document,
    version: `sha256:${sha256Hex(canonicalJson(document)).slice(0, 16)}`,
    defaultDecision: document.default,
    hideAll: hide.includes("*"),
    hidden: new Set(hide),
    tools,
    allToolsLimits: (document.all_tools?.limits ?? []).map((limit, i) => compileLimit(limit, `/all_tools/limits/${i}`)),
    resources,
    resourceTemplates,
    prompts: compileSection("prompts"),
    methods: compileSection("methods"),
  };
}

/** `kommo://reports/{kind}` → a whole-string pattern with one capture per placeholder (no `/` in a value). */
function templatePattern(template: string): RegExp {
  let source = "";
  let last = 0;
  for (const m of template.matchAll(/\{[A-Za-z_][A-Za-z0-9_]*\}/g)) {
    source += escapeRegExp(template.slice(last, m.index)) + "([^/]+)";
    last = m.index + m[0].length;
  }
  return new RegExp(`^${source}${escapeRegExp(template.slice(last))}$`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function compileTool(name: string, rule: ToolRule, section: "tools" | "resources" | "prompts" | "methods" = "tools"): CompiledTool {
  const base = `/${section}/${pointerSegment(name)}`;
  const entries = (list: readonly RuleEntry[] | undefined, kind: string): CompiledRuleEntry[] =>
    (list ?? []).map((entry, i) => ({
      rule: `${base}/${kind}/${i}`,
      conditions: entry.conditions.map(compileCondition),
      message: entry.on_deny ?? rule.reason,
      shadow: entry.shadow ?? false,
    }));
  const limits = (rule.limits ?? []).map((limit, i) => compileLimit(limit, `${base}/limits/${i}`));
  if (rule.rate_limit) {
    const alias = rule.rate_limit;
    limits.push(
      compileLimit(
        { counter: rateLimitCounter(section === "tools" ? name : `${section}:${name}`), window: alias.window, max: alias.max, scope: alias.scope, shadow: alias.shadow },
        `${base}/rate_limit`,
      ),
    );
  }
  let approval: CompiledApproval | undefined;
  if (rule.action === "require_approval") approval = { rule: `${base}/action`, conditions: [], ttlMs: DEFAULT_APPROVAL_TTL_MS };
  else if (rule.approval === true) approval = { rule: `${base}/approval`, conditions: [], ttlMs: DEFAULT_APPROVAL_TTL_MS };
  else if (typeof rule.approval === "object") {
    approval = {
      rule: `${base}/approval`,
      conditions: (rule.approval.conditions ?? []).map(compileCondition),
      ttlMs: rule.approval.ttl === undefined ? DEFAULT_APPROVAL_TTL_MS : ttlMs(rule.approval.ttl),
    };
  }
  return {
    name,
    denyAction: rule.action === "deny" ? { rule: `${base}/action`, message: rule.reason } : undefined,
    denyIf: entries(rule.deny_if, "deny_if"),
    require: entries(rule.require, "require"),
    approval,
    limits,
  };
}

function compileCondition(condition: Condition): CompiledCondition {
  const [root, ...segments] = condition.path.split(".");
  const base = { path: condition.path, root: root === "claims" ? ("claims" as const) : ("args" as const), segments, op: condition.op, value: condition.value };
  return condition.op === "regex" ? { ...base, regex: new RegExp(condition.value as string) } : base;
}

export function compileLimit(limit: Limit, rule: string): CompiledLimit {
  return {
    rule,
    counter: limit.counter,
    window: limit.window,
    windowMs: windowMs(limit.window),
    max: limit.max,
    scope: limit.scope ?? "grant",
    incrementFrom: limit.increment_from === undefined ? undefined : { path: limit.increment_from, segments: limit.increment_from.split(".").slice(1) },
    shadow: limit.shadow ?? false,
  };
}

const TTL_UNITS_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `ttl` → ms: a number of seconds, or `90s` / `10m` / `2h` / `1d`. */
export function ttlMs(ttl: number | string): number {
  if (typeof ttl === "number") return ttl * 1_000;
  const unit = ttl.slice(-1) as keyof typeof TTL_UNITS_MS;
  return Number(ttl.slice(0, -1)) * TTL_UNITS_MS[unit];
}

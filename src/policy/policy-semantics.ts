/**
 * The second pass over a policy: what a schema cannot say. It reads the raw value defensively
 * (so it runs even when the shape pass failed, and every problem is reported at once):
 * condition values against their op, regexes, argument paths, counters declared twice or with
 * different windows/scopes/units, and `action: require_approval` next to `approval`.
 */
import { messageOf, type Issue } from "../core/errors.js";
import { OPS } from "./policy-schema.js";
import { describeValue, formatPath } from "../core/schema-issues.js";
import { windowMs } from "./windows.js";

type Path = readonly (string | number)[];

export const ARGS_PATH = /^args(\.[^.]+)+$/;
/** A condition reads the call's arguments (`args.…`) or the caller's token claims (`claims.…`). */
export const CONDITION_PATH = /^(args|claims)(\.[^.]+)+$/;

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const isScalar = (v: unknown): boolean => v === null || ["string", "number", "boolean"].includes(typeof v);

interface CounterUse {
  readonly where: Path;
  readonly owner: string;
  readonly windowMs: number | undefined;
  readonly window: unknown;
  readonly scope: string;
  readonly units: boolean;
}

export function semanticIssues(value: unknown): Issue[] {
  const issues: Issue[] = [];
  const add = (path: Path, message: string): void => void issues.push({ path: formatPath(path), message });
  if (!isRecord(value)) return issues;
  const counters = new Map<string, CounterUse>();

  const checkConditions = (conditions: unknown, at: Path): void => {
    if (!Array.isArray(conditions)) return;
    conditions.forEach((c, i) => checkCondition(c, [...at, i], add));
  };
  const checkLimit = (limit: unknown, at: Path, owner: string, ownCounters: Map<string, Path>): void => {
    if (!isRecord(limit)) return;
    const { counter } = limit;
    if (limit.increment_from !== undefined && typeof limit.increment_from === "string" && !ARGS_PATH.test(limit.increment_from)) {
      add([...at, "increment_from"], `found ${describeValue(limit.increment_from)}, expected a path starting with \`args.\`, such as \`args.amount\``);
    }
    if (typeof counter !== "string" || counter === "") return;
    const earlier = ownCounters.get(counter);
    if (earlier) {
      add([...at, "counter"], `counter \`${counter}\` is already declared at ${formatPath(earlier)}; expected each counter at most once per ${owner === "all_tools" ? "`all_tools`" : "tool"}`);
      return;
    }
    ownCounters.set(counter, at);
    let ms: number | undefined;
    try {
      ms = windowMs(limit.window as string | number);
    } catch {
      ms = undefined;
    }
    const use: CounterUse = {
      where: at,
      owner,
      windowMs: ms,
      window: limit.window,
      scope: typeof limit.scope === "string" ? limit.scope : "grant",
      units: limit.increment_from !== undefined,
    };
    const first = counters.get(counter);
    if (!first) {
      counters.set(counter, use);
      return;
    }
    const there = formatPath(first.where);
    if (first.windowMs !== undefined && use.windowMs !== undefined && first.windowMs !== use.windowMs) {
      add([...at, "window"], `counter \`${counter}\` has window ${describeValue(first.window)} at ${there}; found ${describeValue(use.window)}, expected the same window wherever a counter is used`);
    }
    if (first.scope !== use.scope) {
      add([...at, "scope"], `counter \`${counter}\` has scope ${describeValue(first.scope)} at ${there}; found ${describeValue(use.scope)}, expected the same scope wherever a counter is used`);
    }
    if (first.units !== use.units) {
      add(
        use.units ? [...at, "increment_from"] : at,
        `counter \`${counter}\` counts ${first.units ? "units (`increment_from`)" : "calls"} at ${there}; found a limit counting ${use.units ? "units" : "calls"}, expected every use of a counter to count the same thing`,
      );
    }
  };

  const allTools = value.all_tools;
  if (isRecord(allTools) && Array.isArray(allTools.limits)) {
    const own = new Map<string, Path>();
    allTools.limits.forEach((limit, i) => checkLimit(limit, ["all_tools", "limits", i], "all_tools", own));
  }

  for (const section of RULE_SECTIONS) {
    const rules = value[section];
    if (!isRecord(rules)) continue;
    for (const [name, rule] of Object.entries(rules)) {
      if (!isRecord(rule)) continue;
      const at: Path = [section, name];
      if (section === "resources") {
        const problem = uriTemplateProblem(name);
        if (problem !== undefined) add(at, problem);
      }
      if (section === "methods" && NOT_GOVERNED_BY_METHODS.has(name)) {
        add(at, `found method \`${name}\`, which has its own section or is part of the protocol; expected another method (rules for \`${name}\` go under ${sectionFor(name)})`);
      }
      for (const kind of ["deny_if", "require"] as const) {
        const entries = rule[kind];
        if (!Array.isArray(entries)) continue;
        entries.forEach((entry, i) => {
          if (!isRecord(entry)) return;
          if (kind === "require" && Array.isArray(entry.conditions) && entry.conditions.length === 0) {
            add([...at, kind, i, "conditions"], "found an empty array, expected at least 1 condition (a `require` entry without conditions checks nothing)");
          }
          checkConditions(entry.conditions, [...at, kind, i, "conditions"]);
        });
      }
      if (isRecord(rule.approval)) checkConditions(rule.approval.conditions, [...at, "approval", "conditions"]);
      if (rule.action === "require_approval" && rule.approval !== undefined) {
        add([...at, "approval"], `conflicts with \`action: "require_approval"\` at ${formatPath([...at, "action"])}; expected only one of them`);
      }
      const own = new Map<string, Path>();
      if (Array.isArray(rule.limits)) rule.limits.forEach((limit, i) => checkLimit(limit, [...at, "limits", i], name, own));
      if (isRecord(rule.rate_limit)) checkLimit({ ...rule.rate_limit, counter: rateLimitCounter(section === "tools" ? name : `${section}:${name}`) }, [...at, "rate_limit"], name, own);
    }
  }
  return issues;
}

/** The sections of rules, each keyed by what it governs. */
export const RULE_SECTIONS = ["tools", "resources", "prompts", "methods"] as const;

/** Methods a `methods` rule cannot name: they have their own section, or pass as part of the protocol. */
const NOT_GOVERNED_BY_METHODS = new Set(["tools/call", "tools/list", "resources/read", "resources/subscribe", "resources/unsubscribe", "resources/list", "resources/templates/list", "prompts/get", "prompts/list", "completion/complete", "initialize", "ping", "server/discover", "logging/setLevel"]);

function sectionFor(method: string): string {
  if (method.startsWith("tools/")) return "`tools`";
  if (method.startsWith("resources/")) return "`resources`";
  if (method.startsWith("prompts/")) return "`prompts`";
  if (method === "completion/complete") return "`prompts` or `resources` (completion is decided by what it completes)";
  return "no section: it always passes";
}

/** A URI template key: `{name}` placeholders with letters, digits and `_`, balanced braces. */
export function uriTemplateProblem(key: string): string | undefined {
  const stripped = key.replace(/\{[A-Za-z_][A-Za-z0-9_]*\}/g, "");
  if (stripped.includes("{") || stripped.includes("}")) return `found ${describeValue(key)}, expected a URI or a URI template whose placeholders are \`{name}\` (letters, digits and \`_\`)`;
  return undefined;
}

/** The counter behind the `rate_limit` alias of a rule (a tool's, or `resources:<uri>` / `prompts:<name>` / `methods:<method>`). */
export function rateLimitCounter(tool: string): string {
  return `${tool}_rate_limit`;
}

function checkCondition(condition: unknown, at: Path, add: (path: Path, message: string) => void): void {
  if (!isRecord(condition)) return;
  const { path, op, value } = condition;
  if (typeof path === "string" && !CONDITION_PATH.test(path)) {
    add([...at, "path"], `found ${describeValue(path)}, expected a path starting with \`args.\` or \`claims.\`, such as \`args.amount\`, \`args.items.0.id\` or \`claims.groups\``);
  }
  if (typeof op !== "string" || !(OPS as readonly string[]).includes(op)) return;
  const valueAt = [...at, "value"];
  const expect = (ok: boolean, expected: string): void => {
    if (ok) return;
    add(valueAt, value === undefined ? `missing; expected ${expected} for op \`${op}\`` : `found ${describeValue(value)}, expected ${expected} for op \`${op}\``);
  };
  switch (op) {
    case "eq":
    case "neq":
    case "contains":
      expect(value !== undefined && isScalar(value), "a string, number, boolean or null");
      return;
    case "in":
    case "not_in":
      expect(Array.isArray(value), "an array of strings, numbers, booleans or nulls");
      if (Array.isArray(value)) {
        value.forEach((v, i) => {
          if (!isScalar(v)) add([...valueAt, i], `found ${describeValue(v)}, expected a string, number, boolean or null`);
        });
      }
      return;
    case "lt":
    case "lte":
    case "gt":
    case "gte":
      expect(typeof value === "number" && Number.isFinite(value), "a number");
      return;
    case "exists":
      expect(typeof value === "boolean", "`true` or `false`");
      return;
    case "regex":
      expect(typeof value === "string", "a regular expression as a string");
      if (typeof value === "string") {
        try {
          new RegExp(value);
        } catch (error) {
          add(valueAt, `found ${describeValue(value)}, expected a valid regular expression (${messageOf(error)})`);
        }
      }
      return;
  }
}

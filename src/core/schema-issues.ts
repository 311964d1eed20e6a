/**
 * zod issues → `Issue {path, message}` in the house style: the JSON path
 * (`tools.stop_salesbot.limits[0].window`), what was found and what was expected.
 * Every issue is kept; unknown keys are reported one per key at the key's own path.
 */
import type { z } from "zod";
import type { Issue } from "./errors.js";

type PathKey = PropertyKey;

/** `["tools","a b",0,"max"]` → `tools["a b"][0].max`. */
export function formatPath(path: readonly PathKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else if (typeof key === "string" && /^[A-Za-z0-9_-]+$/.test(key)) out += out === "" ? key : `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

/** A short, quoted rendering of a found value. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return "an array";
  if (value !== null && typeof value === "object") return "an object";
  let text = JSON.stringify(value) ?? String(value);
  if (text.length > 60) text = `${text.slice(0, 57)}...`;
  return `\`${text}\``;
}

const TYPE_NAMES: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "a whole number",
  boolean: "a boolean",
  object: "an object",
  array: "an array",
  record: "an object",
};

/** The per-parse error map: house-style messages for every issue a schema did not word itself. */
export const errorMap: z.core.$ZodErrorMap = (issue) => {
  const found = describeValue(issue.input);
  if (issue.input === undefined && issue.code !== "invalid_type") {
    const expected = errorMap({ ...issue, input: null } as typeof issue);
    const text = typeof expected === "string" ? expected : (expected?.message ?? "");
    return text.replace(/^found [^,]*, /, "missing; ");
  }
  switch (issue.code) {
    case "invalid_type": {
      const expected = TYPE_NAMES[issue.expected] ?? issue.expected;
      return issue.input === undefined ? `missing; expected ${expected}` : `found ${found}, expected ${expected}`;
    }
    case "invalid_value":
      return `found ${found}, expected ${issue.values.map((v) => `\`${JSON.stringify(v)}\``).join(", ").replace(/, ([^,]*)$/, " or $1")}`;
    case "too_small":
      if (issue.origin === "array") return `found an empty array, expected at least ${String(issue.minimum)} entr${issue.minimum === 1 ? "y" : "ies"}`;
      if (issue.origin === "string") return `found an empty string, expected a non-empty string`;
      return `found ${found}, expected a number ${issue.inclusive ? "≥" : ">"} ${String(issue.minimum)}`;
    case "too_big":
      return `found ${found}, expected at most ${String(issue.maximum)}`;
    case "invalid_format":
      return `found ${found}, expected ${issue.format === "regex" ? `text matching \`${String(issue.pattern)}\`` : issue.format}`;
    default:
      return `found ${found}, which is not valid here`;
  }
};

/** Flattens zod issues into house issues (unions are resolved to the branch the input was meant for). */
export function issuesFromZod(issues: readonly z.core.$ZodIssue[], prefix: readonly PathKey[] = []): Issue[] {
  const out: Issue[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) out.push({ path: formatPath([...path, key]), message: `unknown key \`${key}\`; ${issue.message}` });
      continue;
    }
    if (issue.code === "invalid_union") {
      const meant = issue.errors.filter((branch) => !branch.every((b) => b.path.length === 0 && b.code === "invalid_type"));
      if (meant.length === 1) {
        out.push(...issuesFromZod(meant[0]!, path));
        continue;
      }
      out.push({ path: formatPath(path), message: withFound(issue) });
      continue;
    }
    out.push({ path: formatPath(path), message: issue.code === "custom" ? withFound(issue) : issue.message });
  }
  return out;
}

/** Schema-worded messages say what is expected; prefix what was found (or that it is missing). */
function withFound(issue: z.core.$ZodIssue): string {
  if (!issue.message.startsWith("expected")) return issue.message;
  const input = (issue as { input?: unknown }).input;
  return input === undefined ? `missing; ${issue.message}` : `found ${describeValue(input)}, ${issue.message}`;
}

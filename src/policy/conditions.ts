/**
 * Conditions `{path, op, value}` over call arguments (the semantics of PolicyLayer's Intercept).
 * A condition holds, does not hold, or cannot be decided (the path does not resolve, or the
 * argument has a type the op cannot compare): the evaluator fails closed on the last.
 */
import { canonicalJson } from "../core/canonical-json.js";
import type { CompiledCondition } from "./load-policy.js";

export type Resolved = { readonly found: true; readonly value: unknown } | { readonly found: false };

/** Walks `segments` from `args`: object keys (own properties), array elements by index. */
export function resolvePath(args: unknown, segments: readonly string[]): Resolved {
  let current: unknown = args;
  for (const segment of segments) {
    if (Array.isArray(current)) {
      if (!/^(0|[1-9][0-9]*)$/.test(segment)) return { found: false };
      const index = Number(segment);
      if (index >= current.length) return { found: false };
      current = current[index];
    } else if (current !== null && typeof current === "object" && Object.hasOwn(current, segment)) {
      current = (current as Record<string, unknown>)[segment];
    } else {
      return { found: false };
    }
  }
  return { found: true, value: current };
}

export type ConditionOutcome =
  | { readonly kind: "holds" }
  | { readonly kind: "fails" }
  | { readonly kind: "undecidable"; readonly message: string };

const HOLDS: ConditionOutcome = { kind: "holds" };
const FAILS: ConditionOutcome = { kind: "fails" };
const verdict = (b: boolean): ConditionOutcome => (b ? HOLDS : FAILS);

/** `claims` are those of the caller's token (none for a static bearer token or stdio). */
export function testCondition(condition: CompiledCondition, args: Record<string, unknown>, claims?: Readonly<Record<string, unknown>>): ConditionOutcome {
  const fromClaims = condition.root === "claims";
  const resolved = resolvePath(fromClaims ? (claims ?? {}) : args, condition.segments);
  const what = fromClaims ? "claim" : "argument";
  if (condition.op === "exists") return verdict(resolved.found === condition.value);
  if (!resolved.found) return { kind: "undecidable", message: `${what} path \`${condition.path}\` is missing` };
  const actual = resolved.value;
  const wrongType = (needs: string): ConditionOutcome => ({
    kind: "undecidable",
    message: `${what} \`${condition.path}\` is ${typeName(actual)}, but op \`${condition.op}\` needs ${needs}`,
  });
  switch (condition.op) {
    case "eq":
      return verdict(looseEquals(actual, condition.value));
    case "neq":
      return verdict(!looseEquals(actual, condition.value));
    case "in":
      return verdict((condition.value as unknown[]).some((v) => looseEquals(actual, v)));
    case "not_in":
      return verdict(!(condition.value as unknown[]).some((v) => looseEquals(actual, v)));
    case "lt":
    case "lte":
    case "gt":
    case "gte": {
      const a = toNumber(actual);
      if (a === undefined) return wrongType("a number");
      const b = condition.value as number;
      const op = condition.op;
      return verdict(op === "lt" ? a < b : op === "lte" ? a <= b : op === "gt" ? a > b : a >= b);
    }
    case "regex":
      if (typeof actual !== "string" && typeof actual !== "number" && typeof actual !== "boolean") return wrongType("a string");
      return verdict(condition.regex!.test(String(actual)));
    case "contains":
      if (typeof actual === "string") return verdict(actual.includes(scalarText(condition.value)));
      if (Array.isArray(actual)) return verdict(actual.some((element) => looseEquals(element, condition.value)));
      return wrongType("a string or an array");
  }
}

/** `eq`: as numbers when both sides read as numbers, else as strings. */
export function looseEquals(a: unknown, b: unknown): boolean {
  const x = toNumber(a);
  const y = toNumber(b);
  if (x !== undefined && y !== undefined) return x === y;
  return scalarText(a) === scalarText(b);
}

/** Numbers, and strings that are entirely a finite number (`"42"`, `" 1e3 "`). */
export function toNumber(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value === "string" && value.trim() !== "") {
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

function scalarText(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === null || typeof value === "number" || typeof value === "boolean") return String(value);
  return canonicalJson(value);
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value)}`;
  return `${typeof value === "boolean" ? "the boolean" : "the number"} ${String(value)}`;
}

/** `args.amount gt 10000`, for default messages. */
export function describeCondition(condition: CompiledCondition): string {
  return `${condition.path} ${condition.op} ${JSON.stringify(condition.value)}`;
}

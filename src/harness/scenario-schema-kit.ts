/**
 * The pieces the scenario schemas are made of: strict objects that name the keys they expect, the
 * number kinds, and keyed unions (a step or event told apart by the one key it carries), whose
 * issues come from the branch the author meant.
 */
import { z } from "zod";
import { errorMap } from "../core/schema-issues.js";

export function strictObject<T extends z.core.$ZodLooseShape>(shape: T) {
  const known = Object.keys(shape).map((k) => `\`${k}\``).join(", ");
  return z.strictObject(shape, {
    error: (issue) => (issue.code === "unrecognized_keys" ? `expected one of: ${known}` : undefined),
  });
}

export const count = z.number().int().min(0);
export const positive = z.number().int().min(1);
export const timeMs = z.number().int().min(0);

/** zod issues → path + message, resolving unions to the branch the input was meant for (as `issuesFromZod`). */
function flattenIssues(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): { path: PropertyKey[]; message: string }[] {
  const out: { path: PropertyKey[]; message: string }[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) out.push({ path: [...path, key], message: `unknown key \`${key}\`; ${issue.message}` });
    } else if (issue.code === "invalid_union") {
      const meant = issue.errors.filter((branch) => !branch.every((b) => b.path.length === 0 && b.code === "invalid_type"));
      if (meant.length === 1) out.push(...flattenIssues(meant[0]!, path));
      else out.push({ path, message: issue.message });
    } else {
      out.push({ path, message: issue.message });
    }
  }
  return out;
}

/** The parsed value of one branch of a keyed union, tagged with the key that chose it. */
export type Keyed<K extends Record<string, z.ZodType>> = { [P in keyof K & string]: { readonly kind: P } & z.output<K[P]> }[keyof K & string];

/**
 * A value that is one of several strict objects, told apart by which key it carries (`call`,
 * `burst`, …). Issues come from the branch the author meant, at their own paths. The parsed value
 * carries that key as `kind`, so code downstream switches on it instead of probing keys; files
 * never write `kind` (the strict branches reject it as an unknown key).
 */
export function keyedUnion<const K extends Record<string, z.ZodType>>(what: string, kinds: K, misplaced: Record<string, string> = {}) {
  const names = Object.keys(kinds);
  const expected = `expected ${what} with \`at\` and exactly one of ${names.map((k) => `\`${k}\``).join(", ")}`;
  return z.unknown().transform((value, ctx): Keyed<K> => {
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      ctx.addIssue({ code: "custom", message: `found ${value === null ? "`null`" : Array.isArray(value) ? "an array" : `\`${JSON.stringify(value)}\``}, ${expected}` });
      return z.NEVER;
    }
    const present = names.filter((k) => Object.hasOwn(value, k));
    const elsewhere = Object.keys(misplaced).find((k) => Object.hasOwn(value, k));
    if (present.length === 0 && elsewhere !== undefined) {
      ctx.addIssue({ code: "custom", path: [elsewhere], message: misplaced[elsewhere]! });
      return z.NEVER;
    }
    if (present.length !== 1) {
      const found = present.length === 0 ? "none of them" : present.map((k) => `\`${k}\``).join(" and ");
      ctx.addIssue({ code: "custom", message: `found ${found}, ${expected}` });
      return z.NEVER;
    }
    const kind = present[0]!;
    const parsed = kinds[kind]!.safeParse(value, { error: errorMap, reportInput: true });
    // The generic mapped type cannot follow `kind` to its branch; each branch is a strict object.
    if (parsed.success) return { kind, ...(parsed.data as object) } as Keyed<K>;
    for (const issue of flattenIssues(parsed.error.issues)) ctx.addIssue({ code: "custom", path: issue.path, message: issue.message });
    return z.NEVER;
  });
}

/**
 * The policy language (docs/architecture.md#decision-order): PolicyLayer's hosted JSON, version "1", plus the FAQ aliases
 * (`action`, `reason`, `rate_limit`) and our extensions (`scope: session|global`, `increment_from`,
 * `shadow`, `approval`, `description`, and rules for what is not a tool: `resources` keyed by URI
 * or URI template, `prompts` keyed by name, `methods` keyed by JSON-RPC method). Strict objects:
 * unknown keys are errors.
 * Shape only; the semantic checks (ops vs values, regexes, counters) live in `policy-semantics.ts`.
 */
import { z } from "zod";
import { isNamedWindow } from "./windows.js";

export const OPS = ["eq", "neq", "in", "not_in", "lt", "lte", "gt", "gte", "regex", "contains", "exists"] as const;
export type Op = (typeof OPS)[number];

export const SCOPES = ["grant", "session", "global"] as const;

const WINDOW_EXPECTED = 'expected `"second"`, `"minute"`, `"hour"`, `"day"` or a whole number of seconds ≥ 1';
const TTL_EXPECTED = 'expected a whole number of seconds ≥ 1 or a duration such as `"90s"`, `"10m"`, `"2h"` or `"1d"`';

/** A strict object whose unknown-key message lists the keys it knows. */
function strictObject<T extends z.core.$ZodLooseShape>(shape: T) {
  const known = Object.keys(shape).map((k) => `\`${k}\``).join(", ");
  return z.strictObject(shape, {
    error: (issue) => (issue.code === "unrecognized_keys" ? `expected one of: ${known}` : undefined),
  });
}

const isWholeSeconds = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 1;

const windowSchema = z.custom<"second" | "minute" | "hour" | "day" | number>((v) => isNamedWindow(v) || isWholeSeconds(v), { error: WINDOW_EXPECTED });

const ttlSchema = z.custom<number | string>((v) => isWholeSeconds(v) || (typeof v === "string" && /^[1-9][0-9]*[smhd]$/.test(v)), { error: TTL_EXPECTED });

export const ConditionSchema = strictObject({
  path: z.string(),
  op: z.enum(OPS),
  value: z.unknown().optional(),
});

export const RuleEntrySchema = strictObject({
  conditions: z.array(ConditionSchema),
  on_deny: z.string().optional(),
  shadow: z.boolean().optional(),
  description: z.string().optional(),
});

export const LimitSchema = strictObject({
  counter: z.string().min(1),
  window: windowSchema,
  max: z.number().int().min(0),
  scope: z.enum(SCOPES).optional(),
  increment_from: z.string().optional(),
  shadow: z.boolean().optional(),
  description: z.string().optional(),
});

export const RateLimitAliasSchema = strictObject({
  max: z.number().int().min(0),
  window: windowSchema,
  scope: z.enum(SCOPES).optional(),
  shadow: z.boolean().optional(),
});

export const ApprovalObjectSchema = strictObject({
  conditions: z.array(ConditionSchema).optional(),
  ttl: ttlSchema.optional(),
  description: z.string().optional(),
});

export const ToolRuleSchema = strictObject({
  description: z.string().optional(),
  action: z.enum(["allow", "deny", "require_approval"]).optional(),
  reason: z.string().optional(),
  require: z.array(RuleEntrySchema).optional(),
  deny_if: z.array(RuleEntrySchema).optional(),
  limits: z.array(LimitSchema).optional(),
  rate_limit: RateLimitAliasSchema.optional(),
  approval: z.union([z.boolean(), ApprovalObjectSchema], { error: "expected `true`, `false` or an object with `conditions` and `ttl`" }).optional(),
});

export const AllToolsSchema = strictObject({
  description: z.string().optional(),
  limits: z.array(LimitSchema).optional(),
});

export const PolicySchema = strictObject({
  version: z.literal("1"),
  description: z.string().optional(),
  default: z.enum(["allow", "deny"]),
  hide: z.array(z.string().min(1)).optional(),
  all_tools: AllToolsSchema.optional(),
  tools: z.record(z.string().min(1), ToolRuleSchema).optional(),
  /** Rules for `resources/read` (and subscribe, completion), keyed by URI or URI template (`kommo://reports/{kind}`). */
  resources: z.record(z.string().min(1), ToolRuleSchema).optional(),
  /** Rules for `prompts/get` (and completion), keyed by prompt name. */
  prompts: z.record(z.string().min(1), ToolRuleSchema).optional(),
  /** Rules for any other method a client may send (e.g. the tasks extension's `tasks/get`), keyed by method. */
  methods: z.record(z.string().min(1), ToolRuleSchema).optional(),
});

export type PolicyDocument = z.output<typeof PolicySchema>;
export type ToolRule = z.output<typeof ToolRuleSchema>;
export type Condition = z.output<typeof ConditionSchema>;
export type RuleEntry = z.output<typeof RuleEntrySchema>;
export type Limit = z.output<typeof LimitSchema>;
export type RateLimitAlias = z.output<typeof RateLimitAliasSchema>;
export type ApprovalObject = z.output<typeof ApprovalObjectSchema>;

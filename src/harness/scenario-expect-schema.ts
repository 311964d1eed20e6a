/**
 * What a scenario step calls and what it expects back: the call (tool and arguments), the
 * expected outcome (allow, deny with its code and rule, or a JSON-RPC error), counts for bursts
 * and loops, and retries.
 */
import { z } from "zod";
import { DENY_CODES, RULE_DEFAULT_DENY, RULE_HIDDEN, RULE_INPUT_SCHEMA, RULE_NO_POLICY, type DenyCode } from "../policy/decision.js";
import { count, positive, strictObject, timeMs } from "./scenario-schema-kit.js";

/** Tool arguments; `{"$repeat": "A", "times": 100000}` anywhere inside expands to a long string. */
export const ArgsSchema = z.custom<Record<string, unknown>>(
  (value) => value !== null && typeof value === "object" && !Array.isArray(value),
  { error: "expected an object of tool arguments" },
); // kept as parsed: a record schema would drop keys such as `__proto__`, which scenarios send on purpose

export const CallSpecSchema = strictObject({
  tool: z.string(),
  args: ArgsSchema.optional(),
});

export const AllowExpectSchema = strictObject({
  decision: z.literal("allow"),
  /** The upstream answered with a tool error (`isError: true`): the call was allowed and counted. */
  isError: z.boolean().optional(),
  textIncludes: z.string().optional(),
  /** Virtual time (ms from scenario start) at which the answer came back, e.g. a call held for approval. */
  answeredAtMs: timeMs.optional(),
});

/**
 * The approval a denial names (`_meta["toolgate/decision"].approvalId`): `new` (no earlier call in
 * the scenario was answered with it) or `same-as LABEL` (the one the step labelled LABEL was
 * answered with; `same-as AGENT/LABEL` for another agent's step).
 */
export const ApprovalIdExpectSchema = z.string().regex(/^(new|same-as ([A-Za-z0-9_.-]+\/)?[^/]+)$/, {
  error: (issue) => `found \`${JSON.stringify(issue.input)}\`, expected \`"new"\` or \`"same-as LABEL"\` (a step label, or \`AGENT/LABEL\`)`,
});

/**
 * The codes whose rule is fixed, so a deny expectation may leave `rule` out. `invalid_arguments`
 * means the input schema here; the one an `increment_from` limit gives names its limit, so state it.
 */
export const RULE_OF_CODE: Readonly<Partial<Record<DenyCode, string>>> = {
  no_policy: RULE_NO_POLICY,
  hidden: RULE_HIDDEN,
  default_deny: RULE_DEFAULT_DENY,
  invalid_arguments: RULE_INPUT_SCHEMA,
};

const RULE_OPTIONAL_FOR = Object.keys(RULE_OF_CODE).map((c) => `\`${c}\``).join(", ");

export const DenyExpectSchema = strictObject({
  decision: z.literal("deny"),
  code: z.enum(DENY_CODES),
  /** Optional only for the codes of `RULE_OF_CODE`. */
  rule: z.string().optional(),
  retryAfterMs: timeMs.optional(),
  remaining: count.optional(),
  textIncludes: z.string().optional(),
  approvalId: ApprovalIdExpectSchema.optional(),
  answeredAtMs: timeMs.optional(),
}).superRefine((expect, ctx) => {
  if (expect.rule !== undefined || RULE_OF_CODE[expect.code] !== undefined) return;
  ctx.addIssue({
    code: "custom",
    path: ["rule"],
    message: `missing; expected the rule that denies with \`${expect.code}\` (a JSON pointer such as \`/tools/stop_salesbot/limits/0\`); only ${RULE_OPTIONAL_FOR} determine their rule`,
  });
});

/** The gateway answered with a JSON-RPC error (e.g. the upstream timed out). */
export const ErrorExpectSchema = strictObject({
  decision: z.literal("error"),
  textIncludes: z.string().optional(),
  answeredAtMs: timeMs.optional(),
});

const CALL_EXPECT_MESSAGE = 'expected `"allow"` or an object with `decision` `allow`, `deny` or `error`';

export const CallExpectSchema = z.union(
  // `z.string()` first, so that an object input is reported against the object branch only.
  [z.string().pipe(z.literal("allow")), z.discriminatedUnion("decision", [AllowExpectSchema, DenyExpectSchema, ErrorExpectSchema])],
  { error: CALL_EXPECT_MESSAGE },
);

export const CountExpectSchema = strictObject({
  allow: count,
  deny: count,
  /** Calls answered with a JSON-RPC error; 0 unless stated. */
  error: count.optional(),
  /** Allowed calls whose tool result had `isError: true` (a subset of `allow`). */
  toolError: count.optional(),
  /** Denials by code, e.g. `{"rate_limited": 40}`. */
  codes: z.partialRecord(z.enum(DENY_CODES), count).optional(),
  /** The rule every denial must name. */
  rule: z.string().optional(),
  /** Per-call expectations, in the order the calls were issued. */
  calls: z.array(CallExpectSchema).optional(),
});

export const RetryExpectSchema = strictObject({
  ...CountExpectSchema.shape,
  attempts: positive.optional(),
  /** Virtual time (ms from scenario start) at which the allowed attempt was issued. */
  allowedAtMs: timeMs.optional(),
});

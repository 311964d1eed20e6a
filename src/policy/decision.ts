/**
 * What the policy decided for one `tools/call`. Expected outcomes are values, never exceptions.
 * The wire form (tool result with `_meta["toolgate/decision"]`) is built in `protocol/denial.ts`.
 */

export const DENY_CODES = [
  "no_policy",
  "hidden",
  "default_deny",
  "invalid_arguments",
  "denied",
  "requirement_failed",
  "approval_required",
  "approval_denied",
  "approval_expired",
  "rate_limited",
  "store_unavailable",
] as const;

export type DenyCode = (typeof DENY_CODES)[number];

export type LimitScope = "grant" | "session" | "global";

/** What a governed request asks for: a tool call, a resource read, a prompt, or another method. */
export type TargetKind = "tool" | "resource" | "prompt" | "method";

/** Facts about the limit that denied (or would deny) a call; all times in ms. */
export interface LimitFacts {
  readonly counter: string;
  readonly scope: LimitScope;
  /** The window as the policy wrote it: `second|minute|hour|day` or a number of seconds. */
  readonly window: string | number;
  readonly windowMs: number;
  readonly max: number;
  readonly remaining: number;
  readonly retryAfterMs: number;
  /** Window end as ISO-8601 UTC. */
  readonly resetAt: string;
}

export interface Allow {
  readonly decision: "allow";
  readonly tool: string;
  /** The rules that matched on the way (limits reserved), as JSON pointers; may be empty. */
  readonly rules: readonly string[];
  /** The approval this call consumed to pass step 7. */
  readonly approvalId?: string;
}

export interface Deny {
  readonly decision: "deny";
  readonly code: DenyCode;
  /** JSON pointer into the policy (`/tools/x/deny_if/0`) or `(hidden)`, `(default deny)`, `(no policy)`. */
  readonly rule: string;
  /** The tool's name (or, with `kind`, the resource URI, prompt name or method). */
  readonly tool: string;
  /** Absent for a tool call. */
  readonly kind?: Exclude<TargetKind, "tool">;
  /** The upstream server, when one gateway fronts several. */
  readonly server?: string;
  /** Human/model-readable reason, without the `[POLICY DENIED] ` prefix. */
  readonly message: string;
  readonly limit?: LimitFacts;
  readonly approvalId?: string;
  /** True when a rule in shadow mode produced this denial: log it, forward anyway. */
  readonly shadow?: boolean;
}

export type Decision = Allow | Deny;

export const RULE_HIDDEN = "(hidden)";
export const RULE_DEFAULT_DENY = "(default deny)";
export const RULE_NO_POLICY = "(no policy)";
export const RULE_STORE = "(store)";

/** Rule label for step 4: the call's arguments do not match the upstream tool's `inputSchema`. */
export const RULE_INPUT_SCHEMA = "(input schema)";

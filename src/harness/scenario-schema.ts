/**
 * The scenario file (`scenarios/*.scenario.json`, docs/architecture.md#the-harness): a policy, grants, a CRM seed, Kommo
 * faults, agents whose steps run at virtual times, and the expected outcome of every step plus
 * the end state (CRM effects, Kommo requests, audit facts). Strict objects: unknown keys are
 * errors, reported with their JSON path. Cross-field rules live in `superRefine` below.
 */
import { z } from "zod";
import { assertNever } from "../core/errors.js";
import { DENY_CODES } from "../policy/decision.js";
import { CallExpectSchema, CallSpecSchema, CountExpectSchema, DenyExpectSchema, RetryExpectSchema, RULE_OF_CODE } from "./scenario-expect-schema.js";
import { count, keyedUnion, positive, strictObject, timeMs } from "./scenario-schema-kit.js";
import { StackSectionSchema } from "../gateway/stack/stack-config.js";
import { ScenarioServersSchema } from "./scenario-servers-schema.js";
import { APPROVAL_STEPS } from "../gateway/approvals/approval-audit.js";
import { APPROVAL_STATES } from "../stores/approval-store.js";

export * from "./scenario-expect-schema.js";
export type { Keyed } from "./scenario-schema-kit.js";


const stepBase = { at: timeMs, label: z.string().optional() };

export const CallStepSchema = strictObject({ ...stepBase, call: CallSpecSchema, expect: CallExpectSchema });
export const BurstStepSchema = strictObject({
  ...stepBase,
  burst: strictObject({ ...CallSpecSchema.shape, count: positive }),
  expect: CountExpectSchema,
});
export const LoopStepSchema = strictObject({
  ...stepBase,
  loop: strictObject({ ...CallSpecSchema.shape, everyMs: positive, forMs: positive }),
  expect: CountExpectSchema,
});
export const ConcurrentStepSchema = strictObject({
  ...stepBase,
  concurrent: strictObject({ ...CallSpecSchema.shape, count: positive }),
  expect: CountExpectSchema,
});
export const RetryStepSchema = strictObject({
  ...stepBase,
  retry: strictObject({
    ...CallSpecSchema.shape,
    maxAttempts: positive,
    /** `retryAfter`: sleep the denial's `retryAfterMs`; a number: sleep that many ms; `none`: retry at once. */
    wait: z.union([z.literal("retryAfter"), z.literal("none"), timeMs]),
  }),
  expect: RetryExpectSchema,
});

export const AgentStepSchema = keyedUnion("a step", {
  call: CallStepSchema,
  burst: BurstStepSchema,
  loop: LoopStepSchema,
  concurrent: ConcurrentStepSchema,
  retry: RetryStepSchema,
}, { approval: "approval decisions are made by a human, not by an agent: move this entry to the scenario's `events`" });

export const FaultSchema = strictObject({
  /** `METHOD /path` with `:param` segments, e.g. `POST /api/v4/bots/:id/stop`. */
  route: z.string().regex(/^(\*|GET|POST|PATCH|PUT|DELETE) \/\S*$/, { error: (issue) => `found \`${JSON.stringify(issue.input)}\`, expected \`METHOD /path\` such as \`POST /api/v4/bots/:id/stop\`` }),
  status: z.number().int().min(100).max(599).optional(),
  latencyMs: timeMs.optional(),
  /** The work is done at once (it reaches the CRM); the answer comes this much later. */
  answerLatencyMs: timeMs.optional(),
  timeout: z.boolean().optional(),
  times: positive.optional(),
});

export const ReloadExpectSchema = z.union(
  [z.literal("applied"), strictObject({ rejected: strictObject({ includes: z.string().optional() }) })],
  { error: 'expected `"applied"` or `{"rejected": {"includes": "…"}}`' },
);

/** A policy: inline JSON, or a file path relative to the scenario file. */
export const PolicySourceSchema = z.union([z.string().min(1), z.record(z.string(), z.unknown())], {
  error: "expected a policy object or a file path relative to the scenario",
});

export const ClockEventSchema = strictObject({ ...stepBase, clock: strictObject({ note: z.string().optional() }) });
export const ReloadEventSchema = strictObject({ ...stepBase, reload: strictObject({ policy: PolicySourceSchema }), expect: ReloadExpectSchema });
export const FaultEventSchema = strictObject({ ...stepBase, fault: FaultSchema });
export const ClearFaultsEventSchema = strictObject({ ...stepBase, clearFaults: z.literal(true) });

/** A step reference: `AGENT/LABEL`. */
export const StepRefSchema = z.string().regex(/^[A-Za-z0-9_.-]+\/[^/]+$/, {
  error: (issue) => `found \`${JSON.stringify(issue.input)}\`, expected \`AGENT/LABEL\`, naming an agent and the label of one of its steps (a label without \`/\`)`,
});

export const ApprovalDecideExpectSchema = z.union(
  [
    z.literal("decided"),
    strictObject({ refused: strictObject({ reason: z.enum(["unknown", "expired", "decided"]).optional() }) }),
  ],
  { error: 'expected `"decided"` or `{"refused": {"reason": "unknown" | "expired" | "decided"}}`' },
);

/**
 * A human decides the approval an agent's step asked for: the approval id the step's call was
 * answered with, or (a call still held open in `hold` mode) the pending approval for that call's
 * grant, tool and arguments. `expect` defaults to `decided`.
 */
export const ApprovalEventSchema = strictObject({
  ...stepBase,
  approval: strictObject({
    decide: z.enum(["approve", "deny"]),
    of: StepRefSchema,
    /** Who decided (the audit's `decidedBy`). */
    by: z.string().min(1).optional(),
  }),
  expect: ApprovalDecideExpectSchema.optional(),
});

export const EventSchema = keyedUnion("an event", {
  clock: ClockEventSchema,
  reload: ReloadEventSchema,
  fault: FaultEventSchema,
  clearFaults: ClearFaultsEventSchema,
  approval: ApprovalEventSchema,
});

export const AgentSchema = strictObject({
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/),
  /** The grant the agent's gateway runs under; absent: no grant. */
  grant: z.string().min(1).optional(),
  /** The session key for `scope: "session"`; defaults to the agent's name. */
  session: z.string().min(1).optional(),
  steps: z.array(AgentStepSchema),
});

export const EndExpectSchema = strictObject({
  effects: strictObject({
    salesbotStops: count.optional(),
    salesbotRuns: count.optional(),
    /** Stops per bot id, e.g. `{"7001": 10}`. */
    stopsByBot: z.record(z.string(), count).optional(),
    /** Stops per `entity_type:entity_id`, e.g. `{"leads:1001": 10}`. */
    stopsByEntity: z.record(z.string(), count).optional(),
  }).optional(),
  /** Kommo REST requests that were answered 2xx, by `METHOD /path` (`:id` matches one segment). */
  kommoRequests: z.record(z.string().regex(/^(GET|POST|PATCH|PUT|DELETE) \/\S*$/), count).optional(),
  audit: strictObject({
    total: count.optional(),
    byDecision: strictObject({ allow: count.optional(), deny: count.optional() }).optional(),
    byCode: z.partialRecord(z.enum(DENY_CODES), count).optional(),
    /** Shadow would-denials on decision lines, by rule, e.g. `{"/tools/echo/deny_if/0": 2, "(hidden)": 1}`; exact. */
    wouldDenyByRule: z.record(z.string(), count).optional(),
    /** Shadow would-denials on decision lines, by code; exact. */
    wouldDenyByCode: z.partialRecord(z.enum(DENY_CODES), count).optional(),
    /** Approval lines by step (`pending`, `approved`, `denied`, `expired`, `consumed`, `restored`); exact. */
    approvalSteps: z.partialRecord(z.enum(APPROVAL_STEPS), count).optional(),
  }).optional(),
  /** Approvals in the store at the end, by effective state; exact (states not named must be 0). */
  approvals: z.partialRecord(z.enum(APPROVAL_STATES), count).optional(),
});

export const ScenarioSchema = strictObject({
  $schema: z.string().optional(),
  purpose: z.string().min(1).regex(/^[^\n\r]*$/, { error: "expected one line of text" }),
  /** Virtual start instant (ISO-8601 UTC); default 2026-01-01T00:00:00.000Z, a day boundary. */
  startAt: z.iso.datetime({ offset: false }).optional(),
  /** The policy of the one upstream (the Kommo simulator); a scenario with `servers` gives each server its own instead. */
  policy: PolicySourceSchema.optional(),
  /** Several servers behind one gateway (scenario-servers-schema.ts): exactly one is the Kommo simulator. */
  servers: ScenarioServersSchema.optional(),
  /** With `servers`: the stack's default for names no server has, and limits that span servers. */
  stack: StackSectionSchema.optional(),
  grants: z.array(z.string().min(1)).optional(),
  crm: strictObject({
    /** A seed file relative to the scenario; default: the simulator's default seed. */
    seed: z.string().min(1).optional(),
    /** Top-level seed collections replaced wholesale, e.g. `{"salesbots": […]}`. */
    overrides: z.record(z.string(), z.unknown()).optional(),
  }).optional(),
  kommo: strictObject({
    rateLimitPerSecond: positive.optional(),
    schema: z.enum(["v2", "v3"]).optional(),
    confirmWrites: z.boolean().optional(),
    faults: z.array(FaultSchema).optional(),
  }).optional(),
  gateway: strictObject({
    upstreamTimeoutMs: positive.optional(),
    maxMessageBytes: positive.optional(),
    /** `async` (default): answer `approval_required` at once; `hold`: keep the call open until decided or timed out. */
    approvalMode: z.enum(["async", "hold"]).optional(),
    /** `hold` mode: how long a call is held (virtual ms) before it is answered `approval_required`. */
    approvalTimeoutMs: positive.optional(),
    /** Global shadow mode (`--shadow`): decide and audit, forward every call. */
    shadow: z.boolean().optional(),
  }).optional(),
  agents: z.array(AgentSchema).min(1),
  events: z.array(EventSchema).optional(),
  expect: EndExpectSchema.optional(),
});

export type Scenario = z.output<typeof ScenarioSchema>;
export type Agent = z.output<typeof AgentSchema>;
export type AgentStep = z.output<typeof AgentStepSchema>;
export type ScenarioEvent = z.output<typeof EventSchema>;
export type CallSpec = z.output<typeof CallSpecSchema>;
export type CallExpect = z.output<typeof CallExpectSchema>;
export type CountExpect = z.output<typeof CountExpectSchema>;
export type RetryExpect = z.output<typeof RetryExpectSchema>;
export type Fault = z.output<typeof FaultSchema>;
export type EndExpect = z.output<typeof EndExpectSchema>;
export type ReloadExpect = z.output<typeof ReloadExpectSchema>;
export type PolicySource = z.output<typeof PolicySourceSchema>;
export type ApprovalDecideExpect = z.output<typeof ApprovalDecideExpectSchema>;

export type StepKind = AgentStep["kind"];
export type EventKind = ScenarioEvent["kind"];
/** One kind of step or event, e.g. `StepOf<"retry">`. */
export type StepOf<K extends StepKind> = Extract<AgentStep, { readonly kind: K }>;
export type EventOf<K extends EventKind> = Extract<ScenarioEvent, { readonly kind: K }>;
export type ApprovalEvent = EventOf<"approval">;
export type ReloadEvent = EventOf<"reload">;

/** The call a step makes (every call of a step has the same tool and arguments). */
export function stepCallSpec(step: AgentStep): CallSpec {
  switch (step.kind) {
    case "call":
      return step.call;
    case "burst":
      return step.burst;
    case "loop":
      return step.loop;
    case "concurrent":
      return step.concurrent;
    case "retry":
      return step.retry;
    default:
      return assertNever(step, "step");
  }
}

/** The per-call expectations a step states: a call step's one, or the `calls` of a counted step. */
export function stepCallExpects(step: AgentStep): readonly CallExpect[] {
  return step.kind === "call" ? [step.expect] : (step.expect.calls ?? []);
}

type DenyExpect = z.output<typeof DenyExpectSchema>;
/** One call's expectation as an object, a deny with its rule filled in. */
export type NormalisedCallExpect = Exclude<CallExpect, "allow" | DenyExpect> | (DenyExpect & { readonly rule: string });

/** A normalised expectation of one call: `"allow"` as an object, an omitted rule as the code's own. */
export function normaliseCallExpect(expect: CallExpect): NormalisedCallExpect {
  if (expect === "allow") return { decision: "allow" };
  if (expect.decision !== "deny" || expect.rule !== undefined) return expect as NormalisedCallExpect;
  // The schema admits no omitted rule outside `RULE_OF_CODE`.
  return { ...expect, rule: RULE_OF_CODE[expect.code] ?? "(rule missing)" };
}

export const DEFAULT_START_MS = Date.UTC(2026, 0, 1, 0, 0, 0);

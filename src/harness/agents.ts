/**
 * Scripted agents: one MCP client session each, and the step kinds they run (single calls,
 * bursts, loops, concurrent calls, retry storms). The executors only see a `CallFn` and a
 * `TimeDriver`, so the same code drives the in-memory world (virtual clock) and external
 * gateway processes (file clock or real clock).
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { CallOutcome, CallRecord } from "./result.js";
import type { AgentStep, CallSpec, StepOf } from "./scenario-schema.js";
import { assertNever, messageOf } from "../core/errors.js";

export interface TimeDriver {
  /** Virtual ms since the scenario's start. */
  nowMs(): number;
  /** Resolves once the scenario time reaches `atMs` (never earlier). */
  waitUntil(atMs: number): Promise<void>;
  /**
   * Set when moving time does not wait for calls in flight (a clock file written by the runner):
   * loops then wait for each call before moving on, so every call is decided at its own time.
   */
  readonly serialCalls?: boolean;
}

/** Issues one `tools/call` and reports what came back. */
export type CallFn = (spec: CallSpec) => Promise<Omit<CallRecord, "agent" | "step" | "startMs" | "endMs" | "tool">>;

const DECISION_META = "toolgate/decision";

interface DecisionMeta {
  decision?: unknown;
  code?: unknown;
  rule?: unknown;
  retryAfterMs?: unknown;
  remaining?: unknown;
  approvalId?: unknown;
}

function textOf(content: unknown): string {
  if (!Array.isArray(content)) return "";
  return content
    .map((c) => (c && typeof c === "object" && (c as { type?: unknown }).type === "text" ? String((c as { text?: unknown }).text ?? "") : ""))
    .join("\n")
    .slice(0, 2_000);
}

/** The text a denial starts with (docs/architecture.md#the-denial-payload), with or without its `_meta`. */
const DENIAL_PREFIXES = ["[POLICY DENIED] ", "[APPROVAL REQUIRED] "];

/**
 * A tool result → outcome. Denials carry `_meta["toolgate/decision"]`; a result with that object
 * (whatever its `decision`, unless `allow`) or with a denial's text prefix is a denial even when the
 * facts are missing, so a gateway that drops its `_meta` cannot pass an `allow` expectation.
 */
export function outcomeOfResult(result: Record<string, unknown>): ReturnType<CallFn> extends Promise<infer R> ? R : never {
  const raw = (result._meta as Record<string, unknown> | undefined)?.[DECISION_META];
  const meta = raw !== null && typeof raw === "object" ? (raw as DecisionMeta) : undefined;
  const text = textOf(result.content);
  const denied = meta !== undefined ? meta.decision !== "allow" : raw !== undefined || DENIAL_PREFIXES.some((p) => text.startsWith(p));
  if (denied) {
    return {
      outcome: "deny" as CallOutcome,
      ...(typeof meta?.code === "string" ? { code: meta.code } : {}),
      ...(typeof meta?.rule === "string" ? { rule: meta.rule } : {}),
      ...(typeof meta?.retryAfterMs === "number" ? { retryAfterMs: meta.retryAfterMs } : {}),
      ...(typeof meta?.remaining === "number" ? { remaining: meta.remaining } : {}),
      ...(typeof meta?.approvalId === "string" ? { approvalId: meta.approvalId } : {}),
      text,
    };
  }
  return { outcome: "allow" as CallOutcome, isError: result.isError === true, text };
}

/** A `CallFn` over an SDK 1.x client. JSON-RPC errors become `error` outcomes. */
export function sdkCallFn(client: Client): CallFn {
  return async (spec) => {
    try {
      const result = await client.callTool({ name: spec.tool, arguments: spec.args ?? {} }, undefined, { timeout: 600_000 });
      return outcomeOfResult(result as Record<string, unknown>);
    } catch (error) {
      return { outcome: "error", text: messageOf(error).slice(0, 2_000) };
    }
  };
}

export interface StepContext {
  readonly agent: string;
  readonly stepId: string;
  readonly call: CallFn;
  readonly time: TimeDriver;
  /** Every finished call is appended here (the scenario's timeline). */
  readonly record: (call: CallRecord) => void;
}

async function one(ctx: StepContext, spec: CallSpec): Promise<CallRecord> {
  const startMs = ctx.time.nowMs();
  const got = await ctx.call(spec);
  const record: CallRecord = { agent: ctx.agent, step: ctx.stepId, tool: spec.tool, startMs, endMs: ctx.time.nowMs(), ...got };
  ctx.record(record);
  return record;
}

/** Runs one agent step from its `at`; resolves with the calls it made, in issue order. */
export async function runAgentStep(step: AgentStep, ctx: StepContext): Promise<CallRecord[]> {
  switch (step.kind) {
    case "call":
      return [await one(ctx, step.call)];
    case "burst": {
      const calls: CallRecord[] = [];
      for (let i = 0; i < step.burst.count; i++) calls.push(await one(ctx, step.burst));
      return calls;
    }
    case "concurrent":
      return Promise.all(Array.from({ length: step.concurrent.count }, () => one(ctx, step.concurrent)));
    case "loop":
      return runLoop(step, ctx);
    case "retry":
      return runRetry(step, ctx);
    default:
      return assertNever(step, "step");
  }
}

async function runLoop(step: StepOf<"loop">, ctx: StepContext): Promise<CallRecord[]> {
  const calls: CallRecord[] = [];
  const inFlight: Promise<void>[] = [];
  for (let t = step.at; t < step.at + step.loop.forMs; t += step.loop.everyMs) {
    await ctx.time.waitUntil(t);
    // A loop fires on its schedule whether or not the previous call has come back.
    const index = calls.length;
    calls.push(undefined as unknown as CallRecord);
    const call = one(ctx, step.loop).then((r) => void (calls[index] = r));
    if (ctx.time.serialCalls) await call;
    inFlight.push(call);
  }
  await Promise.all(inFlight);
  return calls;
}

async function runRetry(step: StepOf<"retry">, ctx: StepContext): Promise<CallRecord[]> {
  const calls: CallRecord[] = [];
  for (let attempt = 0; attempt < step.retry.maxAttempts; attempt++) {
    const r = await one(ctx, step.retry);
    calls.push(r);
    if (r.outcome === "allow") break;
    const wait = step.retry.wait;
    if (wait === "retryAfter") await ctx.time.waitUntil(ctx.time.nowMs() + (r.retryAfterMs ?? 0));
    else if (typeof wait === "number" && wait > 0) await ctx.time.waitUntil(ctx.time.nowMs() + wait);
  }
  return calls;
}

/** Whether a step needs time to pass (waits, loops) — such steps cannot run on an unsteered clock. */
export function stepNeedsTime(step: AgentStep): boolean {
  switch (step.kind) {
    case "loop":
      return true;
    case "retry":
      return step.retry.wait !== "none" && step.retry.wait !== 0;
    case "call":
    case "burst":
    case "concurrent":
      return false;
    default:
      return assertNever(step, "step");
  }
}

/**
 * A scenario from recorded traffic (`toolgate scenario from-recording`): every recorded
 * `tools/call` in the window becomes a `call` step of the agent that made it (one agent per grant
 * and session), at its time relative to the first, and its expectation is what the policy decides
 * now — re-decided by the replay's `Replayer`, in the order the scenario runner will issue the
 * calls, at the same instants (`startAt` is the first call's time, so every window lines up).
 *
 * What the scenario cannot reproduce is left out, or said: other methods (resources, prompts) are
 * skipped; a redacted or cut argument becomes a placeholder (`placeholder.ts`); a call that passed
 * with an approval gets a human `approval` event when the call that asked for it is in the scenario,
 * and is expected to ask again otherwise; the CRM effects (`salesbotStops`, by bot and entity) are
 * expected only when the simulator's seed can take every allowed stop. Entity ids stay as recorded.
 */
import { basename } from "node:path";
import type { CompiledPolicy } from "../../policy/load-policy.js";
import { Replayer, type ReplayedDecision } from "../replay/replay.js";
import type { Recorded } from "../replay/recording-file.js";
import { RULE_OF_CODE } from "../scenario-schema.js";
import { ApprovalEvents } from "./approval-events.js";
import { placeholder } from "./placeholder.js";

export interface BuildOptions {
  readonly policy: CompiledPolicy;
  /** The scenario's `policy`: the policy file relative to the scenario file. */
  readonly policyRef: string;
  readonly grant?: string;
  /** Epoch ms, `[fromMs, toMs)`. */
  readonly fromMs: number;
  readonly toMs: number;
  /** The salesbot ids of the simulator's default seed. */
  readonly seedBots: ReadonlySet<number>;
  /** Shown in the purpose, e.g. `traffic.jsonl`. */
  readonly recordingName: string;
  /** The simulator's tool names: an allowed call of another tool cannot run as recorded. */
  readonly simulatorTools?: ReadonlySet<string>;
  /** Decide in global shadow mode (`serve --shadow`); the scenario sets `gateway.shadow`. */
  readonly shadow?: boolean;
}

export interface BuiltScenario {
  readonly scenario: Record<string, unknown>;
  readonly steps: number;
  readonly agents: number;
  readonly allowed: number;
  readonly denied: number;
  /** Steps whose expectation differs from the recorded decision. */
  readonly changed: number;
  readonly placeholders: number;
  /** What the author should know: skipped calls, placeholders, approvals, effects left out. */
  readonly notes: readonly string[];
}

type Json = Record<string, unknown>;

interface AgentDraft {
  readonly name: string;
  readonly grant: string | null;
  readonly session: string;
  readonly steps: Json[];
}

const STOP_TOOL = "stop_salesbot";

/** The scenario, or why there is none (nothing in the window). */
export function buildScenario(recorded: readonly Recorded[], options: BuildOptions): BuiltScenario | string {
  const notes: string[] = [];
  const skipped = new Map<string, number>();
  const selected: Recorded[] = [];
  for (const call of recorded) {
    if (options.grant !== undefined && call.grant !== options.grant) continue;
    if (call.atMs < options.fromMs || call.atMs >= options.toMs) continue;
    if (call.method !== "tools/call") skipped.set(call.method, (skipped.get(call.method) ?? 0) + 1);
    else selected.push(call);
  }
  for (const [method, n] of skipped) notes.push(`skipped ${plural(n, "recorded call")} of \`${method}\`: scenario steps call tools only`);
  if (selected.length === 0) return "no recorded `tools/call` matches (check `--grant` and `--window`)";
  const startMs = selected.reduce((min, c) => Math.min(min, c.atMs), Number.POSITIVE_INFINITY);

  const agents = new Map<string, AgentDraft>();
  const agentOf = (call: Recorded): AgentDraft => {
    const key = JSON.stringify([call.grant, call.session]);
    let agent = agents.get(key);
    if (agent === undefined) {
      agent = { name: agentName(call.grant, [...agents.values()].map((a) => a.name)), grant: call.grant, session: call.session, steps: [] };
      agents.set(key, agent);
    }
    return agent;
  };
  // The runner's order: by time, then agents in file order, each agent's steps in file order.
  const drafts = selected.map((call, index) => ({ call, index, agent: agentOf(call) }));
  const agentIndex = new Map([...agents.values()].map((a, i) => [a, i]));
  drafts.sort((a, b) => a.call.atMs - b.call.atMs || agentIndex.get(a.agent)! - agentIndex.get(b.agent)! || a.index - b.index);

  const replayer = new Replayer({ policyFor: () => options.policy, shadow: options.shadow ?? false });
  const approvals = new ApprovalEvents();
  let allowed = 0;
  let denied = 0;
  let changed = 0;
  let placeholders = 0;
  const codes: Record<string, number> = {};
  const wouldDenyByRule: Record<string, number> = {};
  const foreignTools = new Set<string>();
  /** The arguments of each allowed stop; undefined where a placeholder stands for a value. */
  const allowedStops: (Record<string, unknown> | undefined)[] = [];
  drafts.forEach(({ call, agent }, n) => {
    const at = call.atMs - startMs;
    const label = `call ${n + 1}, ${basename(call.source)}`;
    const tool = call.nameAtServer ?? call.name;
    // Decided as the scenario will call it: the simulator's tool name, no server, the agent's session.
    const { server: _server, nameAtServer: _nameAtServer, ...plain } = call;
    const asCalled = approvals.beforeDeciding({ ...plain, name: tool, session: agent.session === "" ? agent.name : agent.session }, at);
    const { replayed, decision } = replayer.decideFully(asCalled);
    approvals.afterDeciding(call, decision, `${agent.name}/${label}`);
    if (!sameDecision(replayed, call)) changed++;
    const args = withPlaceholders(call);
    placeholders += args.count;
    const step: Json = { at, label, call: { tool, args: args.value }, expect: expectation(decision) };
    agent.steps.push(step);
    for (const w of replayed.wouldDeny) wouldDenyByRule[w.rule] = (wouldDenyByRule[w.rule] ?? 0) + 1;
    if (decision.decision === "allow") {
      allowed++;
      if (options.simulatorTools !== undefined && !options.simulatorTools.has(tool)) foreignTools.add(tool);
      if (tool === STOP_TOOL) allowedStops.push(args.count > 0 ? undefined : call.args);
    } else {
      denied++;
      codes[decision.code] = (codes[decision.code] ?? 0) + 1;
    }
  });
  if (placeholders > 0) {
    notes.push(`${plural(placeholders, "argument")} redacted or cut when recorded became \`{"$placeholder": …}\`: put values there (\`check\` and \`validate\` refuse the file until you do); their expectations were decided on the recorded text`);
  }
  if (approvals.askedAgain > 0) {
    notes.push(`${plural(approvals.askedAgain, "call")} passed (or was refused) by a human's decision on an approval asked before the window: expected to ask for approval again`);
  }
  if (foreignTools.size > 0) {
    notes.push(`allowed calls name tools the simulator does not have (${[...foreignTools].map((t) => `\`${t}\``).join(", ")}): \`check\` will not see them run as recorded`);
  }
  const effects = stopEffects(allowedStops, options.seedBots);
  if (typeof effects === "string") notes.push(`no CRM effects expected: ${effects}`);
  const used = [...agents.values()];
  const grants = [...new Set(used.flatMap((a) => (a.grant === null ? [] : [a.grant])))];
  const window = `${new Date(startMs).toISOString()} to ${new Date(Math.max(...selected.map((c) => c.atMs))).toISOString()}`;
  const scenario: Json = {
    purpose: `Recorded traffic (${options.recordingName}, ${plural(selected.length, "call")} from ${window}) decided as ${options.policyRef} decides it now.`,
    startAt: new Date(startMs).toISOString(),
    policy: options.policyRef,
    ...(grants.length > 0 ? { grants } : {}),
    // Kommo's own 7 requests/s would turn bursts into tool errors: the scenario checks the gateway.
    kommo: { rateLimitPerSecond: 1_000 },
    ...(options.shadow ? { gateway: { shadow: true } } : {}),
    agents: used.map((a) => ({ name: a.name, ...(a.grant === null ? {} : { grant: a.grant }), ...(a.session === "" ? {} : { session: a.session }), steps: a.steps })),
    ...(approvals.events.length > 0 ? { events: approvals.events } : {}),
    expect: {
      ...(typeof effects === "string" ? {} : { effects }),
      audit: { total: selected.length, byDecision: { allow: allowed, deny: denied }, byCode: codes, ...(Object.keys(wouldDenyByRule).length > 0 ? { wouldDenyByRule } : {}) },
    },
  };
  return { scenario, steps: selected.length, agents: used.length, allowed, denied, changed, placeholders, notes };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** `alice`, `alice-2`, …; `no-grant` for calls without one; only the characters agent names allow. */
function agentName(grant: string | null, taken: readonly string[]): string {
  const base = (grant ?? "no-grant").replace(/[^A-Za-z0-9_.-]/g, "_") || "agent";
  if (!taken.includes(base)) return base;
  for (let i = 2; ; i++) if (!taken.includes(`${base}-${i}`)) return `${base}-${i}`;
}

function sameDecision(now: ReplayedDecision, call: Recorded): boolean {
  return now.decision === call.decision && now.code === call.code && now.rule === call.rule;
}

function expectation(decision: ReturnType<Replayer["decideFully"]>["decision"]): Json | "allow" {
  if (decision.decision === "allow") return "allow";
  return {
    decision: "deny",
    code: decision.code,
    ...(RULE_OF_CODE[decision.code] === decision.rule ? {} : { rule: decision.rule }),
    ...(decision.code === "rate_limited" && decision.limit ? { retryAfterMs: decision.limit.retryAfterMs } : {}),
  };
}

/** The recorded arguments, with a placeholder at every path the recording redacted or cut. */
function withPlaceholders(call: Recorded): { value: Record<string, unknown>; count: number } {
  const marks = new Map<string, string>();
  for (const path of call.redacted ?? []) marks.set(path, `\`${path}\` was redacted when recorded`);
  for (const path of call.truncated ?? []) marks.set(path, `\`${path}\` was cut when recorded${cutLength(call, path)}`);
  if (marks.size === 0) return { value: call.args, count: 0 };
  let count = 0;
  const walk = (value: unknown, path: string): unknown => {
    const mark = marks.get(path);
    if (mark !== undefined) {
      count++;
      return placeholder(`${mark}; put a value here`);
    }
    if (Array.isArray(value)) return value.map((v, i) => walk(v, `${path}.${i}`));
    if (value === null || typeof value !== "object") return value;
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) Object.defineProperty(out, key, { value: walk(inner, `${path}.${key}`), enumerable: true, writable: true, configurable: true });
    return out;
  };
  return { value: walk(call.args, "args") as Record<string, unknown>, count };
}

/** ` (it had N characters)`, read from the cut text's own suffix. */
function cutLength(call: Recorded, path: string): string {
  let value: unknown = call;
  for (const part of path.split(".")) value = value !== null && typeof value === "object" ? (value as Record<string, unknown>)[part] : undefined;
  const m = typeof value === "string" ? /…\[(\d+) more characters cut\]$/.exec(value) : null;
  return m ? ` (it had ${value!.toString().length - m[0].length + Number(m[1])} characters; \`{"$repeat": "A", "times": N}\` writes a long one)` : "";
}

/**
 * The stops the simulator will record for the allowed `stop_salesbot` calls, or why that cannot
 * be said: a stop lands when its bot is in the seed and it names a lead (`entity_type: "leads"`,
 * a positive integer `entity_id`).
 */
function stopEffects(stops: readonly (Record<string, unknown> | undefined)[], seedBots: ReadonlySet<number>): Json | string {
  const byBot: Record<string, number> = {};
  const byEntity: Record<string, number> = {};
  for (const args of stops) {
    if (args === undefined) return "an allowed `stop_salesbot` call has a placeholder argument";
    const bot = args.bot_id;
    const entity = args.entity_id;
    if (typeof bot !== "number" || !seedBots.has(bot)) return `an allowed \`stop_salesbot\` call names bot \`${JSON.stringify(bot)}\`, which the simulator's seed does not have`;
    if (args.entity_type !== "leads" || typeof entity !== "number" || !Number.isInteger(entity) || entity < 1) return "an allowed `stop_salesbot` call names no lead the simulator can stop a bot on";
    byBot[String(bot)] = (byBot[String(bot)] ?? 0) + 1;
    byEntity[`leads:${entity}`] = (byEntity[`leads:${entity}`] ?? 0) + 1;
  }
  return { salesbotStops: stops.length, stopsByBot: byBot, stopsByEntity: byEntity };
}

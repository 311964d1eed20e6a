/**
 * What a run against an external gateway process skips, and why — always for a capability the
 * gateway's profile does not declare (capability-profile.ts), or for a limit of the time mechanism:
 * whole scenarios (global shadow mode, approvals, settings the profile gives no flag for, several
 * agents sharing counters over stdio), single entries (reload events, steps past the real-time
 * limit, exact times on the real clock), and everything after the first skipped entry, whose state
 * would differ. Each reason carries the capability it needs, so a declared one that is still
 * skipped fails the run.
 */
import { assertNever } from "../core/errors.js";
import { settingsFlags, type Capability, type CapabilityProfile } from "./capability-profile.js";
import type { LoadedScenario } from "./load-scenario.js";
import { normaliseCallExpect, stepCallExpects, type AgentStep } from "./scenario-schema.js";
import type { TimelineEntry } from "./timeline.js";

export interface SkipReason {
  readonly reason: string;
  /** The capability the skipped part needs (`time`: the real-time mechanism's limits). */
  readonly needs: Capability | "time" | "template";
}

/** Why a scenario needs approvals decided by a human (undefined when it does not). */
export function needsApprovals(loaded: LoadedScenario): string | undefined {
  const { scenario } = loaded;
  if ((scenario.events ?? []).some((e) => e.kind === "approval")) return "decides approvals (`approval` events)";
  if (scenario.gateway?.approvalMode !== undefined) return "sets `gateway.approvalMode`";
  if (scenario.expect?.approvals !== undefined || scenario.expect?.audit?.approvalSteps !== undefined) return "asserts approvals at the end";
  const expectsId = (step: AgentStep): boolean =>
    stepCallExpects(step).some((e) => {
      const n = normaliseCallExpect(e);
      return n.decision === "deny" && n.approvalId !== undefined;
    });
  if (scenario.agents.some((a) => a.steps.some(expectsId))) return "asserts approval ids";
  return undefined;
}

/** Why several agents cannot each have their own stdio gateway process (undefined when they can). */
export function sharedStateReason(loaded: LoadedScenario): string | undefined {
  const { scenario } = loaded;
  if (scenario.agents.length < 2) return undefined;
  const byGrant = new Map<string, string[]>();
  for (const agent of scenario.agents) byGrant.set(agent.grant ?? "", [...(byGrant.get(agent.grant ?? "") ?? []), agent.name]);
  const shared = [...byGrant.entries()].find(([, names]) => names.length > 1);
  if (shared) return `agents ${shared[1].map((n) => `\`${n}\``).join(" and ")} share grant \`${shared[0]}\`, whose counters and approvals one gateway process must hold`;
  const documents = loaded.stack === undefined ? [loaded.compiledPolicy.document] : [...loaded.stack.config.servers.map((s) => s.policy.document), loaded.scenario.stack];
  const global = documents.map(globalCounter).find((c) => c !== undefined);
  if (global !== undefined) return `counter \`${global}\` has scope \`global\`, shared by every agent`;
  if (needsApprovals(loaded) !== undefined) return "its approvals are decided for several agents in one store";
  return undefined;
}

/** The first counter of scope `global` anywhere in a policy document. */
function globalCounter(value: unknown): string | undefined {
  if (Array.isArray(value)) return value.map(globalCounter).find((c) => c !== undefined);
  if (value === null || typeof value !== "object") return undefined;
  const record = value as Record<string, unknown>;
  if (record.scope === "global" && typeof record.counter === "string") return record.counter;
  return Object.values(record).map(globalCounter).find((c) => c !== undefined);
}

export interface PlanContext {
  readonly profile: CapabilityProfile;
  readonly transport: "stdio" | "http";
  /** The template the scenario would run on (a stack scenario's: with `{config}`); undefined when there is none. */
  readonly template?: string | undefined;
}

/** Why the whole scenario is skipped (undefined when it can run). */
export function scenarioSkipReason(loaded: LoadedScenario, { profile, transport, template }: PlanContext): SkipReason | undefined {
  const { scenario } = loaded;
  const has = (c: Capability): boolean => profile.capabilities.has(c);
  if (loaded.stack !== undefined && (!has("stack") || template === undefined)) {
    return { needs: "stack", reason: "declares `servers` (several servers behind one gateway), and the profile declares no `stack` (a template with `{config}`, a generated gateway config)" };
  }
  if (loaded.stack === undefined && template !== undefined && !template.includes("{upstream}")) {
    return { needs: "template", reason: "fronts one Kommo server (no `servers`), and the template has no `{upstream}` to start it with" };
  }
  if (scenario.gateway?.shadow === true && !has("shadow")) return { needs: "shadow", reason: "runs the gateway in global shadow mode (`gateway.shadow`), and the profile declares no `shadow`" };
  const approvals = needsApprovals(loaded);
  if (approvals && !has("approvals")) return { needs: "approvals", reason: `${approvals}, and the profile declares no \`approvals\` (an \`{admin}\` placeholder or \`--approve-cmd\`/\`--deny-cmd\`)` };
  const flags = settingsFlags(profile, scenario.gateway ?? {});
  if (!flags.ok) return { needs: flags.missing.includes("shadow") ? "shadow" : "stdio", reason: `sets ${flags.missing.map((m) => `\`gateway.${m}\``).join(", ")}, for which the profile's \`settings\` give no flag` };
  if (transport === "http") {
    const anonymous = scenario.agents.find((a) => a.grant === undefined);
    if (anonymous) return { needs: "stdio", reason: `agent \`${anonymous.name}\` has no grant, and an HTTP gateway with a grants file refuses a caller without a token before any MCP (401); over stdio the gateway starts without a grant` };
  }
  if (transport === "stdio") {
    const shared = sharedStateReason(loaded);
    if (shared) return { needs: "http", reason: `over stdio each agent gets its own gateway process, but ${shared}; an HTTP template (\`{port}\`) serves every agent from one process` };
  }
  return undefined;
}

export interface EntryContext {
  readonly profile: CapabilityProfile;
  /** The first entry skipped so far. */
  readonly skippedSince: string | undefined;
  /** Real-time mode: entries later than this (ms) are not waited for. */
  readonly realLimitMs: number | undefined;
}

/** Why the entry is skipped (undefined when it runs). */
export function entrySkipReason(entry: TimelineEntry, { profile, skippedSince, realLimitMs }: EntryContext): SkipReason | undefined {
  if (entry.kind === "event") {
    switch (entry.event.kind) {
      case "reload":
        if (!profile.capabilities.has("reload")) return { needs: "reload", reason: "reloads the policy, and the profile declares no `reload` (SIGHUP or `--reload-cmd`)" };
        break;
      case "clock":
      case "fault":
      case "clearFaults":
      case "approval":
        break;
      default:
        return assertNever(entry.event, "event");
    }
  }
  if (skippedSince !== undefined) return { needs: "time", reason: `follows skipped ${skippedSince}` };
  if (realLimitMs !== undefined && entry.atMs > realLimitMs) return { needs: "time", reason: `starts at ${entry.atMs} ms, past the real-time limit of ${realLimitMs} ms (--max-real-wait-ms); clock-file or faketime runs it at once` };
  return undefined;
}

/** Whether a step asserts exact retry or answer times (checked only when the harness moves time). */
export function assertsExactTimes(step: AgentStep): boolean {
  const exact = stepCallExpects(step).some((e) => {
    const n = normaliseCallExpect(e);
    return (n.decision === "deny" && n.retryAfterMs !== undefined) || n.answeredAtMs !== undefined;
  });
  return exact || (step.kind === "retry" && step.expect.allowedAtMs !== undefined);
}

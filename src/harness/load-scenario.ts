/**
 * Reads a scenario file: JSON → strict schema → cross-field checks → resolved files (policy,
 * seed, reload policies). Every issue carries the file and its JSON path; nothing is ignored.
 */
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { assertNever, messageOf, type Issue, type Parsed } from "../core/errors.js";
import { duplicateKeyIssues } from "../core/json-text.js";
import { parsePolicyText, type CompiledPolicy } from "../policy/load-policy.js";
import { errorMap, issuesFromZod } from "../core/schema-issues.js";
import { isPlaceholder, placeholderMessage } from "./from-recording/placeholder.js";
import {
  DEFAULT_START_MS,
  ScenarioSchema,
  stepCallSpec,
  type AgentStep,
  type PolicySource,
  type Scenario,
} from "./scenario-schema.js";

/** A policy as the runner needs it: the raw JSON (or text, for files) and where it came from. */
export interface PolicyInput {
  /** The file it was read from, or undefined when inline. */
  readonly file?: string;
  /** The file's text (files) or the inline JSON re-serialised. */
  readonly text: string;
}

export interface LoadedScenario {
  readonly file: string;
  /** The file name without `.scenario.json`. */
  readonly name: string;
  readonly scenario: Scenario;
  /** Epoch ms of virtual time 0. */
  readonly startMs: number;
  readonly policy: PolicyInput;
  readonly compiledPolicy: CompiledPolicy;
  /** Reload policies by event index. */
  readonly reloadPolicies: ReadonlyMap<number, PolicyInput>;
  /** The seed file (absolute) when the scenario names one. */
  readonly seedFile?: string;
}

export const SCENARIO_SUFFIX = ".scenario.json";

export function scenarioName(file: string): string {
  return basename(file).replace(/\.scenario\.json$/, "").replace(/\.json$/, "");
}

/** Files and directories → scenario files (directories: every `*.scenario.json`, sorted). */
export function expandScenarioPaths(paths: readonly string[], cwd: string): string[] {
  const out: string[] = [];
  for (const path of paths) {
    const absolute = resolve(cwd, path);
    if (existsSync(absolute) && statSync(absolute).isDirectory()) {
      out.push(...readdirSync(absolute).filter((n) => n.endsWith(SCENARIO_SUFFIX)).sort().map((n) => join(absolute, n)));
    } else {
      out.push(absolute);
    }
  }
  return out;
}

export function loadScenarioFile(file: string): Parsed<LoadedScenario> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    return fail("", `cannot read the file: ${messageOf(error)}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return fail("", `found text that is not JSON (${messageOf(error)}), expected a JSON object`);
  }
  // JSON.parse keeps the last of two equal keys (an inline policy's tool, a step's expectation): report them.
  const duplicates = duplicateKeyIssues(text);
  if (duplicates.length > 0) return { ok: false, issues: duplicates };
  return parseScenario(value, file);
}

/** Validates a scenario value read from `file` (paths inside it resolve against the file's folder). */
export function parseScenario(value: unknown, file: string): Parsed<LoadedScenario> {
  const parsed = ScenarioSchema.safeParse(value, { error: errorMap, reportInput: true });
  if (!parsed.success) return { ok: false, issues: issuesFromZod(parsed.error.issues) };
  const scenario = parsed.data;
  const issues: Issue[] = [...crossCheck(scenario)];
  const dir = dirname(file);

  const policy = readPolicySource(scenario.policy, dir, "policy", issues);
  const reloadPolicies = new Map<number, PolicyInput>();
  (scenario.events ?? []).forEach((event, i) => {
    if (event.kind !== "reload") return;
    const input = readPolicySource(event.reload.policy, dir, `events[${i}].reload.policy`, issues);
    if (input) reloadPolicies.set(i, input);
  });
  let seedFile: string | undefined;
  if (scenario.crm?.seed !== undefined) {
    seedFile = resolve(dir, scenario.crm.seed);
    if (!existsSync(seedFile)) issues.push({ path: "crm.seed", message: `found \`${scenario.crm.seed}\`, expected an existing seed file relative to the scenario` });
  }
  let compiledPolicy: CompiledPolicy | undefined;
  if (policy) {
    const compiled = parsePolicyText(policy.text);
    if (compiled.ok) compiledPolicy = compiled.value;
    else {
      const where = policy.file === undefined ? "" : `in \`${scenario.policy as string}\`: `;
      for (const issue of compiled.issues) {
        issues.push({ path: policy.file === undefined && issue.path !== "" ? `policy.${issue.path}` : "policy", message: `${where}${policy.file === undefined ? "" : `${issue.path || "(root)"}: `}${issue.message}` });
      }
    }
  }
  const expanded = expandArgs(scenario, issues);
  if (issues.length > 0 || !policy || !compiledPolicy) return { ok: false, issues };
  const startMs = scenario.startAt === undefined ? DEFAULT_START_MS : Date.parse(scenario.startAt);
  return {
    ok: true,
    value: { file, name: scenarioName(file), scenario: expanded, startMs, policy, compiledPolicy, reloadPolicies, ...(seedFile ? { seedFile } : {}) },
  };
}

function fail(path: string, message: string): Parsed<LoadedScenario> {
  return { ok: false, issues: [{ path, message }] };
}

function readPolicySource(source: PolicySource, dir: string, path: string, issues: Issue[]): PolicyInput | undefined {
  if (typeof source !== "string") return { text: JSON.stringify(source) };
  const file = resolve(dir, source);
  try {
    return { file, text: readFileSync(file, "utf8") };
  } catch {
    issues.push({ path, message: `found \`${source}\`, expected an existing policy file relative to the scenario` });
    return undefined;
  }
}

/** How many calls a step issues, when that is known before running it. */
export function plannedCalls(step: AgentStep): number | undefined {
  switch (step.kind) {
    case "burst":
      return step.burst.count;
    case "concurrent":
      return step.concurrent.count;
    case "loop":
      return Math.ceil(step.loop.forMs / step.loop.everyMs);
    case "call":
    case "retry":
      return undefined;
    default:
      return assertNever(step, "step");
  }
}

function crossCheck(scenario: Scenario): Issue[] {
  const issues: Issue[] = [];
  const names = new Set<string>();
  scenario.agents.forEach((agent, a) => {
    const base = `agents[${a}]`;
    if (names.has(agent.name)) issues.push({ path: `${base}.name`, message: `found \`${agent.name}\` twice, expected unique agent names` });
    names.add(agent.name);
    if (agent.grant !== undefined && scenario.grants !== undefined && !scenario.grants.includes(agent.grant)) {
      issues.push({ path: `${base}.grant`, message: `found \`${agent.grant}\`, expected one of the scenario's grants: ${scenario.grants.map((g) => `\`${g}\``).join(", ")}` });
    }
    let lastAt = 0;
    agent.steps.forEach((step, s) => {
      const path = `${base}.steps[${s}]`;
      if (step.at < lastAt) issues.push({ path: `${path}.at`, message: `found ${step.at}, expected ≥ ${lastAt} (steps are listed in time order)` });
      lastAt = Math.max(lastAt, step.at);
      issues.push(...checkStep(step, path));
    });
  });
  let lastAt = 0;
  (scenario.events ?? []).forEach((event, e) => {
    if (event.at < lastAt) issues.push({ path: `events[${e}].at`, message: `found ${event.at}, expected ≥ ${lastAt} (events are listed in time order)` });
    lastAt = Math.max(lastAt, event.at);
    if (event.kind === "approval") {
      const found = findLabelledStep(scenario, event.approval.of);
      if (typeof found === "string") issues.push({ path: `events[${e}].approval.of`, message: found });
      else if (found.step.at >= event.at) {
        issues.push({ path: `events[${e}].approval.of`, message: `found \`${event.approval.of}\` at ${found.step.at} ms, expected a step that starts before the decision at ${event.at} ms (at equal times events run first)` });
      }
    }
  });
  scenario.agents.forEach((agent, a) => {
    agent.steps.forEach((step, s) => {
      for (const { path, ref } of approvalIdRefs(step, `agents[${a}].steps[${s}]`)) {
        const qualified = ref.includes("/") ? ref : `${agent.name}/${ref}`;
        const found = findLabelledStep(scenario, qualified);
        if (typeof found === "string") issues.push({ path, message: found });
        else if (found.step === step) issues.push({ path, message: `found \`same-as ${ref}\`, the step itself; expected an earlier step` });
        else if (found.step.at > step.at) issues.push({ path, message: `found \`same-as ${ref}\` at ${found.step.at} ms, expected a step that starts no later than this one (${step.at} ms)` });
      }
    });
  });
  const gateway = scenario.gateway;
  if (gateway?.approvalTimeoutMs !== undefined && gateway.approvalMode !== "hold") {
    issues.push({ path: "gateway.approvalTimeoutMs", message: "found a hold timeout without `\"approvalMode\": \"hold\"`, expected it only in hold mode (async mode answers at once)" });
  }
  return issues;
}

/** `AGENT/LABEL` → the agent and its one step with that label, or what is wrong with the reference. */
export function findLabelledStep(scenario: Scenario, ref: string): { agent: number; index: number; step: AgentStep } | string {
  const slash = ref.indexOf("/");
  const agentName = ref.slice(0, slash);
  const label = ref.slice(slash + 1);
  const agent = scenario.agents.findIndex((x) => x.name === agentName);
  if (agent < 0) return `found \`${ref}\`, expected an agent of this scenario: ${scenario.agents.map((x) => `\`${x.name}\``).join(", ")}`;
  const matches = scenario.agents[agent]!.steps.flatMap((step, index) => (step.label === label ? [{ agent, index, step }] : []));
  if (matches.length === 0) return `found \`${ref}\`, expected the label of one of agent \`${agentName}\`'s steps`;
  if (matches.length > 1) return `found \`${ref}\`, which labels ${matches.length} steps of agent \`${agentName}\`, expected exactly one`;
  return matches[0]!;
}

/** Every `approvalId: "same-as …"` expectation of a step, with its JSON path and reference. */
function approvalIdRefs(step: AgentStep, base: string): { path: string; ref: string }[] {
  const out: { path: string; ref: string }[] = [];
  const add = (expect: unknown, path: string): void => {
    if (expect === null || typeof expect !== "object") return;
    const id = (expect as { approvalId?: unknown }).approvalId;
    if (typeof id === "string" && id.startsWith("same-as ")) out.push({ path: `${path}.approvalId`, ref: id.slice("same-as ".length) });
  };
  if (step.kind === "call") add(step.expect, `${base}.expect`);
  else (step.expect.calls ?? []).forEach((e, i) => add(e, `${base}.expect.calls[${i}]`));
  return out;
}

function checkStep(step: AgentStep, path: string): Issue[] {
  if (step.kind === "call") {
    const expect = step.expect;
    if (expect !== "allow" && expect.decision === "deny" && expect.code === "rate_limited" && expect.retryAfterMs === undefined) {
      return [{ path: `${path}.expect.retryAfterMs`, message: "missing; expected the exact `retryAfterMs` of a `rate_limited` denial" }];
    }
    return [];
  }
  const expect = step.expect;
  const issues: Issue[] = [];
  const planned = plannedCalls(step);
  const total = expect.allow + expect.deny + (expect.error ?? 0);
  if (planned !== undefined && total !== planned) {
    issues.push({ path: `${path}.expect`, message: `found allow ${expect.allow} + deny ${expect.deny} + error ${expect.error ?? 0} = ${total}, expected ${planned} (the calls this step issues)` });
  }
  if (expect.calls !== undefined && planned !== undefined && expect.calls.length !== planned) {
    issues.push({ path: `${path}.expect.calls`, message: `found ${expect.calls.length} entries, expected ${planned} (one per call)` });
  }
  if ((expect.toolError ?? 0) > expect.allow) {
    issues.push({ path: `${path}.expect.toolError`, message: `found ${expect.toolError}, expected at most ${expect.allow} (tool errors are allowed calls)` });
  }
  const coded = Object.values(expect.codes ?? {}).reduce<number>((sum, n) => sum + (n ?? 0), 0);
  if (expect.codes !== undefined && coded !== expect.deny) {
    issues.push({ path: `${path}.expect.codes`, message: `found ${coded} denials by code, expected ${expect.deny} (the step's \`deny\`)` });
  }
  if (step.kind === "retry") {
    const attempts = step.expect.attempts;
    if (attempts !== undefined && attempts > step.retry.maxAttempts) {
      issues.push({ path: `${path}.expect.attempts`, message: `found ${attempts}, expected at most ${step.retry.maxAttempts} (\`maxAttempts\`)` });
    }
    if (attempts !== undefined && total !== attempts) {
      issues.push({ path: `${path}.expect`, message: `found allow ${expect.allow} + deny ${expect.deny} + error ${expect.error ?? 0} = ${total}, expected ${attempts} (\`attempts\`)` });
    }
    if (expect.allow > 1) issues.push({ path: `${path}.expect.allow`, message: `found ${expect.allow}, expected 0 or 1 (a retry stops at the first allowed call)` });
  }
  return issues;
}

/** Expands `{"$repeat": "A", "times": N}` inside call arguments into long strings; refuses placeholders. */
function expandArgs(scenario: Scenario, issues: Issue[]): Scenario {
  const expand = (value: unknown, path: string): unknown => {
    if (Array.isArray(value)) return value.map((v, i) => expand(v, `${path}[${i}]`));
    if (value === null || typeof value !== "object") return value;
    if (isPlaceholder(value)) {
      issues.push({ path, message: placeholderMessage(value) });
      return value;
    }
    const record = value as Record<string, unknown>;
    if (Object.hasOwn(record, "$repeat")) {
      const keys = Object.keys(record).sort().join(",");
      if (keys !== "$repeat,times" || typeof record.$repeat !== "string" || !Number.isInteger(record.times) || (record.times as number) < 0 || (record.times as number) > 10_000_000) {
        issues.push({ path, message: "found a malformed `$repeat`, expected `{\"$repeat\": \"text\", \"times\": N}` with 0 ≤ N ≤ 10000000" });
        return value;
      }
      return record.$repeat.repeat(record.times as number);
    }
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, expand(v, `${path}.${k}`)]));
  };
  const agents = scenario.agents.map((agent, a) => ({
    ...agent,
    steps: agent.steps.map((step, s) => {
      const args = stepCallSpec(step).args;
      if (args === undefined) return step;
      return withArgs(step, expand(args, `agents[${a}].steps[${s}].${step.kind}.args`) as Record<string, unknown>);
    }),
  }));
  return { ...scenario, agents };
}

/** The step with its call's arguments replaced. */
function withArgs(step: AgentStep, args: Record<string, unknown>): AgentStep {
  switch (step.kind) {
    case "call":
      return { ...step, call: { ...step.call, args } };
    case "burst":
      return { ...step, burst: { ...step.burst, args } };
    case "loop":
      return { ...step, loop: { ...step.loop, args } };
    case "concurrent":
      return { ...step, concurrent: { ...step.concurrent, args } };
    case "retry":
      return { ...step, retry: { ...step.retry, args } };
    default:
      return assertNever(step, "step");
  }
}

/**
 * Reads a scenario file: JSON → strict schema → cross-field checks (scenario-cross-checks.ts) →
 * resolved files (policy or the stack's servers and their policies, seed, reload policies) →
 * expanded arguments (scenario-args.ts). Every issue carries the file and its JSON path; nothing
 * is ignored.
 */
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { messageOf, type Issue, type Parsed } from "../core/errors.js";
import { duplicateKeyIssues } from "../core/json-text.js";
import { parsePolicyText, type CompiledPolicy } from "../policy/load-policy.js";
import { errorMap, issuesFromZod } from "../core/schema-issues.js";
import { expandArgs } from "./scenario-args.js";
import { crossCheck } from "./scenario-cross-checks.js";
import { DEFAULT_START_MS, ScenarioSchema, type PolicySource, type Scenario } from "./scenario-schema.js";
import { loadScenarioStack, simulatorServer, type ScenarioStack } from "./scenario-stack.js";

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
  /** The policy of the Kommo simulator: the scenario's `policy`, or its simulator server's. */
  readonly policy: PolicyInput;
  readonly compiledPolicy: CompiledPolicy;
  /** The servers behind the gateway, when the scenario declares `servers`. */
  readonly stack?: ScenarioStack;
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

  const stack = loadScenarioStack(scenario, file, issues);
  if (scenario.policy === undefined && scenario.servers === undefined) {
    issues.push({ path: "policy", message: "missing; expected a policy object or a file path relative to the scenario (or `servers`, each with its own policy)" });
  }
  const simulator = stack === undefined ? undefined : simulatorServer(stack);
  const policy = simulator !== undefined ? { file: simulator.policyFile, text: readFileSync(simulator.policyFile, "utf8") } : scenario.policy !== undefined && scenario.servers === undefined ? readPolicySource(scenario.policy, dir, "policy", issues) : undefined;
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
  if (simulator !== undefined) compiledPolicy = simulator.policy;
  else if (policy) {
    const compiled = parsePolicyText(policy.text);
    if (compiled.ok) compiledPolicy = compiled.value;
    else {
      const where = policy.file === undefined ? "" : `in \`${String(scenario.policy)}\`: `;
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
    value: { file, name: scenarioName(file), scenario: expanded, startMs, policy, compiledPolicy, reloadPolicies, ...(seedFile ? { seedFile } : {}), ...(stack ? { stack } : {}) },
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

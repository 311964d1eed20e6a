/**
 * A scenario's `servers` and `stack` sections, checked by the gateway config's own loader
 * (`gateway/stack/stack-config.ts`): server names, each policy file (relative to the scenario),
 * `stack.limits` naming only the scenario's servers. The Kommo simulator stands in that check as a
 * command it never runs; the runners connect it to the scenario's world (in process) or start it
 * as a `toolgate kommo-sim` child (external). Exactly one server is the simulator.
 */
import { readFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import type { Issue } from "../core/errors.js";
import { loadStackConfigText, type StackConfig, type StackServer } from "../gateway/stack/stack-config.js";
import type { Scenario } from "./scenario-schema.js";
import { isSimulator } from "./scenario-servers-schema.js";

export interface ScenarioStack {
  /** The name of the server that is the Kommo simulator. */
  readonly simulator: string;
  /** The stack as the gateway config loader read it; the simulator's `transport` is a stand-in. */
  readonly config: StackConfig;
}

/** The stand-in command of the simulator in the config check (never started). */
const SIMULATOR_STAND_IN = "(the scenario's Kommo simulator)";

/** The simulator server of a stack. */
export function simulatorServer(stack: ScenarioStack): StackServer {
  return stack.config.servers.find((s) => s.name === stack.simulator)!;
}

/** The stack a scenario declares, or undefined (with issues) when it declares none or a bad one. */
export function loadScenarioStack(scenario: Scenario, file: string, issues: Issue[], readText: (path: string) => string = (path) => readFileSync(path, "utf8")): ScenarioStack | undefined {
  const servers = scenario.servers;
  if (servers === undefined) {
    if (scenario.stack !== undefined) issues.push({ path: "stack", message: "found a `stack` section without `servers`, expected it only beside `servers` (the limits span the servers it names)" });
    return undefined;
  }
  const before = issues.length;
  if (scenario.policy !== undefined) issues.push({ path: "policy", message: "found `policy` beside `servers`, expected one of them: with `servers` each server names its own policy" });
  const simulators = Object.entries(servers).filter(([, s]) => isSimulator(s)).map(([name]) => name);
  if (simulators.length !== 1) {
    const found = simulators.length === 0 ? "no server" : `${simulators.length} servers (${simulators.map((n) => `\`${n}\``).join(", ")})`;
    issues.push({ path: "servers", message: `found ${found} with \`"simulator": true\`, expected exactly one: the Kommo simulator, whose effects are the run's ground truth` });
  }
  (scenario.events ?? []).forEach((event, i) => {
    if (event.kind === "reload") issues.push({ path: `events[${i}].reload`, message: "found a policy reload in a scenario with `servers`, expected none: reloading one server's policy is not supported in scenarios yet" });
  });
  const doc = {
    version: "1",
    servers: Object.fromEntries(Object.entries(servers).map(([name, s]) => [name, isSimulator(s) ? { ...withoutSimulator(s), command: SIMULATOR_STAND_IN } : s])),
    ...(scenario.stack !== undefined ? { stack: scenario.stack } : {}),
  };
  const loaded = loadStackConfigText(JSON.stringify(doc), file, readText);
  if (!loaded.ok) {
    const dir = dirname(file);
    for (const issue of loaded.issues) {
      if (issue.file === file) {
        issues.push({ path: issue.path, message: issue.message });
        continue;
      }
      // An issue inside a server's policy file: at that server's `policy`, naming the file and its path.
      const server = Object.entries(servers).find(([, s]) => resolve(dir, s.policy) === issue.file)?.[0] ?? "?";
      issues.push({ path: `servers.${server}.policy`, message: `in \`${relative(dir, issue.file)}\`: ${issue.path === "" ? "(root)" : issue.path}: ${issue.message}` });
    }
  }
  if (!loaded.ok || issues.length > before) return undefined;
  return { simulator: simulators[0]!, config: loaded.value };
}

function withoutSimulator<T extends { simulator: true }>(server: T): Omit<T, "simulator"> {
  const { simulator: _simulator, ...rest } = server;
  return rest;
}

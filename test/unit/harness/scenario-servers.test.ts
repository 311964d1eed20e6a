/** The `servers` and `stack` sections of a scenario: strict, each issue at its path, checked by `toolgate validate`, skipped by a gateway that declares no `stack`. */
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";
import { run as validate } from "../../../src/cli/validate.js";
import { formatIssues } from "../../../src/core/errors.js";
import { TOOLGATE_PROFILE } from "../../../src/harness/capability-profile.js";
import { runScenarioExternal } from "../../../src/harness/external-gateway.js";
import { parseScenario } from "../../../src/harness/load-scenario.js";
import { capturedIo } from "../../helpers/captured-io.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const shipped = join(root, "scenarios/stack-kommo-and-memory.scenario.json");
// Paths inside resolve against the scenario's folder, as the shipped one does.
const file = join(root, "scenarios/inline.scenario.json");
const memory = { command: "node", args: ["node_modules/@modelcontextprotocol/server-memory/dist/index.js"], cwd: "..", policy: "policies/stack-memory.json" };
const kommo = { simulator: true, policy: "policies/stack-kommo.json" };
const agents = [{ name: "a", grant: "alice", steps: [{ at: 0, call: { tool: "kommo__stop_salesbot", args: {} }, expect: "allow" }] }];

function issuesOf(value: Record<string, unknown>): string {
  const parsed = parseScenario({ purpose: "p", grants: ["alice"], agents, ...value }, file);
  if (parsed.ok) throw new Error("expected the scenario to be refused");
  return formatIssues("s.json", parsed.issues);
}

test("a scenario with servers loads its stack: the simulator, each server's policy and the stack's limits", () => {
  const parsed = parseScenario(JSON.parse(readFileSync(shipped, "utf8")), shipped);
  if (!parsed.ok) throw new Error(formatIssues(shipped, parsed.issues));
  const stack = parsed.value.stack!;
  expect(stack.simulator).toBe("kommo");
  expect(stack.config.servers.map((s) => [s.name, s.policyFile])).toEqual([["kommo", join(root, "scenarios/policies/stack-kommo.json")], ["memory", join(root, "scenarios/policies/stack-memory.json")]]);
  expect(stack.config.stackLimits).toHaveLength(1);
  // The simulator's policy is the run's Kommo policy.
  expect(parsed.value.compiledPolicy.tools.has("stop_salesbot")).toBe(true);
});

test("two simulators are refused at `servers`", () => {
  expect(issuesOf({ servers: { kommo, crm: kommo } })).toBe("s.json: servers: found 2 servers (`kommo`, `crm`) with `\"simulator\": true`, expected exactly one: the Kommo simulator, whose effects are the run's ground truth");
});

test("servers without a simulator are refused at `servers`", () => {
  expect(issuesOf({ servers: { memory } })).toBe("s.json: servers: found no server with `\"simulator\": true`, expected exactly one: the Kommo simulator, whose effects are the run's ground truth");
});

test("a stack limit naming a server the scenario does not have is refused at its pattern", () => {
  const stack = { limits: [{ counter: "w", window: "minute", max: 5, tools: ["kommo/create_lead", "files/write_file"] }] };
  expect(issuesOf({ servers: { kommo, memory }, stack })).toBe("s.json: stack.limits[0].tools[1]: found server `files`, expected one of the config's servers (`kommo`, `memory`)");
});

test("a server name with `_` or capitals is refused at its key", () => {
  expect(issuesOf({ servers: { kommo, Memory_2: memory } })).toBe('s.json: servers["Memory_2"]: found the server name `Memory_2`, expected at most 32 lower-case letters, digits and single `-` (no `_`), starting with a letter');
});

test("a missing policy file is refused at its server's `policy`, naming the file", () => {
  const text = issuesOf({ servers: { kommo, memory: { ...memory, policy: "policies/no-such.json" } } });
  expect(text).toMatch(/^s\.json: servers\.memory\.policy: cannot read the policy file `[^`]*scenarios\/policies\/no-such\.json`: ENOENT/);
});

test("an invalid policy file is refused at its server's `policy`, with the file and the path inside it", () => {
  const text = issuesOf({ servers: { kommo: { ...kommo, policy: "../fixtures/policies/invalid/action-unknown.json" }, memory } });
  expect(text).toMatch(/^s\.json: servers\.kommo\.policy: in `\.\.\/fixtures\/policies\/invalid\/action-unknown\.json`: tools\.t\.action: found `"block"`, expected /);
});

test("`policy` beside `servers`, a `stack` without `servers`, a server of neither kind and a reload are each refused at their path", () => {
  expect(issuesOf({ policy: { version: "1", default: "deny" }, servers: { kommo, memory } })).toBe("s.json: policy: found `policy` beside `servers`, expected one of them: with `servers` each server names its own policy");
  expect(issuesOf({ policy: { version: "1", default: "deny" }, stack: { default: "deny" } })).toBe("s.json: stack: found a `stack` section without `servers`, expected it only beside `servers` (the limits span the servers it names)");
  expect(issuesOf({ servers: { kommo, memory: { url: "x", policy: "p.json" } } })).toMatch(/^s\.json: servers\.memory/);
  expect(issuesOf({ servers: { kommo, memory }, events: [{ at: 0, reload: { policy: { version: "1", default: "deny" } }, expect: "applied" }] })).toBe("s.json: events[0].reload: found a policy reload in a scenario with `servers`, expected none: reloading one server's policy is not supported in scenarios yet");
  expect(issuesOf({})).toBe("s.json: policy: missing; expected a policy object or a file path relative to the scenario (or `servers`, each with its own policy)");
});

test("toolgate validate checks a scenario with servers", async () => {
  const ok = capturedIo(root);
  expect(await validate(["scenarios/stack-kommo-and-memory.scenario.json"], ok.io)).toBe(0);
  expect(ok.out()).toBe("scenarios/stack-kommo-and-memory.scenario.json: ok (scenario, 1 agent)\n");
});

test("a gateway whose profile declares no `stack` skips every step of a scenario with servers, with the reason", async () => {
  const parsed = parseScenario(JSON.parse(readFileSync(shipped, "utf8")), shipped);
  if (!parsed.ok) throw new Error("the shipped scenario does not load");
  const profile = { ...TOOLGATE_PROFILE, capabilities: new Set([...TOOLGATE_PROFILE.capabilities].filter((c) => c !== "stack")), source: "toolgate without stack" };
  const result = await runScenarioExternal(parsed.value, { template: "gateway --upstream-cmd {upstream}", cwd: root, env: {}, profile });
  expect(result.verdict).toBe("skipped");
  expect(result.steps.length).toBe(9);
  for (const step of result.steps) expect(step.skipReason).toBe("declares `servers` (several servers behind one gateway), and the profile declares no `stack` (a template with `{config}`, a generated gateway config)");
});

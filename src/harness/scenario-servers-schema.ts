/**
 * The `servers` section of a scenario: the stack a gateway fronts, written as in a gateway config
 * (`gateway/stack/stack-config.ts`, whose schema pieces it reuses). Exactly one server is the Kommo
 * simulator of the scenario's world — the CRM whose effects are the run's ground truth — and the
 * others are commands the harness starts:
 *
 *   "servers": {
 *     "kommo":  {"simulator": true, "policy": "policies/stack-kommo.json"},
 *     "memory": {"command": "node", "args": ["node_modules/@modelcontextprotocol/server-memory/dist/index.js"],
 *                "cwd": "..", "env": {"MEMORY_FILE_PATH": "{tmp}/memory.jsonl"}, "policy": "policies/stack-memory.json"}},
 *   "stack": {"default": "deny", "limits": [{"counter": "writes", "window": "minute", "max": 5,
 *                                            "tools": ["kommo/create_lead", "memory/create_entities"]}]}
 *
 * Policy paths and `cwd` are relative to the scenario file; `{tmp}` in a command's `args` and `env`
 * values is a directory of the run's own, removed after it.
 */
import { z } from "zod";
import { CommandServerSchema } from "../gateway/stack/stack-config.js";
import { strictObject } from "./scenario-schema-kit.js";

/** The Kommo simulator of the scenario's world (`kommo` settings, `crm` seed and faults apply to it). */
export const SimulatorServerSchema = strictObject({
  simulator: z.literal(true, { error: "expected `true`: this server is the scenario's Kommo simulator" }),
  policy: CommandServerSchema.shape.policy,
  timeoutMs: CommandServerSchema.shape.timeoutMs,
  description: CommandServerSchema.shape.description,
});

export const ScenarioServerSchema = z.union([SimulatorServerSchema, CommandServerSchema], {
  error: "expected the Kommo simulator (`{\"simulator\": true, \"policy\": …}`) or a server with `command` (and `args`, `env`, `cwd`), plus `policy`",
});

export const ScenarioServersSchema = z.record(z.string(), ScenarioServerSchema);

export type ScenarioServer = z.output<typeof ScenarioServerSchema>;
export type SimulatorServer = z.output<typeof SimulatorServerSchema>;

/** The run's own directory, in a command server's `args` and `env` values. */
export const TMP_PLACEHOLDER = "{tmp}";

export function isSimulator(server: ScenarioServer): server is SimulatorServer {
  return "simulator" in server;
}

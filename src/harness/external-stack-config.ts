/**
 * The gateway config an external run writes for a scenario with `servers` (`{config}`): the
 * simulator as a `toolgate kommo-sim` child (the same command, effects file and control routes as
 * `{upstream}` of a one-server run), the other servers as the scenario declares them (`{tmp}`
 * filled, `cwd` absolute), every policy by its absolute path, the scenario's `stack` section, and
 * over HTTP the harness's grants file (`serve --config` takes its grants from the config).
 */
import { writeFileSync } from "node:fs";
import type { Scenario } from "./scenario-schema.js";
import type { ScenarioStack } from "./scenario-stack.js";
import { withTmp } from "./stack-in-process.js";

/** `grantsFile`: over HTTP, the harness's grants file (one token per scenario grant), named by the config. */
export function writeStackConfig(file: string, scenario: Scenario, stack: ScenarioStack, simulatorArgv: readonly string[], tmpDir: string, grantsFile?: string): void {
  const servers = Object.fromEntries(
    stack.config.servers.map((server) => {
      const common = { policy: server.policyFile, ...(server.timeoutMs !== undefined ? { timeoutMs: server.timeoutMs } : {}), onStartFailure: server.onStartFailure };
      if (server.name === stack.simulator) return [server.name, { command: simulatorArgv[0], args: simulatorArgv.slice(1), ...common }];
      return [server.name, { ...withTmp(server, tmpDir), ...common }];
    }),
  );
  writeFileSync(file, JSON.stringify({ version: "1", description: `written by toolgate check for ${scenario.purpose}`, servers, ...(scenario.stack !== undefined ? { stack: scenario.stack } : {}), ...(grantsFile !== undefined ? { grants: grantsFile } : {}) }, null, 2));
}

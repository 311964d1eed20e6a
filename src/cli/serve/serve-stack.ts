/**
 * `toolgate serve --config FILE` on stdio: one agent, several upstream servers behind one gateway
 * (`gateway/stack/`). Each server's policy decides its own tools under their own names, the
 * config's `stack` section adds the stack default and the limits that span servers, and each
 * policy file is watched and reloaded on its own (counters kept). When the config has grants, the
 * agent is one of them (`--grant ID`) and sees only that grant's servers and policies.
 */
import type { Clock } from "../../core/clock.js";
import { ActivityHub } from "../../gateway/console/activity-hub.js";
import type { Logger } from "../../gateway/logger.js";
import { reloadOnSighup } from "../../gateway/reload.js";
import { NO_SERVER } from "../../gateway/server-naming.js";
import { StackNaming } from "../../gateway/stack/stack-naming.js";
import { everyServer, stackPolicies, type GrantView } from "../../gateway/stack/stack-policies.js";
import { TOOLGATE_CLIENT_INFO } from "../../protocol/era-translation.js";
import type { CommandIo } from "../args.js";
import type { ServeConfig } from "./serve-config.js";
import { auditSink, mountConsole, recordHook } from "./serve-console.js";
import { flush, openAudit, openRecording, releaseStdin, startApprovals } from "./serve-shared.js";
import { consoleServers, consoleSources, loadStack, openStack, watchStackPolicies } from "./stack-parts.js";
import { openStdioGateway, serveUntilClosed } from "./stdio-gateway.js";
import { startTelemetry } from "./telemetry.js";

export async function serveStack(config: ServeConfig, configFile: string, io: CommandIo, clock: Clock, logger: Logger): Promise<number> {
  const stack = loadStack(configFile, io);
  if (!stack) return 1;
  let view: GrantView = everyServer(stack, config.grantId);
  if (stack.grants !== undefined) {
    const grant = stack.grants.find((g) => g.id === config.grantId);
    if (grant === undefined) {
      io.stderr.write(`${stack.grantsFile}: grants: has no grant \`${config.grantId}\`; on stdio the agent is one of the config's grants, expected \`--grant ID\` with one of ${stack.grants.map((g) => `\`${g.id}\``).join(", ")}\n`);
      return 1;
    }
    view = grant;
  }
  const audit = openAudit(config, logger);
  const recording = openRecording(config, logger);
  const naming = new StackNaming(stack.servers.map((s) => s.name), stack.separator);
  const hub = new ActivityHub((tool) => naming.split("tool", tool)?.server ?? NO_SERVER);
  const writeAudit = auditSink(config, hub, audit);
  const record = recordHook(config, hub, recording);
  const approvals = await startApprovals(config, clock, logger, writeAudit, io);
  if (!approvals) {
    await audit?.close();
    return 1;
  }
  const telemetry = await startTelemetry(io.env, "pipe", String(TOOLGATE_CLIENT_INFO.version));
  const policies = stackPolicies(stack, [view]);
  const upstream = openStack(stack, naming, config, io, clock, logger, view.servers);
  const gateway = openStdioGateway({ config, io, clock, logger, approvals, audit: writeAudit, record, telemetry }, { policies: policies.table, upstream, naming, bridgeEras: false });
  const watcher = watchStackPolicies(policies, logger);
  const stopSighup = reloadOnSighup(watcher);
  mountConsole(config, io, clock, {
    approvals,
    hub,
    policies: policies.table,
    grants: () => [config.grantId],
    sources: consoleSources(policies),
    watcher,
    servers: consoleServers(stack, config, io, clock).filter((s) => view.servers.includes(s.name)),
  });
  logger.info("started", { event: "started", config: stack.file, servers: stack.servers.filter((s) => view.servers.includes(s.name)).map((s) => ({ name: s.name, policyVersion: (view.policies.get(s.name)?.policy ?? s.policy).version })), grant: config.grantId });
  const closed = await serveUntilClosed(gateway);
  stopSighup();
  watcher.close();
  await upstream.close();
  logger.line({ level: closed.exitCode === 0 ? "info" : "error", event: "stopped", message: "stopped", reason: closed.reason, exitCode: closed.exitCode, servers: upstream.status() });
  await approvals.close();
  await audit?.close();
  recording?.close();
  await telemetry?.shutdown();
  await flush(io.stdout);
  releaseStdin(io);
  return closed.exitCode;
}

/**
 * `toolgate serve --config FILE` on stdio: one agent, several upstream servers behind one gateway
 * (`gateway/stack/`). Each server's policy decides its own tools under their own names, the
 * config's `stack` section adds the stack default and the limits that span servers, and each
 * server's policy file is watched and reloaded on its own (counters kept).
 */
import type { Clock } from "../../core/clock.js";
import type { Logger } from "../../gateway/logger.js";
import { PolicyTable } from "../../gateway/policy-source.js";
import { reloadOnSighup, watchPolicyFiles, type PolicySetWatcher } from "../../gateway/reload.js";
import { NO_SERVER } from "../../gateway/server-naming.js";
import { formatConfigIssues, loadStackConfigFile, type StackConfig, type StackServer } from "../../gateway/stack/stack-config.js";
import { StackNaming } from "../../gateway/stack/stack-naming.js";
import { StackUpstream } from "../../gateway/stack/stack-upstream.js";
import { withStackLimits } from "../../policy/stack-limits.js";
import { TOOLGATE_CLIENT_INFO } from "../../protocol/era-translation.js";
import type { Transport } from "../../protocol/transport.js";
import { HttpClientTransport } from "../../transports/http-client-transport.js";
import { ChildProcessTransport } from "../../transports/stdio-transport.js";
import type { CommandIo } from "../args.js";
import type { ServeConfig } from "./serve-config.js";
import { flush, openAudit, openRecording, releaseStdin, startApprovals } from "./serve-shared.js";
import { openStdioGateway, serveUntilClosed } from "./stdio-gateway.js";
import { startTelemetry } from "./telemetry.js";
import { auditSink, mountConsole, recordHook } from "./serve-console.js";
import { ActivityHub } from "../../gateway/console/activity-hub.js";
import { probeUpstream } from "../../gateway/console/upstream-probe.js";

export async function serveStack(config: ServeConfig, configFile: string, io: CommandIo, clock: Clock, logger: Logger): Promise<number> {
  const loaded = loadStackConfigFile(configFile);
  if (!loaded.ok) {
    io.stderr.write(`${formatConfigIssues(loaded.issues)}\n`);
    return 1;
  }
  const stack = loaded.value;
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
  const policies = new PolicyTable();
  for (const server of stack.servers) policies.set(config.grantId, withStackLimits(server.policy, stack.stackLimits), server.name);
  policies.set(config.grantId, stack.stackPolicy, NO_SERVER);
  const maxMessageBytes = config.maxMessageBytes * 16;
  const upstream = new StackUpstream({
    servers: stack.servers.map((server) => ({ name: server.name, open: () => openServer(server, io, maxMessageBytes), ...(server.timeoutMs !== undefined ? { timeoutMs: server.timeoutMs } : {}), onStartFailure: server.onStartFailure })),
    naming,
    clock,
    probeTimeoutMs: config.upstreamTimeoutMs,
    log: logger.line,
    serverInfo: { name: "toolgate", version: String(TOOLGATE_CLIENT_INFO.version) },
  });
  const gateway = openStdioGateway({ config, io, clock, logger, approvals, audit: writeAudit, record, telemetry }, { policies, upstream, naming, bridgeEras: false });
  const watcher = watchServerPolicies(stack, config.grantId, policies, logger);
  const stopSighup = reloadOnSighup(watcher);
  mountConsole(config, io, clock, {
    approvals,
    hub,
    policies,
    grants: () => [config.grantId],
    sources: stack.servers.map((s) => ({ file: s.policyFile, grantIds: [config.grantId], version: s.policy.version })),
    watcher,
    servers: stack.servers.map((server) => ({ name: server.name, label: server.name, probe: () => probeUpstream(() => openServer(server, io, maxMessageBytes), clock) })),
  });
  logger.info("started", { event: "started", config: stack.file, servers: stack.servers.map((s) => ({ name: s.name, policyVersion: s.policy.version })), grant: config.grantId });
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

function openServer(server: StackServer, io: CommandIo, maxMessageBytes: number): Transport {
  const t = server.transport;
  if (t.kind === "url") return new HttpClientTransport({ url: t.url, headers: { ...t.headers }, maxMessageBytes });
  return new ChildProcessTransport({ command: t.command, args: [...t.args], env: { ...io.env, ...t.env }, cwd: t.cwd, stderr: "inherit", maxMessageBytes });
}

/** One watcher per server's policy file; a reload replaces that server's policy only. */
function watchServerPolicies(stack: StackConfig, grantId: string, policies: PolicyTable, logger: Logger): PolicySetWatcher {
  const watchers = stack.servers.map((server) =>
    watchPolicyFiles([{ file: server.policyFile, grantIds: [grantId], version: server.policy.version }], {
      apply: (_grants, next) => policies.set(grantId, withStackLimits(next, stack.stackLimits), server.name),
      // Debounced on the real clock: a file's writes settle in real time, whatever time the gateway decides on.
      log: logger.line,
    }),
  );
  return {
    reload: async () => (await Promise.all(watchers.map((w) => w.reload()))).flat(),
    reloadFile: async (file) => {
      for (const w of watchers) {
        const result = await w.reloadFile(file);
        if (result !== undefined) return result;
      }
      return undefined;
    },
    close: () => watchers.forEach((w) => w.close()),
  };
}

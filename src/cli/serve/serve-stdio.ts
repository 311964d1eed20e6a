/** `toolgate serve` on stdio: one agent on stdin/stdout, one upstream. */
import type { Clock } from "../../core/clock.js";
import type { Logger } from "../../gateway/logger.js";
import { TOOLGATE_CLIENT_INFO } from "../../protocol/era-translation.js";
import { startTelemetry } from "./telemetry.js";
import { SharedPolicy } from "../../gateway/policy-source.js";
import { reloadOnSighup, watchPolicyFiles } from "../../gateway/reload.js";
import { ChildProcessTransport } from "../../transports/stdio-transport.js";
import type { CommandIo } from "../args.js";
import type { ServeConfig } from "./serve-config.js";
import { auditSink, mountConsole, recordHook } from "./serve-console.js";
import { ActivityHub } from "../../gateway/console/activity-hub.js";
import { openStdioGateway, serveUntilClosed } from "./stdio-gateway.js";
import { flush, openAudit, openRecording, openUpstream, readPolicy, releaseStdin, startApprovals, upstreamLabel } from "./serve-shared.js";

export async function serveStdio(config: ServeConfig, io: CommandIo, clock: Clock, logger: Logger): Promise<number> {
  const policy = readPolicy(config.policyFile!, io);
  if (!policy) return 1;
  const audit = openAudit(config, logger);
  const recording = openRecording(config, logger);
  const hub = new ActivityHub();
  const record = recordHook(config, hub, recording);
  const writeAudit = auditSink(config, hub, audit);
  const approvals = await startApprovals(config, clock, logger, writeAudit, io);
  if (!approvals) {
    await audit?.close();
    return 1;
  }
  const telemetry = await startTelemetry(io.env, "pipe", String(TOOLGATE_CLIENT_INFO.version));
  const upstream = openUpstream(config, io);
  const policies = new SharedPolicy(policy);
  const gateway = openStdioGateway({ config, io, clock, logger, approvals, audit: writeAudit, record, telemetry }, { policies, upstream });
  const sources = [{ file: config.policyFile!, grantIds: [config.grantId], version: policy.version }];
  // (Debounced on the real clock: a file's writes settle in real time, whatever time the gateway decides on.)
  const watcher = watchPolicyFiles(sources, { apply: (_grants, next) => policies.set(next), log: logger.line });
  const stopSighup = reloadOnSighup(watcher);
  mountConsole(config, io, clock, { approvals, hub, policies, grants: () => [config.grantId], sources, watcher });

  logger.info("started", { event: "started", policyVersion: policy.version, grant: config.grantId, upstream: upstreamLabel(config) });
  const closed = await serveUntilClosed(gateway);
  stopSighup();
  watcher.close();

  if (upstream instanceof ChildProcessTransport) {
    const exit = upstream.exitStatus;
    if (exit && closed.exitCode !== 0) {
      logger.error(exit.error ? `the upstream command could not run: ${exit.error.message}` : `the upstream command exited (code ${exit.code ?? "none"}, signal ${exit.signal ?? "none"})`, { event: "upstream_exited", code: exit.code, signal: exit.signal });
    }
  }
  logger.line({ level: closed.exitCode === 0 ? "info" : "error", event: "stopped", message: "stopped", reason: closed.reason, exitCode: closed.exitCode });
  await approvals.close();
  await audit?.close();
  recording?.close();
  await telemetry?.shutdown();
  await flush(io.stdout);
  releaseStdin(io);
  return closed.exitCode;
}


/**
 * `toolgate serve --listen`: Streamable HTTP downstream, grants, metrics; a gateway per session,
 * on the upstream its plan gives it (`http-plan.ts`): one upstream (`http-single-plan.ts`) or a
 * stack of servers from `--config` (`http-stack-plan.ts`).
 */
import type { Clock } from "../../core/clock.js";
import type { AuditRecord } from "../../gateway/audit-log.js";
import { createGateway } from "../../gateway/gateway.js";
import { startHttpFront } from "../../gateway/http/http-front.js";
import { metricsAccessFor } from "../../gateway/http/metrics-access.js";
import { isLoopbackHostname } from "../../gateway/http/request-checks.js";
import { sharesUpstream } from "../../gateway/http/upstream-sharing.js";
import { InFlightBudget } from "../../gateway/in-flight-budget.js";
import type { Logger } from "../../gateway/logger.js";
import { Metrics } from "../../gateway/metrics.js";
import { checkReadiness, storeCheck, type ReadinessReport } from "../../gateway/readiness.js";
import { reloadOnSighup, watchPolicyFiles } from "../../gateway/reload.js";
import { TOOLGATE_CLIENT_INFO } from "../../protocol/era-translation.js";
import type { CommandIo } from "../args.js";
import type { HttpPlan } from "./http-plan.js";
import { singleServerPlan } from "./http-single-plan.js";
import { stackPlan } from "./http-stack-plan.js";
import type { ServeConfig } from "./serve-config.js";
import { auditSink, mountConsole, recordHook } from "./serve-console.js";
import { openAudit, openRecording, releaseStdin, startApprovals } from "./serve-shared.js";
import { startTelemetry } from "./telemetry.js";

export async function serveHttp(config: ServeConfig, io: CommandIo, clock: Clock, logger: Logger): Promise<number> {
  const plan = config.upstream.kind === "stack" ? await stackPlan(config, config.upstream.configFile, io, clock, logger) : singleServerPlan(config, io, clock, logger);
  return typeof plan === "number" ? plan : runHttp(config, plan, io, clock, logger);
}

async function runHttp(config: ServeConfig, plan: HttpPlan, io: CommandIo, clock: Clock, logger: Logger): Promise<number> {
  const { policies, hub } = plan;
  const metrics = new Metrics();
  if (plan.servers) metrics.setServers(plan.servers);
  const audit = openAudit(config, logger);
  const recording = openRecording(config, logger);
  const record = recordHook(config, hub, recording);
  const writeAudit = auditSink(config, hub, audit);
  const onAudit = (record: AuditRecord): void => {
    metrics.observeAudit(record);
    writeAudit?.(record);
  };
  // The admin API starts with the stores, before the checks below exist: its /ready asks them late.
  let readiness: (() => Promise<ReadinessReport>) | undefined;
  const starting: ReadinessReport = { ready: false, checks: { starting: { ok: false, reason: "the gateway is starting" } } };
  const approvals = await startApprovals(config, clock, logger, writeAudit, io, () => (readiness ? readiness() : Promise.resolve(starting)));
  if (!approvals) {
    await audit?.close();
    await plan.close();
    return 1;
  }
  metrics.setPendingApprovals(() => approvals.gate.pendingCount());
  const store = approvals.counters;
  const budget = new InFlightBudget(config.maxInFlight);
  const telemetry = await startTelemetry(io.env, "tcp", String(TOOLGATE_CLIENT_INFO.version));
  const checks = (): Promise<ReadinessReport> =>
    checkReadiness(
      {
        policy: async () => (policies.grants().length > 0 ? undefined : "no policy is loaded"),
        store: storeCheck(approvals.counters, approvals.approvals),
        upstream: plan.upstreamCheck,
      },
      clock,
    );
  readiness = checks;
  const front = await startHttpFront({
    host: config.listen!.host,
    port: config.listen!.port,
    maxBodyBytes: config.maxBodyBytes,
    allowedOrigins: config.allowedOrigins,
    checkHost: !plan.hasGrants && isLoopbackHostname(config.listen!.host),
    authenticate: plan.authenticate,
    ...(plan.protectedResource ? { protectedResource: plan.protectedResource } : {}),
    metrics,
    metricsAccess: metricsAccessFor(plan.hasGrants, config.metricsToken),
    log: logger,
    clock,
    maxSessions: config.maxSessions,
    maxSessionsPerGrant: config.maxSessionsPerGrant,
    sessionIdleMs: config.sessionIdleMs,
    drainTimeoutMs: config.drainTimeoutMs,
    readiness: checks,
    ...(plan.servers ? { servers: plan.servers } : {}),
    openGateway: ({ grantId, sessionKey, downstream, stateless, initialize, callerOf }) =>
      createGateway({
        policies,
        grantId,
        ...(callerOf ? { callerOf } : {}),
        sessionKey,
        clock,
        store,
        upstream: plan.upstreamFor(grantId, sharesUpstream(config.upstreamSharing, initialize, stateless)),
        ...(plan.naming ? { naming: plan.naming } : {}),
        bridgeEras: plan.bridgeEras,
        downstream,
        audit: onAudit,
        ...(record ? { record } : {}),
        upstreamTimeoutMs: config.upstreamTimeoutMs,
        maxMessageBytes: config.maxBodyBytes,
        logger: logger.line,
        storeFailMode: config.storeFailMode,
        shadow: config.shadow,
        approvals: approvals.gate,
        approvalViaClient: config.approvalViaClient,
        budget,
        ...(telemetry ? { tracer: telemetry.tracer } : {}),
      }),
  }).catch((error: Error) => {
    io.stderr.write(`toolgate serve: cannot listen on ${config.listen!.host}:${config.listen!.port}: ${error.message}\n`);
    return undefined;
  });
  if (!front) {
    await plan.close();
    await approvals.close();
    await telemetry?.shutdown();
    return 1;
  }
  // Debounced on the real clock: a file's writes settle in real time, whatever time the gateway decides on.
  const watcher = watchPolicyFiles(plan.sources, { apply: (targets, next) => plan.apply(targets, next), log: logger.line });
  const stopSighup = reloadOnSighup(watcher);
  mountConsole(config, io, clock, { approvals, hub, policies, grants: () => policies.grants(), sources: plan.console.sources, watcher, ...(plan.console.servers ? { servers: plan.console.servers } : {}) });
  logger.info(`listening on ${front.url}`, { event: "listening", url: front.url, grants: policies.grants().length, upstream: plan.label, upstreamSharing: config.upstreamSharing, ...(plan.servers ? { servers: plan.servers() } : {}) });

  const signal = await new Promise<string>((resolveSignal) => {
    const on = (name: string) => (): void => {
      process.off("SIGTERM", onTerm);
      process.off("SIGINT", onInt);
      resolveSignal(name);
    };
    const onTerm = on("SIGTERM");
    const onInt = on("SIGINT");
    process.once("SIGTERM", onTerm);
    process.once("SIGINT", onInt);
  });
  logger.info(`${signal}: stopping`, { event: "stopping", signal, sessions: front.sessionCount() });
  stopSighup();
  watcher.close();
  approvals.gate.close(); // held calls are answered before the front drains
  await front.close();
  await plan.close();
  await approvals.close();
  await audit?.close();
  recording?.close();
  await telemetry?.shutdown();
  logger.info("stopped", { event: "stopped", exitCode: 0 });
  releaseStdin(io);
  return 0;
}

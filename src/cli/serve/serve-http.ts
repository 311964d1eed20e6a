/**
 * `toolgate serve --listen`: Streamable HTTP downstream, grants, metrics; a gateway per session,
 * on its grant's shared upstream connection or one of its own (`--upstream-sharing`).
 */
import { readFileSync } from "node:fs";
import type { Clock } from "../../core/clock.js";
import type { AuditRecord } from "../../gateway/audit-log.js";
import { ActivityHub } from "../../gateway/console/activity-hub.js";
import { createGateway } from "../../gateway/gateway.js";
import { formatGrantsIssues, GrantTable, loadGrantsText } from "../../gateway/grants.js";
import { startHttpFront, type AuthOutcome } from "../../gateway/http/http-front.js";
import { Authenticator } from "../../gateway/identity/authenticator.js";
import { protectedResource, type ProtectedResource } from "../../gateway/identity/protected-resource.js";
import { TokenVerifier } from "../../gateway/identity/token-verifier.js";
import { metricsAccessFor } from "../../gateway/http/metrics-access.js";
import { isLoopbackHostname } from "../../gateway/http/request-checks.js";
import { UpstreamPool } from "../../gateway/http/upstream-pool.js";
import { SharedUpstreams, sharesUpstream } from "../../gateway/http/upstream-sharing.js";
import type { Transport } from "../../protocol/transport.js";
import { InFlightBudget } from "../../gateway/in-flight-budget.js";
import type { Logger } from "../../gateway/logger.js";
import { TOOLGATE_CLIENT_INFO } from "../../protocol/era-translation.js";
import { startTelemetry } from "./telemetry.js";
import { Metrics } from "../../gateway/metrics.js";
import { PolicyTable } from "../../gateway/policy-source.js";
import { reloadOnSighup, watchPolicyFiles, type WatchedPolicyFile } from "../../gateway/reload.js";
import type { ChildProcessTransport } from "../../transports/stdio-transport.js";
import type { CommandIo } from "../args.js";
import type { ServeConfig } from "./serve-config.js";
import { auditSink, mountConsole, recordHook } from "./serve-console.js";
import { openAudit, openRecording, openUpstream, readPolicy, releaseStdin, startApprovals, upstreamLabel } from "./serve-shared.js";
import { messageOf } from "../../core/errors.js";
import { checkReadiness, DEFAULT_READINESS_TIMEOUT_MS, type ReadinessCheck, type ReadinessReport, storeCheck } from "../../gateway/readiness.js";

export async function serveHttp(config: ServeConfig, io: CommandIo, clock: Clock, logger: Logger): Promise<number> {
  // Grants: token digest → grant id and policy; without --grants one grant for every request.
  const policies = new PolicyTable();
  const sources: WatchedPolicyFile[] = [];
  let authenticate: (authorization: string | undefined) => AuthOutcome | Promise<AuthOutcome>;
  let resource: ProtectedResource | undefined;
  if (config.grantsFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(config.grantsFile, "utf8");
    } catch (error) {
      io.stderr.write(`${config.grantsFile}: (root): cannot read the grants file: ${messageOf(error)}\n`);
      return 1;
    }
    const loaded = loadGrantsText(text, config.grantsFile, config.policyFile);
    if (!loaded.ok) {
      io.stderr.write(`${formatGrantsIssues(loaded.issues)}\n`);
      return 1;
    }
    // Static grants by grant id; claim grants by their policy's key (`claims:<file>`).
    const keyed = [...loaded.value.map((g) => ({ key: g.id, file: g.policyFile, policy: g.policy })), ...(loaded.identity?.rules ?? []).map((r) => ({ key: r.policyKey, file: r.policyFile, policy: r.policy }))];
    for (const k of keyed) {
      if (policies.get(k.key) !== undefined) continue;
      policies.set(k.key, k.policy);
      const source = sources.find((s) => s.file === k.file);
      if (source) (source.grantIds as string[]).push(k.key);
      else sources.push({ file: k.file, grantIds: [k.key], version: k.policy.version });
    }
    const table = new GrantTable(loaded.value);
    if (config.metricsToken !== undefined && table.authenticate(`Bearer ${config.metricsToken}`).kind === "ok") {
      io.stderr.write("toolgate serve: flag `--metrics-token-file`: the metrics token is also a grant's token; give /metrics a token of its own\n");
      return 2;
    }
    const identity = loaded.identity;
    if (identity === undefined) {
      authenticate = (authorization) => {
        const result = table.authenticate(authorization);
        return result.kind === "ok" ? { kind: "ok", grantId: result.grant.id } : result;
      };
    } else {
      for (const [i, issuer] of identity.oauth.issuers.entries()) {
        const name = issuer.introspection?.clientSecretEnv;
        if (name !== undefined && !io.env[name]) {
          io.stderr.write(`${config.grantsFile}: oauth.issuers[${i}].introspection.clientSecretEnv: the introspection client secret of \`${issuer.issuer}\` is not set; expected it in the environment variable \`${name}\`\n`);
          return 1;
        }
      }
      const verifier = new TokenVerifier({ oauth: identity.oauth, clock, env: io.env, log: logger.line });
      const authenticator = new Authenticator({ table, identity, verifier, log: logger.line });
      authenticate = (authorization) => authenticator.authenticate(authorization);
      resource = protectedResource(identity.oauth, identity.rules.flatMap((r) => r.entry.match.scope ?? []));
    }
  } else {
    const policy = readPolicy(config.policyFile!, io);
    if (!policy) return 1;
    policies.set(config.grantId, policy);
    sources.push({ file: config.policyFile!, grantIds: [config.grantId], version: policy.version });
    const ok: AuthOutcome = { kind: "ok", grantId: config.grantId };
    authenticate = () => ok;
  }

  const metrics = new Metrics();
  const audit = openAudit(config, logger);
  const recording = openRecording(config, logger);
  const hub = new ActivityHub();
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
    return 1;
  }
  metrics.setPendingApprovals(() => approvals.gate.pendingCount());
  const store = approvals.counters;
  const budget = new InFlightBudget(config.maxInFlight);
  const telemetry = await startTelemetry(io.env, "tcp", String(TOOLGATE_CLIENT_INFO.version));
  // A connection of its own for a session that does not share: for a child, from a pool kept one
  // ahead, made when the first such session comes (never with `--upstream-sharing shared`).
  let pool: UpstreamPool | undefined;
  const makePool = (): UpstreamPool => new UpstreamPool({ open: () => openUpstream(config, io), alive: (t) => (t as ChildProcessTransport).exitStatus === undefined, size: 1 });
  if (config.upstream.kind === "cmd" && config.upstreamSharing === "per-session") pool = makePool();
  const ownUpstream = (): Transport => {
    if (config.upstream.kind !== "cmd") return openUpstream(config, io);
    pool ??= makePool();
    return pool.take();
  };
  const shared = new SharedUpstreams({ open: () => openUpstream(config, io), log: logger.line });
  const checks = (): Promise<ReadinessReport> =>
    checkReadiness(
      {
        policy: async () => (policies.grants().length > 0 ? undefined : "no policy is loaded"),
        store: storeCheck(approvals.counters, approvals.approvals),
        // A child kept ahead (per-session, or once a non-sharing session came) must be alive; a
        // shared connection is started on demand, so there is nothing to check before it.
        upstream: config.upstream.kind === "cmd" ? async () => pool?.notReady() : upstreamUrlCheck(config, clock),
      },
      clock,
    );
  readiness = checks;
  const front = await startHttpFront({
    host: config.listen!.host,
    port: config.listen!.port,
    maxBodyBytes: config.maxBodyBytes,
    allowedOrigins: config.allowedOrigins,
    checkHost: config.grantsFile === undefined && isLoopbackHostname(config.listen!.host),
    authenticate,
    ...(resource ? { protectedResource: resource } : {}),
    metrics,
    metricsAccess: metricsAccessFor(config.grantsFile !== undefined, config.metricsToken),
    log: logger,
    clock,
    maxSessions: config.maxSessions,
    maxSessionsPerGrant: config.maxSessionsPerGrant,
    sessionIdleMs: config.sessionIdleMs,
    drainTimeoutMs: config.drainTimeoutMs,
    readiness: checks,
    openGateway: ({ grantId, sessionKey, downstream, stateless, initialize, callerOf }) =>
      createGateway({
        policies,
        grantId,
        ...(callerOf ? { callerOf } : {}),
        sessionKey,
        clock,
        store,
        upstream: sharesUpstream(config.upstreamSharing, initialize, stateless) ? shared.laneFor(grantId) : ownUpstream(),
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
    await pool?.close();
    await shared.closeAll();
    await approvals.close();
    await telemetry?.shutdown();
    return 1;
  }
  const watcher = watchPolicyFiles(sources, {
    apply: (grantIds, next) => {
      for (const id of grantIds) policies.set(id, next);
    },
    log: logger.line,
    // Debounced on the real clock: a file's writes settle in real time, whatever time the gateway decides on.
  });
  const stopSighup = reloadOnSighup(watcher);
  mountConsole(config, io, clock, { approvals, hub, policies, grants: () => policies.grants(), sources, watcher });
  logger.info(`listening on ${front.url}`, { event: "listening", url: front.url, grants: policies.grants().length, upstream: upstreamLabel(config), upstreamSharing: config.upstreamSharing });

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
  await pool?.close();
  await shared.closeAll();
  await approvals.close();
  await audit?.close();
  recording?.close();
  await telemetry?.shutdown();
  logger.info("stopped", { event: "stopped", exitCode: 0 });
  releaseStdin(io);
  return 0;
}


/** `--upstream-url`: ready when the URL answers HTTP at all (any status; a refused or hung connection is not). */
function upstreamUrlCheck(config: ServeConfig, clock: Clock): ReadinessCheck {
  return async () => {
    if (config.upstream.kind !== "url") return undefined;
    const url = config.upstream.url;
    const abort = new AbortController();
    const timer = clock.setTimer(() => abort.abort(), DEFAULT_READINESS_TIMEOUT_MS);
    try {
      const res = await fetch(url, { method: "GET", headers: { accept: "application/json, text/event-stream", ...config.upstreamHeaders }, signal: abort.signal });
      await res.body?.cancel();
      return undefined;
    } catch (error) {
      return `the upstream at ${url.origin} does not answer: ${messageOf((error as { cause?: unknown }).cause ?? error)}`;
    } finally {
      timer.cancel();
    }
  };
}

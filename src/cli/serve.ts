/**
 * `toolgate serve`: the policy gateway in front of an MCP server. The upstream is a child process
 * (`--upstream-cmd`, split like a shell would but spawned without one, its stderr inherited) or a
 * Streamable HTTP server (`--upstream-url`).
 *
 * Downstream on stdio (default): the agent talks to this process's stdin/stdout, under one grant
 * (`--grant`). Exit code: 0 when the agent hung up, 1 for an invalid policy or when the upstream
 * went away (every pending call has been answered with an error first), 2 for usage errors.
 *
 * Downstream on Streamable HTTP (`--listen HOST:PORT`, path `/mcp`, plus `/metrics` and
 * `/health`): every MCP session gets its own gateway and its own upstream connection; bearer
 * tokens map to grants (`--grants FILE`) or every request uses `--grant`, which is refused on a
 * non-loopback address. SIGTERM/SIGINT stop accepting, finish calls in flight (bounded by
 * `--drain-timeout-ms`), close the upstreams and exit 0.
 *
 * The upstream's own credential stays here: `--upstream-header "Name: value"` (for
 * `--upstream-url`) and `--upstream-env NAME=VALUE` (for `--upstream-cmd`); the agent's
 * `Authorization` header is never forwarded. Logs are JSON lines on stderr.
 *
 * Stores: `--store memory` (default) or `--store redis://HOST:PORT/DB` (counters and approvals
 * shared by replicas). Approvals: `--approval-mode async|hold` (`--approval-timeout-ms` for hold),
 * decided through the loopback admin API `--admin-listen HOST:PORT`, protected by its own token
 * (`--admin-token-file FILE` or TOOLGATE_ADMIN_TOKEN). Policy files are watched and reloaded on
 * change and on SIGHUP; an invalid file is logged with its issues and the old policy stays.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { processClock, type Clock } from "../core/clock.js";
import { formatIssues } from "../core/errors.js";
import { isLoopbackHost } from "../gateway/approvals/admin-server.js";
import { readAdminToken } from "../gateway/approvals/admin-token.js";
import type { ApprovalMode } from "../gateway/approvals/approval-gate.js";
import { startServeApprovals, type ServeApprovals, type StoreSpec } from "../gateway/approvals/serve-approvals.js";
import { createAuditFileWriter, type AuditFileWriter, type AuditRecord } from "../gateway/audit-log.js";
import { createGateway, DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_UPSTREAM_TIMEOUT_MS } from "../gateway/gateway.js";
import { formatGrantsIssues, GrantTable, loadGrantsText } from "../gateway/grants.js";
import { DEFAULT_DRAIN_TIMEOUT_MS, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_SESSIONS, startHttpFront, type AuthOutcome } from "../gateway/http/http-front.js";
import { isLoopbackHostname } from "../gateway/http/request-checks.js";
import { UpstreamPool } from "../gateway/http/upstream-pool.js";
import { createJsonLogger, isLogLevel, type Logger, type LogLevel } from "../gateway/logger.js";
import { Metrics } from "../gateway/metrics.js";
import { reloadOnSighup, watchPolicyFiles, type PolicySource } from "../gateway/reload.js";
import { parsePolicyText, type CompiledPolicy } from "../policy/load-policy.js";
import type { Transport } from "../protocol/transport.js";
import { HttpClientTransport } from "../transports/http-client-transport.js";
import { splitCommand } from "../transports/split-command.js";
import { ChildProcessTransport, StdioTransport } from "../transports/stdio-transport.js";
import { parseArgs, parseHostPort, UsageError, type CommandIo, type CommandRun, type FlagSpecs } from "./args.js";

const FLAGS: FlagSpecs = {
  policy: { kind: "string" },
  "upstream-cmd": { kind: "string" },
  "upstream-url": { kind: "string" },
  "upstream-header": { kind: "strings" },
  "upstream-env": { kind: "strings" },
  grant: { kind: "string" },
  grants: { kind: "string" },
  listen: { kind: "string" },
  "allowed-origins": { kind: "string" },
  "max-body-bytes": { kind: "string" },
  "max-sessions": { kind: "string" },
  "drain-timeout-ms": { kind: "string" },
  "log-level": { kind: "string" },
  audit: { kind: "string" },
  "store-fail": { kind: "string" },
  "upstream-timeout-ms": { kind: "string" },
  "max-message-bytes": { kind: "string" },
  shadow: { kind: "boolean" },
  store: { kind: "string" },
  "admin-listen": { kind: "string" },
  "admin-token-file": { kind: "string" },
  "approval-mode": { kind: "string" },
  "approval-timeout-ms": { kind: "string" },
};

/** The grant of a stdio gateway when `--grant` is not given (stdio names its grant at start-up). */
export const DEFAULT_STDIO_GRANT = "stdio";

export interface ServeConfig {
  /** `--policy`; optional with `--grants` when every grant names its own policy. */
  readonly policyFile: string | undefined;
  readonly upstream: { readonly kind: "cmd"; readonly command: string; readonly args: readonly string[] } | { readonly kind: "url"; readonly url: URL };
  /** `--upstream-header` (url upstream) as a header map. */
  readonly upstreamHeaders: Readonly<Record<string, string>>;
  /** `--upstream-env` (cmd upstream), added to the child's environment. */
  readonly upstreamEnv: Readonly<Record<string, string>>;
  readonly grantId: string;
  readonly grantsFile: string | undefined;
  readonly listen: { readonly host: string; readonly port: number } | undefined;
  readonly allowedOrigins: readonly string[];
  readonly maxBodyBytes: number;
  readonly maxSessions: number;
  readonly drainTimeoutMs: number;
  readonly logLevel: LogLevel;
  readonly auditFile: string | undefined;
  readonly storeFailMode: "closed" | "open";
  readonly upstreamTimeoutMs: number;
  readonly maxMessageBytes: number;
  readonly shadow: boolean;
  readonly store: StoreSpec;
  /** `--admin-listen` with its token (from `--admin-token-file` or TOOLGATE_ADMIN_TOKEN). */
  readonly admin: { readonly host: string; readonly port: number; readonly token: string } | undefined;
  readonly approvalMode: ApprovalMode;
  readonly approvalTimeoutMs: number | undefined;
}

export function parseServeArgs(argv: readonly string[], cwd: string, env: Record<string, string | undefined> = process.env): ServeConfig {
  const { flags } = parseArgs(argv, FLAGS);
  const str = (name: string): string | undefined => flags[name] as string | undefined;
  const list = (name: string): string[] => (flags[name] as string[] | undefined) ?? [];
  const policy = str("policy");
  const grants = str("grants");
  if (policy === undefined && grants === undefined) throw new UsageError("flag `--policy FILE` is required");
  const cmd = str("upstream-cmd");
  const url = str("upstream-url");
  if ((cmd === undefined) === (url === undefined)) throw new UsageError("give exactly one of `--upstream-cmd \"CMD ARGS\"` and `--upstream-url URL`");
  let upstream: ServeConfig["upstream"];
  if (cmd !== undefined) {
    let words: string[];
    try {
      words = splitCommand(cmd);
    } catch (error) {
      throw new UsageError(`flag \`--upstream-cmd\`: ${(error as Error).message}`);
    }
    if (words.length === 0) throw new UsageError("flag `--upstream-cmd` is empty; expected a command and its arguments");
    upstream = { kind: "cmd", command: words[0]!, args: words.slice(1) };
  } else {
    let parsed: URL;
    try {
      parsed = new URL(url!);
    } catch {
      throw new UsageError(`flag \`--upstream-url\`: expected an http(s) URL, found \`${url}\``);
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new UsageError(`flag \`--upstream-url\`: expected an http(s) URL, found \`${url}\``);
    upstream = { kind: "url", url: parsed };
  }
  const upstreamHeaders: Record<string, string> = {};
  for (const h of list("upstream-header")) {
    if (upstream.kind !== "url") throw new UsageError("flag `--upstream-header` applies to `--upstream-url`; for `--upstream-cmd` use `--upstream-env NAME=VALUE`");
    const m = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):\s*(.*)$/.exec(h);
    if (!m) throw new UsageError("flag `--upstream-header`: expected `Name: value` (the value is not shown here)");
    const name = m[1]!.toLowerCase();
    if (["mcp-session-id", "mcp-protocol-version", "content-type", "content-length", "accept", "host"].includes(name)) throw new UsageError(`flag \`--upstream-header\`: \`${m[1]}\` is set by the gateway itself`);
    upstreamHeaders[name] = m[2]!;
  }
  const upstreamEnv: Record<string, string> = {};
  for (const e of list("upstream-env")) {
    if (upstream.kind !== "cmd") throw new UsageError("flag `--upstream-env` applies to `--upstream-cmd`; for `--upstream-url` use `--upstream-header \"Name: value\"`");
    const eq = e.indexOf("=");
    if (eq < 1 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(e.slice(0, eq))) throw new UsageError("flag `--upstream-env`: expected `NAME=VALUE` with a variable name of letters, digits and `_`");
    upstreamEnv[e.slice(0, eq)] = e.slice(eq + 1);
  }
  const storeFail = str("store-fail") ?? "closed";
  if (storeFail !== "closed" && storeFail !== "open") throw new UsageError(`flag \`--store-fail\`: expected \`closed\` or \`open\`, found \`${storeFail}\``);
  const grant = str("grant");
  if (grant === "") throw new UsageError("flag `--grant` must not be empty");
  const listenText = str("listen");
  const listen = listenText === undefined ? undefined : parseHostPort(listenText, "listen");
  if (grants !== undefined && listen === undefined) throw new UsageError("flag `--grants` needs `--listen HOST:PORT` (on stdio the grant is named with `--grant`)");
  if (grants !== undefined && grant !== undefined) throw new UsageError("give `--grants FILE` or `--grant ID`, not both");
  if (listen !== undefined && grants === undefined && !isLoopbackHostname(listen.host)) {
    throw new UsageError(`flag \`--listen\`: refusing to listen on \`${listen.host}\` without \`--grants FILE\`; anyone who can reach it could call the upstream. Use a loopback address or give grants`);
  }
  const httpOnly = ["allowed-origins", "max-body-bytes", "max-sessions", "drain-timeout-ms"].filter((f) => flags[f] !== undefined);
  if (listen === undefined && httpOnly.length > 0) throw new UsageError(`flag \`--${httpOnly[0]}\` needs \`--listen HOST:PORT\``);
  const logLevel = str("log-level") ?? "info";
  if (!isLogLevel(logLevel)) throw new UsageError(`flag \`--log-level\`: expected debug, info, warn or error, found \`${logLevel}\``);
  const origins = (str("allowed-origins") ?? "").split(",").map((o) => o.trim()).filter((o) => o !== "");
  for (const o of origins) {
    if (o !== "*" && !/^https?:\/\/[^/\s]+$/.test(o)) throw new UsageError(`flag \`--allowed-origins\`: expected origins like \`https://app.example.com\` (scheme and host, no path), found \`${o}\``);
  }
  return {
    policyFile: policy === undefined ? undefined : resolve(cwd, policy),
    upstream,
    upstreamHeaders,
    upstreamEnv,
    grantId: grant ?? DEFAULT_STDIO_GRANT,
    grantsFile: grants === undefined ? undefined : resolve(cwd, grants),
    listen,
    allowedOrigins: origins,
    maxBodyBytes: positiveInt(str("max-body-bytes"), "max-body-bytes", DEFAULT_MAX_BODY_BYTES),
    maxSessions: positiveInt(str("max-sessions"), "max-sessions", DEFAULT_MAX_SESSIONS),
    drainTimeoutMs: positiveInt(str("drain-timeout-ms"), "drain-timeout-ms", DEFAULT_DRAIN_TIMEOUT_MS),
    logLevel,
    auditFile: str("audit") === undefined ? undefined : resolve(cwd, str("audit")!),
    storeFailMode: storeFail,
    upstreamTimeoutMs: positiveInt(str("upstream-timeout-ms"), "upstream-timeout-ms", DEFAULT_UPSTREAM_TIMEOUT_MS),
    maxMessageBytes: positiveInt(str("max-message-bytes"), "max-message-bytes", DEFAULT_MAX_MESSAGE_BYTES),
    shadow: flags.shadow === true,
    ...parseApprovalFlags(str, cwd, env),
  };
}

/** `--store`, `--admin-listen`, `--admin-token-file`, `--approval-mode`, `--approval-timeout-ms`. */
function parseApprovalFlags(str: (name: string) => string | undefined, cwd: string, env: Record<string, string | undefined>): Pick<ServeConfig, "store" | "admin" | "approvalMode" | "approvalTimeoutMs"> {
  const storeText = str("store") ?? "memory";
  let store: StoreSpec;
  if (storeText === "memory") store = { kind: "memory" };
  else if (/^rediss?:\/\/[^/\s]+(\/\d+)?$/.test(storeText)) store = { kind: "redis", url: storeText };
  else throw new UsageError(`flag \`--store\`: expected \`memory\` or \`redis://HOST:PORT/DB\`, found \`${storeText.replace(/:[^:@/]*@/, ":***@")}\``);
  const mode = str("approval-mode") ?? "async";
  if (mode !== "async" && mode !== "hold") throw new UsageError(`flag \`--approval-mode\`: expected \`async\` or \`hold\`, found \`${mode}\``);
  const timeout = str("approval-timeout-ms");
  if (timeout !== undefined && mode !== "hold") throw new UsageError("flag `--approval-timeout-ms` applies to `--approval-mode hold`");
  const listenText = str("admin-listen");
  const tokenFile = str("admin-token-file");
  let admin: ServeConfig["admin"];
  if (listenText === undefined) {
    if (tokenFile !== undefined) throw new UsageError("flag `--admin-token-file` needs `--admin-listen HOST:PORT`");
  } else {
    const at = parseHostPort(listenText, "admin-listen");
    if (!isLoopbackHost(at.host)) throw new UsageError(`flag \`--admin-listen\`: the approvals admin API listens on loopback only; found \`${at.host}\`, expected 127.0.0.1, ::1 or localhost`);
    const token = readAdminToken(tokenFile === undefined ? undefined : resolve(cwd, tokenFile), env);
    if (!token.ok) throw new UsageError(`flag \`--admin-listen\`: ${token.message}`);
    admin = { ...at, token: token.token };
  }
  return { store, admin, approvalMode: mode, approvalTimeoutMs: timeout === undefined ? undefined : positiveInt(timeout, "approval-timeout-ms", 0) };
}

function positiveInt(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`flag \`--${flag}\`: expected a whole number ≥ 1, found \`${value}\``);
  return n;
}

export const run: CommandRun = async (argv, io) => {
  const config = parseServeArgs(argv, io.cwd, io.env);
  const clock = processClock(io.env);
  const logger = createJsonLogger({ write: (text, done) => void io.stderr.write(text, done), clock, level: config.logLevel, base: { source: "toolgate" } });
  const code = config.listen ? await serveHttp(config, io, clock, logger) : await serveStdio(config, io, clock, logger);
  await logger.flush();
  return code;
};

function readPolicy(file: string, io: CommandIo): CompiledPolicy | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    io.stderr.write(`${file}: (root): cannot read the policy file: ${(error as Error).message}\n`);
    return undefined;
  }
  const parsed = parsePolicyText(text);
  if (!parsed.ok) {
    io.stderr.write(`${formatIssues(file, parsed.issues)}\n`);
    return undefined;
  }
  return parsed.value;
}

function openAudit(config: ServeConfig, logger: Logger): AuditFileWriter | undefined {
  return config.auditFile ? createAuditFileWriter(config.auditFile, (error) => logger.error("cannot write the audit log", { event: "audit_write_failed", error: error.message })) : undefined;
}

async function serveStdio(config: ServeConfig, io: CommandIo, clock: Clock, logger: Logger): Promise<number> {
  const policy = readPolicy(config.policyFile!, io);
  if (!policy) return 1;
  const audit = openAudit(config, logger);
  const approvals = await startApprovals(config, clock, logger, audit?.write, io);
  if (!approvals) {
    await audit?.close();
    return 1;
  }
  const store = approvals.counters;
  const upstream = openUpstream(config, io);
  const downstream = new StdioTransport({ readable: io.stdin, writable: io.stdout, maxMessageBytes: config.maxMessageBytes, endWritableOnClose: false });
  const gateway = createGateway({
    policy,
    grantId: config.grantId,
    clock,
    store,
    upstream,
    downstream,
    audit: audit?.write,
    upstreamTimeoutMs: config.upstreamTimeoutMs,
    maxMessageBytes: config.maxMessageBytes,
    logger: logger.line,
    storeFailMode: config.storeFailMode,
    shadow: config.shadow,
    approvals: approvals.gate,
  });
  const watcher = watchPolicyFiles([{ file: config.policyFile!, grantIds: [config.grantId], version: policy.version }], { apply: (_grants, next) => gateway.setPolicy(next), log: logger.line, clock });
  const stopSighup = reloadOnSighup(watcher);

  const stopOnSignal = (): void => void gateway.close();
  process.once("SIGTERM", stopOnSignal);
  process.once("SIGINT", stopOnSignal);
  logger.info("started", { event: "started", policyVersion: policy.version, grant: config.grantId, upstream: upstreamLabel(config) });
  await gateway.start();
  const closed = await gateway.closed;
  process.off("SIGTERM", stopOnSignal);
  process.off("SIGINT", stopOnSignal);
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
  await flush(io.stdout);
  releaseStdin(io);
  return closed.exitCode;
}

async function serveHttp(config: ServeConfig, io: CommandIo, clock: Clock, logger: Logger): Promise<number> {
  // Grants: token digest → grant id and policy; without --grants one grant for every request.
  const policies = new Map<string, CompiledPolicy>();
  const sources: PolicySource[] = [];
  let authenticate: (authorization: string | undefined) => AuthOutcome;
  if (config.grantsFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(config.grantsFile, "utf8");
    } catch (error) {
      io.stderr.write(`${config.grantsFile}: (root): cannot read the grants file: ${(error as Error).message}\n`);
      return 1;
    }
    const loaded = loadGrantsText(text, config.grantsFile, config.policyFile);
    if (!loaded.ok) {
      io.stderr.write(`${formatGrantsIssues(loaded.issues)}\n`);
      return 1;
    }
    for (const g of loaded.value) policies.set(g.id, g.policy);
    for (const g of loaded.value) {
      const source = sources.find((s) => s.file === g.policyFile);
      if (source) (source.grantIds as string[]).push(g.id);
      else sources.push({ file: g.policyFile, grantIds: [g.id], version: g.policy.version });
    }
    const table = new GrantTable(loaded.value);
    authenticate = (authorization) => {
      const result = table.authenticate(authorization);
      return result.kind === "ok" ? { kind: "ok", grantId: result.grant.id } : result;
    };
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
  const onAudit = (record: AuditRecord): void => {
    metrics.observeAudit(record);
    audit?.write(record);
  };
  const approvals = await startApprovals(config, clock, logger, audit?.write, io);
  if (!approvals) {
    await audit?.close();
    return 1;
  }
  metrics.setPendingApprovals(() => approvals.gate.pendingCount());
  const store = approvals.counters;
  const pool =
    config.upstream.kind === "cmd"
      ? new UpstreamPool({ open: () => openUpstream(config, io), alive: (t) => (t as ChildProcessTransport).exitStatus === undefined, size: 1 })
      : undefined;
  const front = await startHttpFront({
    host: config.listen!.host,
    port: config.listen!.port,
    maxBodyBytes: config.maxBodyBytes,
    allowedOrigins: config.allowedOrigins,
    checkHost: config.grantsFile === undefined && isLoopbackHostname(config.listen!.host),
    authenticate,
    metrics,
    log: logger,
    clock,
    maxSessions: config.maxSessions,
    drainTimeoutMs: config.drainTimeoutMs,
    openGateway: ({ grantId, sessionKey, downstream }) =>
      createGateway({
        policy: policies.get(grantId),
        grantId,
        sessionKey,
        clock,
        store,
        upstream: pool ? pool.take() : openUpstream(config, io),
        downstream,
        audit: onAudit,
        upstreamTimeoutMs: config.upstreamTimeoutMs,
        maxMessageBytes: config.maxBodyBytes,
        logger: logger.line,
        storeFailMode: config.storeFailMode,
        shadow: config.shadow,
        approvals: approvals.gate,
      }),
  }).catch((error: Error) => {
    io.stderr.write(`toolgate serve: cannot listen on ${config.listen!.host}:${config.listen!.port}: ${error.message}\n`);
    return undefined;
  });
  if (!front) {
    await pool?.close();
    await approvals.close();
    return 1;
  }
  const watcher = watchPolicyFiles(sources, {
    apply: (grantIds, next) => {
      for (const id of grantIds) policies.set(id, next);
      for (const { grantId, gateway } of front.gateways()) if (grantIds.includes(grantId)) gateway.setPolicy(next);
    },
    log: logger.line,
    clock,
  });
  const stopSighup = reloadOnSighup(watcher);
  logger.info(`listening on ${front.url}`, { event: "listening", url: front.url, grants: [...policies.keys()].length, upstream: upstreamLabel(config) });

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
  await approvals.close();
  await audit?.close();
  logger.info("stopped", { event: "stopped", exitCode: 0 });
  releaseStdin(io);
  return 0;
}

/** Stores, approval gate and admin API; undefined (after saying why on stderr) when the admin API cannot listen. */
async function startApprovals(config: ServeConfig, clock: Clock, logger: Logger, audit: ((record: AuditRecord) => void) | undefined, io: CommandIo): Promise<ServeApprovals | undefined> {
  try {
    return await startServeApprovals({
      clock,
      log: logger.line,
      store: config.store,
      mode: config.approvalMode,
      ...(config.approvalTimeoutMs === undefined ? {} : { holdTimeoutMs: config.approvalTimeoutMs }),
      audit,
      ...(config.admin === undefined ? {} : { admin: config.admin }),
    });
  } catch (error) {
    io.stderr.write(`toolgate serve: ${(error as Error).message}\n`);
    return undefined;
  }
}

function upstreamLabel(config: ServeConfig): string {
  return config.upstream.kind === "cmd" ? config.upstream.command : config.upstream.url.origin;
}

function openUpstream(config: ServeConfig, io: CommandIo): Transport {
  // Upstream answers (tool results, long lists) may legitimately exceed what an agent may send.
  const maxMessageBytes = Math.max(config.maxMessageBytes, config.maxBodyBytes) * 16;
  if (config.upstream.kind === "url") return new HttpClientTransport({ url: config.upstream.url, headers: config.upstreamHeaders, maxMessageBytes });
  return new ChildProcessTransport({
    command: config.upstream.command,
    args: config.upstream.args,
    env: Object.keys(config.upstreamEnv).length > 0 ? { ...io.env, ...config.upstreamEnv } : io.env,
    cwd: io.cwd,
    stderr: "inherit",
    maxMessageBytes,
  });
}

function flush(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => stream.write("", () => resolve()));
}

/** Stops reading stdin so the process can exit once the gateway is done. */
function releaseStdin(io: CommandIo): void {
  const stdin = io.stdin as NodeJS.ReadableStream & { destroy?: () => void };
  stdin.pause();
  if (stdin === process.stdin) stdin.destroy?.();
}

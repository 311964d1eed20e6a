/** `toolgate serve` flags: parsed strictly into one fully resolved `ServeConfig`. */
import { resolve } from "node:path";
import { isLoopbackHost } from "../../gateway/approvals/admin-server.js";
import { readAdminToken } from "../../gateway/approvals/admin-token.js";
import type { ApprovalMode } from "../../gateway/approvals/approval-gate.js";
import { DEFAULT_STORE_TIMEOUT_MS, type StoreSpec } from "../../gateway/approvals/serve-approvals.js";
import { DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_UPSTREAM_TIMEOUT_MS } from "../../gateway/gateway.js";
import { DEFAULT_DRAIN_TIMEOUT_MS, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_SESSIONS, DEFAULT_MAX_SESSIONS_PER_GRANT, DEFAULT_SESSION_IDLE_MS } from "../../gateway/http/http-front.js";
import { DEFAULT_UPSTREAM_SHARING, UPSTREAM_SHARING_MODES, type UpstreamSharing } from "../../gateway/http/upstream-sharing.js";
import { METRICS_TOKEN_SOURCE } from "../../gateway/http/metrics-access.js";
import { isLoopbackHostname } from "../../gateway/http/request-checks.js";
import { readSecretToken } from "../../gateway/secret-token.js";
import { DEFAULT_MAX_IN_FLIGHT } from "../../gateway/in-flight-budget.js";
import { isLogLevel, type LogLevel } from "../../gateway/logger.js";
import { DEFAULT_MAX_RECORDING_BYTES, DEFAULT_MAX_VALUE_CHARS, DEFAULT_RECORDINGS_KEPT, parseRedactList } from "../../gateway/recording.js";
import { parseRedisTarget } from "../../stores/redis/redis-target.js";
import { splitCommand } from "../../transports/split-command.js";
import { parseArgs, parseHostPort, UsageError, type FlagSpecs } from "../args.js";
import { parseUpstreamHeaders } from "../upstream-headers.js";
import { messageOf } from "../../core/errors.js";

const FLAGS: FlagSpecs = {
  config: { kind: "string" },
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
  "max-sessions-per-grant": { kind: "string" },
  "session-idle-ms": { kind: "string" },
  "upstream-sharing": { kind: "string" },
  "drain-timeout-ms": { kind: "string" },
  "log-level": { kind: "string" },
  audit: { kind: "string" },
  record: { kind: "string" },
  "record-redact": { kind: "string" },
  "record-max-value-chars": { kind: "string" },
  "record-max-bytes": { kind: "string" },
  "record-keep": { kind: "string" },
  "store-fail": { kind: "string" },
  "upstream-timeout-ms": { kind: "string" },
  "max-message-bytes": { kind: "string" },
  "max-in-flight": { kind: "string" },
  shadow: { kind: "boolean" },
  store: { kind: "string" },
  "store-timeout-ms": { kind: "string" },
  "metrics-token-file": { kind: "string" },
  "admin-listen": { kind: "string" },
  "admin-token-file": { kind: "string" },
  "approval-mode": { kind: "string" },
  "approval-timeout-ms": { kind: "string" },
  "approval-via-client": { kind: "boolean" },
  "console-show-args": { kind: "boolean" },
};

/** The grant of a stdio gateway when `--grant` is not given (stdio names its grant at start-up). */
export const DEFAULT_STDIO_GRANT = "stdio";

export interface ServeConfig {
  /** `--policy`; optional with `--grants` when every grant names its own policy. */
  readonly policyFile: string | undefined;
  /** `--upstream-cmd`, `--upstream-url`, or `--config FILE` (several servers, `gateway/stack/`). */
  readonly upstream:
    | { readonly kind: "cmd"; readonly command: string; readonly args: readonly string[] }
    | { readonly kind: "url"; readonly url: URL }
    | { readonly kind: "stack"; readonly configFile: string };
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
  /** `--max-sessions-per-grant`: sessions one grant may hold (at most `maxSessions`). */
  readonly maxSessionsPerGrant: number;
  /** `--session-idle-ms`: a session with no request, stream or call in flight this long is closed. */
  readonly sessionIdleMs: number;
  /** `--upstream-sharing`: which HTTP sessions share their grant's upstream connection. */
  readonly upstreamSharing: UpstreamSharing;
  readonly drainTimeoutMs: number;
  /** `--metrics-token-file` (or TOOLGATE_METRICS_TOKEN): the bearer token `/metrics` needs; with `--grants` and none, `/metrics` is off. */
  readonly metricsToken: string | undefined;
  readonly logLevel: LogLevel;
  readonly auditFile: string | undefined;
  /** `--record FILE` and its redaction, value cap and rotation. */
  readonly recording: { readonly file: string; readonly redact: readonly string[]; readonly maxValueChars: number; readonly maxFileBytes: number; readonly keep: number } | undefined;
  readonly storeFailMode: "closed" | "open";
  readonly upstreamTimeoutMs: number;
  readonly maxMessageBytes: number;
  /** `--max-in-flight`: requests one grant may have in flight across its connections. */
  readonly maxInFlight: number;
  readonly shadow: boolean;
  readonly store: StoreSpec;
  /** `--admin-listen` with its token (from `--admin-token-file` or TOOLGATE_ADMIN_TOKEN). */
  readonly admin: { readonly host: string; readonly port: number; readonly token: string } | undefined;
  readonly approvalMode: ApprovalMode;
  readonly approvalTimeoutMs: number | undefined;
  /** `--approval-via-client`: ask the person at the agent's client when it can (elicitation / input_required). */
  readonly approvalViaClient: boolean;
  /** `--console-show-args`: the console's approval queue shows argument values (redacted like `--record`). */
  readonly consoleShowArgs: boolean;
}

export function parseServeArgs(argv: readonly string[], cwd: string, env: Record<string, string | undefined> = process.env): ServeConfig {
  const { flags } = parseArgs(argv, FLAGS);
  const str = (name: string): string | undefined => flags[name] as string | undefined;
  const list = (name: string): string[] => (flags[name] as string[] | undefined) ?? [];
  const policy = str("policy");
  const grants = str("grants");
  const configFile = str("config");
  const cmd = str("upstream-cmd");
  const url = str("upstream-url");
  if (configFile !== undefined) {
    const clash = ["policy", "upstream-cmd", "upstream-url", "upstream-header", "upstream-env", "grants"].find((f) => flags[f] !== undefined);
    if (clash === "grants") throw new UsageError("flag `--grants` cannot be combined with `--config FILE`: write the grants in the config's `grants` (a list, or the path of a grants file)");
    if (clash !== undefined) throw new UsageError(`flag \`--${clash}\` cannot be combined with \`--config FILE\`: the config names each server and its policy`);
  } else if (policy === undefined && grants === undefined) throw new UsageError("flag `--policy FILE` (or `--config FILE`) is required");
  if (configFile === undefined && (cmd === undefined) === (url === undefined)) throw new UsageError("give exactly one of `--upstream-cmd \"CMD ARGS\"` and `--upstream-url URL`");
  let upstream: ServeConfig["upstream"];
  if (configFile !== undefined) upstream = { kind: "stack", configFile: resolve(cwd, configFile) };
  else if (cmd !== undefined) {
    let words: string[];
    try {
      words = splitCommand(cmd);
    } catch (error) {
      throw new UsageError(`flag \`--upstream-cmd\`: ${messageOf(error)}`);
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
  if (list("upstream-header").length > 0 && upstream.kind !== "url") throw new UsageError("flag `--upstream-header` applies to `--upstream-url`; for `--upstream-cmd` use `--upstream-env NAME=VALUE`");
  const upstreamHeaders = parseUpstreamHeaders(list("upstream-header"));
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
  if (flags["console-show-args"] === true && str("admin-listen") === undefined) throw new UsageError("flag `--console-show-args` needs `--admin-listen HOST:PORT` (the console is served there)");
  const httpOnly = ["allowed-origins", "max-body-bytes", "max-sessions", "max-sessions-per-grant", "session-idle-ms", "upstream-sharing", "drain-timeout-ms", "metrics-token-file"].filter((f) => flags[f] !== undefined);
  if (listen === undefined && httpOnly.length > 0) throw new UsageError(`flag \`--${httpOnly[0]}\` needs \`--listen HOST:PORT\``);
  const metricsTokenFile = str("metrics-token-file");
  const metricsToken = listen === undefined ? undefined : readSecretToken(METRICS_TOKEN_SOURCE, metricsTokenFile === undefined ? undefined : resolve(cwd, metricsTokenFile), env, false);
  if (metricsToken !== undefined && !metricsToken.ok) throw new UsageError(`flag \`--metrics-token-file\`: ${metricsToken.message}`);
  const logLevel = str("log-level") ?? "info";
  if (!isLogLevel(logLevel)) throw new UsageError(`flag \`--log-level\`: expected debug, info, warn or error, found \`${logLevel}\``);
  const origins = (str("allowed-origins") ?? "").split(",").map((o) => o.trim()).filter((o) => o !== "");
  for (const o of origins) {
    if (o !== "*" && !/^https?:\/\/[^/\s]+$/.test(o)) throw new UsageError(`flag \`--allowed-origins\`: expected origins like \`https://app.example.com\` (scheme and host, no path), found \`${o}\``);
  }
  const maxSessions = positiveInt(str("max-sessions"), "max-sessions", DEFAULT_MAX_SESSIONS);
  const perGrantText = str("max-sessions-per-grant");
  const maxSessionsPerGrant = positiveInt(perGrantText, "max-sessions-per-grant", Math.min(DEFAULT_MAX_SESSIONS_PER_GRANT, maxSessions));
  if (maxSessionsPerGrant > maxSessions) throw new UsageError(`flag \`--max-sessions-per-grant\`: found \`${perGrantText}\`, more than \`--max-sessions\` (${maxSessions}); expected at most ${maxSessions}`);
  const sharing = str("upstream-sharing") ?? DEFAULT_UPSTREAM_SHARING;
  if (!(UPSTREAM_SHARING_MODES as readonly string[]).includes(sharing)) throw new UsageError(`flag \`--upstream-sharing\`: expected ${UPSTREAM_SHARING_MODES.map((m) => `\`${m}\``).join(", ")}, found \`${sharing}\``);
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
    maxSessions,
    maxSessionsPerGrant,
    sessionIdleMs: positiveInt(str("session-idle-ms"), "session-idle-ms", DEFAULT_SESSION_IDLE_MS),
    upstreamSharing: sharing as UpstreamSharing,
    drainTimeoutMs: positiveInt(str("drain-timeout-ms"), "drain-timeout-ms", DEFAULT_DRAIN_TIMEOUT_MS),
    metricsToken: metricsToken?.ok ? metricsToken.token : undefined,
    logLevel,
    auditFile: str("audit") === undefined ? undefined : resolve(cwd, str("audit")!),
    recording: parseRecordingFlags(str, cwd),
    storeFailMode: storeFail,
    upstreamTimeoutMs: positiveInt(str("upstream-timeout-ms"), "upstream-timeout-ms", DEFAULT_UPSTREAM_TIMEOUT_MS),
    maxMessageBytes: positiveInt(str("max-message-bytes"), "max-message-bytes", DEFAULT_MAX_MESSAGE_BYTES),
    maxInFlight: positiveInt(str("max-in-flight"), "max-in-flight", DEFAULT_MAX_IN_FLIGHT),
    shadow: flags.shadow === true,
    approvalViaClient: flags["approval-via-client"] === true,
    consoleShowArgs: flags["console-show-args"] === true,
    ...parseApprovalFlags(str, cwd, env),
  };
}

/** `--store`, `--admin-listen`, `--admin-token-file`, `--approval-mode`, `--approval-timeout-ms`. */
function parseApprovalFlags(str: (name: string) => string | undefined, cwd: string, env: Record<string, string | undefined>): Pick<ServeConfig, "store" | "admin" | "approvalMode" | "approvalTimeoutMs"> {
  const storeText = str("store") ?? "memory";
  let store: StoreSpec;
  if (storeText === "memory") store = { kind: "memory" };
  else {
    const target = parseRedisTarget(storeText);
    if (!target.ok) throw new UsageError(`flag \`--store\`: ${target.message}`);
    store = { kind: "redis", url: storeText, commandTimeoutMs: positiveInt(str("store-timeout-ms"), "store-timeout-ms", DEFAULT_STORE_TIMEOUT_MS) };
  }
  if (store.kind === "memory" && str("store-timeout-ms") !== undefined) throw new UsageError("flag `--store-timeout-ms` applies to `--store redis://…`");
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

function parseRecordingFlags(str: (name: string) => string | undefined, cwd: string): ServeConfig["recording"] {
  const file = str("record");
  const dependent = ["record-redact", "record-max-value-chars", "record-max-bytes", "record-keep"].filter((f) => str(f) !== undefined);
  if (file === undefined) {
    if (dependent.length > 0) throw new UsageError(`flag \`--${dependent[0]}\` needs \`--record FILE\``);
    return undefined;
  }
  const redact = parseRedactList(str("record-redact") ?? "");
  for (const p of redact) if (!/^[A-Za-z0-9_*.-]+$/.test(p)) throw new UsageError(`flag \`--record-redact\`: found the pattern \`${p}\`, expected key names made of letters, digits, \`_\`, \`-\`, \`.\` and \`*\`, comma-separated`);
  return {
    file: resolve(cwd, file),
    redact,
    maxValueChars: positiveInt(str("record-max-value-chars"), "record-max-value-chars", DEFAULT_MAX_VALUE_CHARS),
    maxFileBytes: positiveInt(str("record-max-bytes"), "record-max-bytes", DEFAULT_MAX_RECORDING_BYTES),
    keep: positiveInt(str("record-keep"), "record-keep", DEFAULT_RECORDINGS_KEPT),
  };
}

export function positiveInt(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`flag \`--${flag}\`: expected a whole number ≥ 1, found \`${value}\``);
  return n;
}


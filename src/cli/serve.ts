/**
 * `toolgate serve`: the gateway on stdio. The agent talks to this process's stdin/stdout; the
 * upstream is a child process (`--upstream-cmd`, split like a shell would but spawned without
 * one, its stderr inherited) or a Streamable HTTP server (`--upstream-url`). Logs are JSON lines
 * on stderr. Exit code: 0 when the agent hung up, 1 for an invalid policy or when the upstream
 * went away (every pending call has been answered with an error first), 2 for usage errors.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { processClock } from "../core/clock.js";
import { formatIssues } from "../core/errors.js";
import { createAuditFileWriter, type AuditFileWriter } from "../gateway/audit-log.js";
import { createGateway, DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_UPSTREAM_TIMEOUT_MS } from "../gateway/gateway.js";
import { parsePolicyText } from "../policy/load-policy.js";
import type { Transport } from "../protocol/transport.js";
import { MemoryCounterStore } from "../stores/memory-counter-store.js";
import { HttpClientTransport } from "../transports/http-client-transport.js";
import { splitCommand } from "../transports/split-command.js";
import { ChildProcessTransport, StdioTransport } from "../transports/stdio-transport.js";
import { parseArgs, UsageError, type CommandIo, type CommandRun, type FlagSpecs } from "./args.js";

const FLAGS: FlagSpecs = {
  policy: { kind: "string" },
  "upstream-cmd": { kind: "string" },
  "upstream-url": { kind: "string" },
  grant: { kind: "string" },
  audit: { kind: "string" },
  "store-fail": { kind: "string" },
  "upstream-timeout-ms": { kind: "string" },
  "max-message-bytes": { kind: "string" },
  shadow: { kind: "boolean" },
};

/** The grant of a stdio gateway when `--grant` is not given (stdio names its grant at start-up). */
export const DEFAULT_STDIO_GRANT = "stdio";

export interface ServeConfig {
  readonly policyFile: string;
  readonly upstream: { readonly kind: "cmd"; readonly command: string; readonly args: readonly string[] } | { readonly kind: "url"; readonly url: URL };
  readonly grantId: string;
  readonly auditFile: string | undefined;
  readonly storeFailMode: "closed" | "open";
  readonly upstreamTimeoutMs: number;
  readonly maxMessageBytes: number;
  readonly shadow: boolean;
}

export function parseServeArgs(argv: readonly string[], cwd: string): ServeConfig {
  const { flags } = parseArgs(argv, FLAGS);
  const str = (name: string): string | undefined => flags[name] as string | undefined;
  const policy = str("policy");
  if (policy === undefined) throw new UsageError("flag `--policy FILE` is required");
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
  const storeFail = str("store-fail") ?? "closed";
  if (storeFail !== "closed" && storeFail !== "open") throw new UsageError(`flag \`--store-fail\`: expected \`closed\` or \`open\`, found \`${storeFail}\``);
  const grant = str("grant") ?? DEFAULT_STDIO_GRANT;
  if (grant === "") throw new UsageError("flag `--grant` must not be empty");
  return {
    policyFile: resolve(cwd, policy),
    upstream,
    grantId: grant,
    auditFile: str("audit") === undefined ? undefined : resolve(cwd, str("audit")!),
    storeFailMode: storeFail,
    upstreamTimeoutMs: positiveInt(str("upstream-timeout-ms"), "upstream-timeout-ms", DEFAULT_UPSTREAM_TIMEOUT_MS),
    maxMessageBytes: positiveInt(str("max-message-bytes"), "max-message-bytes", DEFAULT_MAX_MESSAGE_BYTES),
    shadow: flags.shadow === true,
  };
}

function positiveInt(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`flag \`--${flag}\`: expected a whole number ≥ 1, found \`${value}\``);
  return n;
}

export const run: CommandRun = async (argv, io) => {
  const config = parseServeArgs(argv, io.cwd);
  const clock = processClock(io.env);
  const log = (line: object): void => {
    io.stderr.write(`${JSON.stringify({ time: new Date(clock.nowMs()).toISOString(), source: "toolgate", ...line })}\n`);
  };

  let text: string;
  try {
    text = readFileSync(config.policyFile, "utf8");
  } catch (error) {
    io.stderr.write(`${config.policyFile}: (root): cannot read the policy file: ${(error as Error).message}\n`);
    return 1;
  }
  const parsed = parsePolicyText(text);
  if (!parsed.ok) {
    io.stderr.write(`${formatIssues(config.policyFile, parsed.issues)}\n`);
    return 1;
  }

  const audit: AuditFileWriter | undefined = config.auditFile
    ? createAuditFileWriter(config.auditFile, (error) => log({ level: "error", event: "audit_write_failed", message: error.message }))
    : undefined;
  const upstream = openUpstream(config, io);
  const downstream = new StdioTransport({ readable: io.stdin, writable: io.stdout, maxMessageBytes: config.maxMessageBytes, endWritableOnClose: false });
  const store = new MemoryCounterStore({ clock });
  const gateway = createGateway({
    policy: parsed.value,
    grantId: config.grantId,
    clock,
    store,
    upstream,
    downstream,
    audit: audit?.write,
    upstreamTimeoutMs: config.upstreamTimeoutMs,
    maxMessageBytes: config.maxMessageBytes,
    logger: log,
    storeFailMode: config.storeFailMode,
    shadow: config.shadow,
  });

  const stopOnSignal = (): void => void gateway.close();
  process.once("SIGTERM", stopOnSignal);
  process.once("SIGINT", stopOnSignal);
  log({ level: "info", event: "started", policyVersion: parsed.value.version, grant: config.grantId, upstream: config.upstream.kind === "cmd" ? config.upstream.command : config.upstream.url.origin });
  await gateway.start();
  const closed = await gateway.closed;
  process.off("SIGTERM", stopOnSignal);
  process.off("SIGINT", stopOnSignal);

  if (upstream instanceof ChildProcessTransport) {
    const exit = upstream.exitStatus;
    if (exit && closed.exitCode !== 0) {
      log({ level: "error", event: "upstream_exited", code: exit.code, signal: exit.signal, message: exit.error ? `the upstream command could not run: ${exit.error.message}` : `the upstream command exited (code ${exit.code ?? "none"}, signal ${exit.signal ?? "none"})` });
    }
  }
  log({ level: closed.exitCode === 0 ? "info" : "error", event: "stopped", reason: closed.reason, exitCode: closed.exitCode });
  await audit?.close();
  await store.close();
  await flush(io.stdout);
  releaseStdin(io);
  return closed.exitCode;
};

function openUpstream(config: ServeConfig, io: CommandIo): Transport {
  if (config.upstream.kind === "url") return new HttpClientTransport({ url: config.upstream.url, maxMessageBytes: config.maxMessageBytes * 16 });
  return new ChildProcessTransport({
    command: config.upstream.command,
    args: config.upstream.args,
    env: io.env,
    cwd: io.cwd,
    stderr: "inherit",
    // Upstream answers (tool results, long lists) may legitimately exceed what an agent may send.
    maxMessageBytes: config.maxMessageBytes * 16,
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

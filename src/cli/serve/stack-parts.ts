/**
 * What `serve --config` needs on stdio (`serve-stack.ts`) and over HTTP (`http-stack-plan.ts`)
 * alike: the config loaded (issues on stderr), each server's connection, the stack upstream over
 * them, the console's view of the servers, and the policy files watched per (grant, server).
 */
import type { Clock } from "../../core/clock.js";
import type { ConsoleServer } from "../../gateway/console/console-api.js";
import { probeUpstream } from "../../gateway/console/upstream-probe.js";
import type { Logger } from "../../gateway/logger.js";
import { watchPolicyFiles, type PolicySetWatcher, type WatchedPolicyFile } from "../../gateway/reload.js";
import { formatConfigIssues, loadStackConfigFile, type StackConfig, type StackServer } from "../../gateway/stack/stack-config.js";
import type { StackNaming } from "../../gateway/stack/stack-naming.js";
import { splitTarget, type StackPolicies } from "../../gateway/stack/stack-policies.js";
import { StackUpstream } from "../../gateway/stack/stack-upstream.js";
import { TOOLGATE_CLIENT_INFO } from "../../protocol/era-translation.js";
import type { Transport } from "../../protocol/transport.js";
import { HttpClientTransport } from "../../transports/http-client-transport.js";
import { ChildProcessTransport } from "../../transports/stdio-transport.js";
import type { CommandIo } from "../args.js";
import type { ServeConfig } from "./serve-config.js";
import { serverMessageLimit } from "./serve-shared.js";

export function loadStack(configFile: string, io: CommandIo): StackConfig | undefined {
  const loaded = loadStackConfigFile(configFile);
  if (loaded.ok) return loaded.value;
  io.stderr.write(`${formatConfigIssues(loaded.issues)}\n`);
  return undefined;
}

export function openServer(server: StackServer, io: CommandIo, maxMessageBytes: number): Transport {
  const t = server.transport;
  if (t.kind === "url") return new HttpClientTransport({ url: t.url, headers: { ...t.headers }, maxMessageBytes });
  return new ChildProcessTransport({ command: t.command, args: [...t.args], env: { ...io.env, ...t.env }, cwd: t.cwd, stderr: "inherit", maxMessageBytes });
}

/** The stack upstream over the config's servers (`only` those named, when given: a grant's own). */
export function openStack(stack: StackConfig, naming: StackNaming, config: ServeConfig, io: CommandIo, clock: Clock, logger: Logger, only?: readonly string[]): StackUpstream {
  const maxMessageBytes = serverMessageLimit(config);
  return new StackUpstream({
    servers: stack.servers.filter((s) => only === undefined || only.includes(s.name)).map((server) => ({ name: server.name, open: () => openServer(server, io, maxMessageBytes), ...(server.timeoutMs !== undefined ? { timeoutMs: server.timeoutMs } : {}), onStartFailure: server.onStartFailure })),
    naming,
    clock,
    probeTimeoutMs: config.upstreamTimeoutMs,
    log: logger.line,
    serverInfo: { name: "toolgate", version: String(TOOLGATE_CLIENT_INFO.version) },
  });
}

/** The servers as the console lists and probes them. */
export function consoleServers(stack: StackConfig, config: ServeConfig, io: CommandIo, clock: Clock): ConsoleServer[] {
  const maxMessageBytes = serverMessageLimit(config);
  return stack.servers.map((server) => ({ name: server.name, label: server.name, probe: () => probeUpstream(() => openServer(server, io, maxMessageBytes), clock) }));
}

/** The policy files as the console's editor shows them: each with the grants that use it. */
export function consoleSources(policies: StackPolicies): WatchedPolicyFile[] {
  return policies.sources.map((s) => ({ ...s, grantIds: [...new Set(s.grantIds.map((t) => splitTarget(t).grantId))] }));
}

/** One watcher per policy file; a reload replaces that file's policy for every (grant, server) using it, counters kept. */
export function watchStackPolicies(policies: StackPolicies, logger: Logger): PolicySetWatcher {
  // Debounced on the real clock: a file's writes settle in real time, whatever time the gateway decides on.
  return watchPolicyFiles(policies.sources, { apply: (targets, next) => policies.apply(targets, next), log: logger.line });
}

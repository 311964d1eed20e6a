/**
 * `serve --config FILE --listen HOST:PORT`: a stack of servers over Streamable HTTP. Bearer tokens
 * come from the config's `grants` (each with its servers and policies); without them every request
 * is one grant (`--grant`) on every server, refused off loopback as for a single upstream.
 *
 * The servers run once for the whole gateway: one stack upstream, started and handshaken at
 * start-up (so a server whose `onStartFailure` is `fail` stops the gateway before it listens, and
 * `/health` shows real states from the first request), shared by every session that shares
 * (`--upstream-sharing`, as for one upstream); a session that does not share gets a stack of its
 * own, closed with it. What one grant may use is decided by its policies (`stack-policies.ts`),
 * not by separate connections, so servers that keep per-connection state see every grant's
 * sessions on the shared connection: use `--upstream-sharing per-session` for those.
 */
import type { Clock } from "../../core/clock.js";
import { messageOf } from "../../core/errors.js";
import { ActivityHub } from "../../gateway/console/activity-hub.js";
import { GrantTable } from "../../gateway/grants.js";
import type { Logger } from "../../gateway/logger.js";
import type { ReadinessCheck } from "../../gateway/readiness.js";
import { NO_SERVER } from "../../gateway/server-naming.js";
import type { ServerStatus } from "../../gateway/server-status.js";
import { SharedUpstream } from "../../gateway/shared-upstream.js";
import type { StackConfig } from "../../gateway/stack/stack-config.js";
import { StackNaming } from "../../gateway/stack/stack-naming.js";
import { everyServer, stackPolicies } from "../../gateway/stack/stack-policies.js";
import type { StackUpstream } from "../../gateway/stack/stack-upstream.js";
import { LATEST_LEGACY_REVISION, TOOLGATE_CLIENT_INFO } from "../../protocol/era-translation.js";
import { isJsonObject, type JsonRpcMessage } from "../../protocol/messages.js";
import type { Transport } from "../../protocol/transport.js";
import type { CommandIo } from "../args.js";
import type { HttpPlan } from "./http-plan.js";
import type { ServeConfig } from "./serve-config.js";
import { bearerGrants, oneGrant } from "./serve-shared.js";
import { consoleServers, consoleSources, loadStack, openStack } from "./stack-parts.js";

/** The plan, or the exit code after saying on stderr why there is none. */
export async function stackPlan(config: ServeConfig, configFile: string, io: CommandIo, clock: Clock, logger: Logger): Promise<HttpPlan | number> {
  const stack = loadStack(configFile, io);
  if (!stack) return 1;
  const policies = stackPolicies(stack, stack.grants ?? [everyServer(stack, config.grantId)]);
  const authenticate = stack.grants === undefined ? oneGrant(config.grantId) : bearerGrants(new GrantTable(stack.grants), config, io);
  if (typeof authenticate === "number") return authenticate;
  const naming = new StackNaming(stack.servers.map((s) => s.name), stack.separator);
  const main = openStack(stack, naming, config, io, clock, logger);
  const shared = new SharedUpstream({ upstream: main, log: logger.line });
  const failed = await handshake(shared, clock, config.upstreamTimeoutMs);
  if (shared.isClosed) {
    io.stderr.write(`${stack.file}: servers: the gateway cannot serve: ${failed ?? "the servers' connection closed"}\n`);
    await shared.close();
    return 1;
  }
  if (failed !== undefined) logger.warn("no server is ready yet; serving, and retrying them", { event: "stack_not_ready", reason: failed, servers: main.status() });
  // Stacks of sessions that do not share: each closes with its session's gateway.
  const own = new Set<StackUpstream>();
  const ownStack = (): Transport => {
    for (const s of own) if (s.isClosed) own.delete(s);
    const stackOfItsOwn = openStack(stack, naming, config, io, clock, logger);
    own.add(stackOfItsOwn);
    return stackOfItsOwn;
  };
  return {
    policies: policies.table,
    sources: policies.sources,
    apply: (targets, next) => policies.apply(targets, next),
    authenticate,
    hasGrants: stack.grants !== undefined,
    upstreamFor: (_grantId, shares) => (shares ? shared.lane() : ownStack()),
    naming,
    bridgeEras: false,
    upstreamCheck: stackReadiness(stack, () => main.status()),
    servers: () => main.status(),
    hub: new ActivityHub((tool) => naming.split("tool", tool)?.server ?? NO_SERVER),
    console: { sources: consoleSources(policies), servers: consoleServers(stack, config, io, clock) },
    label: stack.file,
    close: async () => {
      await Promise.allSettled([shared.close(), ...[...own].map((s) => s.close())]);
    },
  };
}

/**
 * The stack's handshake at start-up, as the shared connection's first lane: undefined when it was
 * answered, else why not. A `fail` server that did not start closes the stack (`shared.isClosed`).
 */
async function handshake(shared: SharedUpstream, clock: Clock, timeoutMs: number): Promise<string | undefined> {
  const lane = shared.lane();
  let timer: { cancel(): void } | undefined;
  const answered = new Promise<JsonRpcMessage | string>((resolve) => {
    lane.onmessage = (message) => {
      if ("id" in message && message.id === 0 && !("method" in message)) resolve(message);
    };
    lane.onclose = () => resolve("the servers' connection closed");
    timer = clock.setTimer(() => resolve(`the servers did not answer the handshake within ${timeoutMs} ms`), timeoutMs);
  });
  try {
    await lane.start();
    await lane.send({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: LATEST_LEGACY_REVISION, capabilities: {}, clientInfo: { ...TOOLGATE_CLIENT_INFO } } });
  } catch (error) {
    timer?.cancel();
    return messageOf(error);
  }
  const answer = await answered;
  timer?.cancel();
  if (typeof answer === "string") return answer;
  if ("error" in answer && isJsonObject(answer.error)) return String(answer.error.message);
  await lane.send({ jsonrpc: "2.0", method: "notifications/initialized" }).catch(() => undefined);
  await lane.close();
  return undefined;
}

/** Ready while at least one server is, and every server the config says the gateway needs (`onStartFailure: fail`) is. */
function stackReadiness(stack: StackConfig, status: () => readonly ServerStatus[]): ReadinessCheck {
  return async () => {
    const now = status();
    const needed = now.filter((s) => s.state !== "ready" && stack.servers.find((c) => c.name === s.name)?.onStartFailure === "fail");
    if (needed.length > 0) return `needed server${needed.length > 1 ? "s" : ""} not ready: ${needed.map(describe).join("; ")}`;
    if (!now.some((s) => s.state === "ready")) return `no server is ready: ${now.map(describe).join("; ")}`;
    return undefined;
  };
}

const describe = (s: ServerStatus): string => `\`${s.name}\` ${s.state}${s.lastError !== undefined ? ` (${s.lastError})` : ""}`;

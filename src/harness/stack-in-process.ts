/**
 * A scenario's stack in process (`servers`): per agent a `StackUpstream` whose simulator member is
 * a fresh connection to the world's Kommo MCP server and whose other members are child processes,
 * the policies by server (each with the stack's limits, the stack's default for names no server
 * has), and the naming the gateway splits exposed names with. A child's requests in flight hold
 * the driven clock (`waitForOutside`), so virtual time never moves past an answer still on its way.
 */
import { GatewayError } from "../core/errors.js";
import { NO_SERVER } from "../gateway/server-naming.js";
import type { PolicySource } from "../gateway/policy-source.js";
import type { StackConfig, StackServer } from "../gateway/stack/stack-config.js";
import { StackNaming } from "../gateway/stack/stack-naming.js";
import { StackUpstream } from "../gateway/stack/stack-upstream.js";
import type { CompiledPolicy } from "../policy/load-policy.js";
import { withStackLimits } from "../policy/stack-limits.js";
import type { JsonRpcMessage } from "../protocol/messages.js";
import type { Transport } from "../protocol/transport.js";
import { ChildProcessTransport } from "../transports/stdio-transport.js";
import type { DrivenClock } from "./driven-clock.js";
import { TMP_PLACEHOLDER } from "./scenario-servers-schema.js";
import type { ScenarioStack } from "./scenario-stack.js";

/** Each server's policy with the stack's limits, whatever the grant; the stack's default for names no server has. */
export class StackPolicies implements PolicySource {
  private readonly byServer: ReadonlyMap<string, CompiledPolicy>;

  constructor(config: StackConfig) {
    this.byServer = new Map([...config.servers.map((s) => [s.name, withStackLimits(s.policy, config.stackLimits)] as const), [NO_SERVER, config.stackPolicy]]);
  }

  get(_grantId: string | undefined, server?: string): CompiledPolicy | undefined {
    return server === undefined ? undefined : this.byServer.get(server);
  }
}

export function stackNaming(stack: ScenarioStack): StackNaming {
  return new StackNaming(stack.config.servers.map((s) => s.name), stack.config.separator);
}

/** `{tmp}` in a command server's args and env values → the run's own directory. */
export function withTmp(server: StackServer, tmpDir: string): { command: string; args: string[]; env: Record<string, string>; cwd: string } {
  const t = server.transport;
  if (t.kind !== "cmd") throw new GatewayError("INTERNAL", `server \`${server.name}\` is not a command`);
  const fill = (v: string): string => v.replaceAll(TMP_PLACEHOLDER, tmpDir);
  return { command: t.command, args: t.args.map(fill), env: Object.fromEntries(Object.entries(t.env).map(([k, v]) => [k, fill(v)])), cwd: t.cwd };
}

/** A child's transport that knows its requests in flight and tells the driven clock to wait for them. */
class OutsideTransport implements Transport {
  onmessage?: ((message: JsonRpcMessage) => void) | undefined;
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  private readonly inFlight = new Set<unknown>();
  private wake: (() => void) | undefined;
  private next: Promise<void> | undefined;
  private readonly stopWaiting: () => void;

  constructor(
    private readonly inner: Transport,
    clock: DrivenClock,
    private readonly bump: () => void,
  ) {
    this.stopWaiting = clock.waitForOutside(() => (this.inFlight.size === 0 ? undefined : (this.next ??= new Promise((resolve) => (this.wake = resolve)))));
    inner.onmessage = (message) => {
      if (!("method" in message) && "id" in message) this.inFlight.delete(message.id);
      this.bump();
      this.woken();
      this.onmessage?.(message);
    };
    inner.onclose = () => {
      this.inFlight.clear();
      this.stopWaiting();
      this.woken();
      this.onclose?.();
    };
    inner.onerror = (error) => this.onerror?.(error);
  }

  start(): Promise<void> {
    return this.inner.start();
  }

  send(message: JsonRpcMessage): Promise<void> {
    if ("method" in message && "id" in message && message.id !== undefined) this.inFlight.add(message.id);
    this.bump();
    return this.inner.send(message);
  }

  close(): Promise<void> {
    this.stopWaiting();
    return this.inner.close();
  }

  private woken(): void {
    const wake = this.wake;
    this.wake = undefined;
    this.next = undefined;
    wake?.();
  }
}

export interface StackUpstreamInput {
  readonly stack: ScenarioStack;
  readonly naming: StackNaming;
  readonly clock: DrivenClock;
  /** A fresh connection to the world's Kommo MCP server. */
  readonly openSimulator: () => Transport;
  readonly tmpDir: string;
  readonly env: Record<string, string | undefined>;
  readonly onActivity: () => void;
  readonly upstreamTimeoutMs: number;
}

export function scenarioStackUpstream(input: StackUpstreamInput): StackUpstream {
  const { stack, clock } = input;
  const open = (server: StackServer): Transport => {
    if (server.name === stack.simulator) return input.openSimulator();
    const spec = withTmp(server, input.tmpDir);
    const child = new ChildProcessTransport({ command: spec.command, args: spec.args, env: { ...input.env, ...spec.env }, cwd: spec.cwd, stderr: "ignore" });
    return new OutsideTransport(child, clock, input.onActivity);
  };
  return new StackUpstream({
    servers: stack.config.servers.map((server) => ({ name: server.name, open: () => open(server), ...(server.timeoutMs !== undefined ? { timeoutMs: server.timeoutMs } : {}), onStartFailure: server.onStartFailure })),
    naming: input.naming,
    clock,
    probeTimeoutMs: input.upstreamTimeoutMs,
    log: () => undefined,
    serverInfo: { name: "toolgate-harness", version: "0.1.0" },
  });
}

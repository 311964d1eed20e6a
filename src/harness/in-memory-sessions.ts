/**
 * The agents' sessions in process: per agent an SDK 1.x `Client` → in-memory transport → a gateway
 * (from a `GatewayFactory`) → in-memory transport → the world's Kommo MCP server. Every message
 * counts as activity on the driven clock, so the runner knows the world is still moving.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { GatewayError } from "../core/errors.js";
import type { JsonRpcMessage } from "../protocol/messages.js";
import type { Transport } from "../protocol/transport.js";
import { createLinkedPair } from "../transports/in-memory.js";
import { sdkCallFn, type CallFn } from "./agents.js";
import type { DrivenClock } from "./driven-clock.js";
import type { GatewayFactory, GatewayUnderTest } from "./gateway-factory.js";
import type { Agent } from "./scenario-schema.js";
import type { ScenarioWorld } from "./scenario-world.js";
import type { ScenarioStack } from "./scenario-stack.js";
import { scenarioStackUpstream, stackNaming, StackPolicies } from "./stack-in-process.js";
import { DEFAULT_UPSTREAM_TIMEOUT_MS } from "../gateway/gateway-options.js";

/** A transport wrapper that reports each message as activity (so the runner knows the world moved). */
function counted(transport: Transport, bump: () => void): Transport {
  const wrapper: Transport = {
    start: () => transport.start(),
    send: (message: JsonRpcMessage) => {
      bump();
      return transport.send(message);
    },
    close: () => transport.close(),
  };
  transport.onmessage = (message) => {
    bump();
    wrapper.onmessage?.(message);
  };
  transport.onclose = () => wrapper.onclose?.();
  transport.onerror = (error) => wrapper.onerror?.(error);
  return wrapper;
}

export interface SessionOptions {
  readonly clock: DrivenClock;
  readonly factory: GatewayFactory;
  readonly onActivity: () => void;
  /** A scenario with `servers`: each agent's gateway fronts a stack (stack-in-process.ts). */
  readonly stack?: { readonly scenarioStack: ScenarioStack; readonly tmpDir: string; readonly env: Record<string, string | undefined> };
}

export class InMemorySessions {
  private readonly gateways: GatewayUnderTest[] = [];
  private readonly clients: Client[] = [];
  private readonly callFns = new Map<string, CallFn>();

  constructor(
    private readonly world: ScenarioWorld,
    private readonly options: SessionOptions,
  ) {}

  /** Starts the agent's gateway and connects its client (the handshake runs on the driven clock). */
  async connect(agent: Agent): Promise<void> {
    const { clock, factory, onActivity } = this.options;
    const { world } = this;
    const gatewaySettings = world.spec.gateway;
    const [agentSide, gatewayDown] = createLinkedPair();
    const openSimulator = (): Transport => {
      const [gatewayUp, serverSide] = createLinkedPair();
      // The server side queues what arrives until the server has started it.
      void world.kommo.connect(counted(serverSide, onActivity) as never);
      return counted(gatewayUp, onActivity);
    };
    const stack = this.options.stack;
    const naming = stack === undefined ? undefined : stackNaming(stack.scenarioStack);
    const upstream =
      stack === undefined || naming === undefined
        ? openSimulator()
        : scenarioStackUpstream({ stack: stack.scenarioStack, naming, clock, openSimulator, tmpDir: stack.tmpDir, env: stack.env, onActivity, upstreamTimeoutMs: gatewaySettings.upstreamTimeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS });
    const gateway = factory({
      policies: stack === undefined ? world.policy : new StackPolicies(stack.scenarioStack.config),
      ...(naming !== undefined ? { naming, bridgeEras: false } : {}),
      ...(agent.grant !== undefined ? { grantId: agent.grant } : {}),
      sessionKey: agent.session ?? agent.name,
      clock,
      store: world.store,
      upstream,
      downstream: counted(gatewayDown, onActivity),
      audit: world.recordAudit,
      approvals: world.approvals,
      ...(gatewaySettings.shadow === true ? { shadow: true } : {}),
      ...(gatewaySettings.upstreamTimeoutMs !== undefined ? { upstreamTimeoutMs: gatewaySettings.upstreamTimeoutMs } : {}),
      ...(gatewaySettings.maxMessageBytes !== undefined ? { maxMessageBytes: gatewaySettings.maxMessageBytes } : {}),
    });
    this.gateways.push(gateway);
    await gateway.start();
    const client = new Client({ name: `toolgate-harness-${agent.name}`, version: "0.1.0" });
    const connecting = client.connect(counted(agentSide, onActivity) as never);
    await clock.drain();
    await connecting;
    this.clients.push(client);
    this.callFns.set(agent.name, sdkCallFn(client));
  }

  /** How the agent issues calls; the agent must have been connected. */
  callFn(agent: string): CallFn {
    const call = this.callFns.get(agent);
    if (call === undefined) throw new GatewayError("INTERNAL", `found no session for agent \`${agent}\`, expected it connected before its steps run`);
    return call;
  }

  /** Closes the clients, then the gateways (errors ignored). */
  async close(): Promise<void> {
    for (const client of this.clients) await client.close().catch(() => undefined);
    for (const gateway of this.gateways) await gateway.close().catch(() => undefined);
  }
}

/**
 * How the harness gets a gateway for one agent. The built-in factory is `createGateway`; tests plug
 * in deliberately broken gateways (`test/fixtures/broken-gateways/`) to prove the harness notices.
 */
import type { Clock } from "../core/clock.js";
import { createGateway } from "../gateway/gateway.js";
import type { ApprovalGate } from "../gateway/approvals/approval-gate.js";
import type { AuditRecord } from "../gateway/audit-log.js";
import type { PolicySource } from "../gateway/policy-source.js";
import type { ServerNaming } from "../gateway/server-naming.js";
import type { Transport } from "../protocol/transport.js";
import type { CounterStore } from "../stores/counter-store.js";

export interface GatewayFactoryInput {
  /** The scenario's policy, read on every decision (a reload event replaces it in place). */
  readonly policies: PolicySource;
  readonly grantId?: string;
  readonly sessionKey: string;
  readonly clock: Clock;
  /** Shared by every agent's gateway in the scenario. */
  readonly store: CounterStore;
  readonly upstream: Transport;
  readonly downstream: Transport;
  readonly audit: (record: AuditRecord) => void;
  readonly upstreamTimeoutMs?: number;
  readonly maxMessageBytes?: number;
  /** Pending approvals: one gate on the scenario's clock, shared by every agent's gateway (the runner decides through it). */
  readonly approvals: ApprovalGate;
  /** Global shadow mode (`gateway.shadow`). */
  readonly shadow?: boolean;
  /** A scenario with `servers`: how exposed names split into (server, name); the upstream is then a stack. */
  readonly naming?: ServerNaming;
  /** False in front of a stack: each of its servers has its own era bridge. */
  readonly bridgeEras?: boolean;
}

export interface GatewayUnderTest {
  start(): Promise<void>;
  close(): Promise<void>;
}

export type GatewayFactory = (input: GatewayFactoryInput) => GatewayUnderTest;

export const builtInGateway: GatewayFactory = (input) => createGateway({ ...input });

/**
 * The world a scenario runs in: the fake Kommo REST API (seeded, rate-limited, with the scenario's
 * faults), the simulated Kommo MCP server over it, one counter store (recorded for the report), one
 * approval store and gate, and the policy every gateway reads. `worldSpec` is the same world as
 * data — seed, policy text, Kommo and gateway settings — for a runner that starts processes
 * instead; `createScenarioWorld` builds it in process on one clock.
 */
import type { Clock } from "../core/clock.js";
import { formatIssues } from "../core/errors.js";
import { ApprovalGate } from "../gateway/approvals/approval-gate.js";
import type { ApprovalAuditRecord } from "../gateway/approvals/approval-audit.js";
import type { AuditRecord } from "../gateway/audit-log.js";
import { SharedPolicy } from "../gateway/policy-source.js";
import { loadCrmSeedFile, loadDefaultSeed, parseCrmSeed, type CrmSeed } from "../kommo/crm/seed.js";
import { createKommoMcpServer, type KommoMcpServer } from "../kommo/mcp-server.js";
import { createFakeKommo, type FakeKommo, type FaultSpec } from "../kommo/rest-api/fake-kommo.js";
import type { CompiledPolicy } from "../policy/load-policy.js";
import { MemoryApprovalStore } from "../stores/memory-approval-store.js";
import { MemoryCounterStore } from "../stores/memory-counter-store.js";
import type { LoadedScenario } from "./load-scenario.js";
import { RecordingCounterStore } from "./recording-store.js";
import type { Fault, Scenario } from "./scenario-schema.js";

export type KommoSettings = NonNullable<Scenario["kommo"]>;
export type GatewaySettings = NonNullable<Scenario["gateway"]>;

/** Everything a scenario's world is built from. */
export interface WorldSpec {
  /** Epoch ms of virtual time 0. */
  readonly startMs: number;
  /** The CRM the fake Kommo starts with: the seed file or the default, with `crm.overrides` applied. */
  readonly seed: CrmSeed;
  /** The policy in force at time 0, as the file wrote it (or the inline JSON) … */
  readonly policyText: string;
  /** … and compiled. */
  readonly policy: CompiledPolicy;
  /** Rate limit, schema, write confirmation, faults from time 0. */
  readonly kommo: KommoSettings;
  /** Timeouts, message size, approval mode, shadow mode. */
  readonly gateway: GatewaySettings;
}

/** The scenario's CRM seed: the seed file or the default, with top-level overrides applied. */
export function scenarioSeed(loaded: LoadedScenario): { ok: true; seed: CrmSeed } | { ok: false; message: string } {
  const base = loaded.seedFile ? loadCrmSeedFile(loaded.seedFile) : loadDefaultSeed();
  const overrides = loaded.scenario.crm?.overrides;
  if (!overrides) return { ok: true, seed: base };
  const parsed = parseCrmSeed({ ...base, ...overrides }, loaded.file);
  if (parsed.ok) return { ok: true, seed: parsed.value };
  return { ok: false, message: `crm.overrides: the merged seed is invalid:\n${formatIssues(loaded.file, parsed.issues)}` };
}

export function worldSpec(loaded: LoadedScenario): { ok: true; spec: WorldSpec } | { ok: false; message: string } {
  const seed = scenarioSeed(loaded);
  if (!seed.ok) return seed;
  const { scenario } = loaded;
  return {
    ok: true,
    spec: { startMs: loaded.startMs, seed: seed.seed, policyText: loaded.policy.text, policy: loaded.compiledPolicy, kommo: scenario.kommo ?? {}, gateway: scenario.gateway ?? {} },
  };
}

/** A scenario fault as the fake Kommo's fault injector takes it. */
export function faultSpec(fault: Fault): FaultSpec {
  return {
    ...(fault.status !== undefined ? { status: fault.status } : {}),
    ...(fault.latencyMs !== undefined ? { latencyMs: fault.latencyMs } : {}),
    ...(fault.answerLatencyMs !== undefined ? { answerLatencyMs: fault.answerLatencyMs } : {}),
    ...(fault.timeout === true ? { timeout: true as const } : {}),
    ...(fault.times !== undefined ? { times: fault.times } : {}),
  };
}

export interface ScenarioWorld {
  readonly spec: WorldSpec;
  readonly fake: FakeKommo;
  readonly kommo: KommoMcpServer;
  /** Shared by every agent's gateway; its samples are the report's counter levels. */
  readonly store: RecordingCounterStore;
  /** One gate on the world's clock, shared by every agent's gateway; approval events decide through it. */
  readonly approvals: ApprovalGate;
  /** The policy every gateway reads on each decision; a reload event sets it. */
  readonly policy: SharedPolicy;
  /** Decision lines the gateways wrote (through `recordAudit`), in order. */
  readonly audit: readonly AuditRecord[];
  readonly recordAudit: (record: AuditRecord) => void;
  /** Approval lines the gate wrote, in order. */
  readonly approvalLines: readonly ApprovalAuditRecord[];
  /** Releases held calls, then closes the MCP server and the stores (errors ignored). */
  close(): Promise<void>;
}

export interface WorldOptions {
  readonly clock: Clock;
  /** Called on every counter-store operation, so a runner driving the clock knows the world moved. */
  readonly onActivity: () => void;
}

export function createScenarioWorld(spec: WorldSpec, { clock, onActivity }: WorldOptions): ScenarioWorld {
  const fake = createFakeKommo({
    clock,
    seed: spec.seed,
    ...(spec.kommo.rateLimitPerSecond !== undefined ? { rateLimitPerSecond: spec.kommo.rateLimitPerSecond } : {}),
  });
  for (const fault of spec.kommo.faults ?? []) fake.faults.set(fault.route, faultSpec(fault));
  const kommo = createKommoMcpServer({
    fake,
    clock,
    jitterMs: () => 0,
    ...(spec.kommo.schema ? { schema: spec.kommo.schema } : {}),
    ...(spec.kommo.confirmWrites !== undefined ? { confirmWrites: spec.kommo.confirmWrites } : {}),
  });
  const store = new RecordingCounterStore(new MemoryCounterStore({ clock }), clock, spec.startMs, onActivity);
  let approvalSeq = 0;
  const approvalStore = new MemoryApprovalStore({ clock, newId: () => `apr_${String(++approvalSeq).padStart(16, "0")}` });
  const approvalLines: ApprovalAuditRecord[] = [];
  const approvals = new ApprovalGate({
    store: approvalStore,
    clock,
    mode: spec.gateway.approvalMode ?? "async",
    ...(spec.gateway.approvalTimeoutMs !== undefined ? { holdTimeoutMs: spec.gateway.approvalTimeoutMs } : {}),
    audit: (line) => void approvalLines.push(line),
  });
  const audit: AuditRecord[] = [];
  return {
    spec,
    fake,
    kommo,
    store,
    approvals,
    policy: new SharedPolicy(spec.policy),
    audit,
    recordAudit: (record) => void audit.push(record),
    approvalLines,
    close: async () => {
      approvals.close();
      await kommo.close().catch(() => undefined);
      await store.close().catch(() => undefined);
      await approvalStore.close().catch(() => undefined);
    },
  };
}

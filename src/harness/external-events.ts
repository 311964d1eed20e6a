/**
 * Scenario events against processes: Kommo faults through the simulator's control routes
 * (`POST|DELETE /__faults` on its `--rest` port), policy reloads by rewriting the `{policy}` file
 * and sending SIGHUP (or running `--reload-cmd`), and approval decisions through toolgate's admin
 * API (`{admin}`) or the `--approve-cmd` / `--deny-cmd` templates (`{id}`).
 */
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import type { FaultSpec } from "../kommo/rest-api/fake-kommo.js";
import type { ApprovalRecord, DecideResult } from "../stores/approval-store.js";
import { systemClock } from "../core/clock.js";
import { splitCommand } from "../transports/split-command.js";
import type { ApprovalDesk } from "./decide-approval.js";
import type { GatewayProcess } from "./gateway-process.js";
import { shellQuote } from "./gateway-command.js";
import type { PolicyInput } from "./load-scenario.js";
import type { ReloadEvent } from "./scenario-schema.js";

/** Sets or clears faults on every simulator (one per gateway process over stdio). */
export async function setFaults(restPorts: readonly number[], faults: Record<string, FaultSpec> | "clear"): Promise<void> {
  for (const port of restPorts) {
    const url = `http://127.0.0.1:${port}/__faults`;
    const response = faults === "clear" ? await fetch(url, { method: "DELETE" }) : await fetch(url, { method: "POST", body: JSON.stringify(faults) });
    if (!response.ok) throw new Error(`the simulator's control route ${url} answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
  }
}

/** Waits until at least `count` simulators have written their control port and answer on it. */
export async function simulatorsReady(count: number, ports: () => readonly number[], isBroken: () => string | undefined, maxMs = 30_000): Promise<void> {
  const began = systemClock.nowMs();
  for (;;) {
    const known = ports();
    if (known.length >= count) {
      const answers = await Promise.all(known.map((port) => fetch(`http://127.0.0.1:${port}/__faults`).then((r) => r.ok, () => false)));
      if (answers.every(Boolean)) return;
    }
    const broken = isBroken();
    if (broken !== undefined) throw new Error(broken);
    if (systemClock.nowMs() - began > maxMs) throw new Error(`the simulator's control routes did not come up within ${maxMs} ms (${known.length} of ${count} simulators): does the gateway start its \`{upstream}\` command when it starts?`);
    await systemClock.sleep(50);
  }
}

async function runCommand(line: string, cwd: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const [command, ...args] = splitCommand(line);
  return new Promise((resolve) => {
    const child = spawn(command ?? "", args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.once("error", (error) => resolve({ code: null, output: error.message }));
    child.once("exit", (code) => resolve({ code, output: output.slice(-2_000) }));
  });
}

export interface ReloadTarget {
  readonly policyFile: string;
  readonly processes: readonly GatewayProcess[];
  readonly reloadCmd: string | undefined;
  readonly cwd: string;
  readonly env: Record<string, string>;
}

/**
 * Writes the reload's policy over `{policy}` and tells every process (SIGHUP or `--reload-cmd`),
 * then gives each a second to say something on stderr. An expected rejection is checked against
 * what the gateway wrote on stderr since.
 */
export async function reloadExternal(event: ReloadEvent, input: PolicyInput, target: ReloadTarget): Promise<string[]> {
  const label = `reload at ${event.at} ms`;
  writeFileSync(target.policyFile, input.text);
  const before = target.processes.map((p) => p.stderrLength);
  for (const process of target.processes) {
    if (target.reloadCmd !== undefined) {
      const done = await runCommand(target.reloadCmd.replaceAll("{pid}", String(process.child.pid)), target.cwd, target.env);
      if (done.code !== 0) return [`${label}: \`--reload-cmd\` exited with code ${done.code}: ${done.output.trim()}`];
    } else if (!process.signal("SIGHUP")) {
      return [`${label}: the gateway process is gone, so it could not be sent SIGHUP`];
    }
  }
  await Promise.all(target.processes.map((p, i) => p.stderrAfter(before[i]!, 1_000)));
  const expect = event.expect;
  if (expect === "applied" || expect.rejected.includes === undefined) return [];
  const said = target.processes.map((p, i) => p.stderrSince(before[i]!)).join("\n");
  return said.includes(expect.rejected.includes) ? [] : [`${label}: expected the gateway to reject the policy mentioning \`${expect.rejected.includes}\` on stderr, got:\n${said.trim().slice(-600) || "(nothing)"}`];
}

type Approvals = ApprovalDesk["approvals"];

interface WireApproval {
  readonly id: string;
  readonly state: ApprovalRecord["state"];
  readonly grant: string;
  readonly tool: string;
  readonly argsSha256: string;
}

function recordOf(wire: WireApproval): ApprovalRecord {
  // The harness reads only these fields of a record (decide-approval.ts, end checks).
  return { id: wire.id, state: wire.state, grantId: wire.grant, tool: wire.tool, argsDigest: wire.argsSha256 } as unknown as ApprovalRecord;
}

/** Approvals through toolgate's admin API on `admin` (`HOST:PORT`) with its bearer token. */
export function adminApprovals(admin: string, token: string): Approvals {
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  return {
    list: async () => {
      const response = await fetch(`http://${admin}/approvals`, { headers });
      if (!response.ok) throw new Error(`the admin API's GET /approvals answered ${response.status}`);
      return ((await response.json()) as { approvals: WireApproval[] }).approvals.map(recordOf);
    },
    decide: async (id, decision, by): Promise<DecideResult> => {
      const response = await fetch(`http://${admin}/approvals/${encodeURIComponent(id)}/${decision === "approved" ? "approve" : "deny"}`, { method: "POST", headers, body: JSON.stringify(by === undefined ? {} : { by }) });
      const body = (await response.json().catch(() => ({}))) as { approval?: WireApproval; error?: { code?: string } | string };
      if (response.ok && body.approval) return { ok: true, record: recordOf(body.approval) };
      if (response.status === 404) return { ok: false, reason: "unknown" };
      const code = typeof body.error === "object" ? body.error?.code : body.error;
      return { ok: false, reason: code === "approval_expired" ? "expired" : "decided", record: recordOf(body.approval ?? { id, state: "expired", grant: "", tool: "", argsSha256: "" }) };
    },
  };
}

/** Approvals through `--approve-cmd` / `--deny-cmd` (`{id}` filled in); exit 0 is decided. */
export function commandApprovals(commands: { readonly approve: string; readonly deny: string }, cwd: string, env: Record<string, string>): Approvals {
  return {
    // Commands cannot list: a call still held open (hold mode) is not found this way.
    list: async () => [],
    decide: async (id, decision): Promise<DecideResult> => {
      const line = (decision === "approved" ? commands.approve : commands.deny).replaceAll("{id}", shellQuote(id));
      const done = await runCommand(line, cwd, env);
      if (done.code === 0) return { ok: true, record: recordOf({ id, state: decision, grant: "", tool: "", argsSha256: "" }) };
      if (/no approval|unknown|not found/i.test(done.output)) return { ok: false, reason: "unknown" };
      return { ok: false, reason: /expired/i.test(done.output) ? "expired" : "decided", record: recordOf({ id, state: "expired", grant: "", tool: "", argsSha256: "" }) };
    },
  };
}

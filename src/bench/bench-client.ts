/**
 * The bench client: one SDK 1.x `Client` (the 2025-era client most agents run) against one path.
 * It connects once, then: warm-up calls, timed sequential calls (each timed on the monotonic
 * clock), and a bounded throughput phase with `inflight` calls kept in flight. Every result is
 * checked (`stopped <bot_id>`); a mismatch or an exception counts as an error. CPU per call is
 * charged to the process the client talks to (root), its live descendants (the upstream behind a
 * proxy) and the client itself; the machine's remaining busy time is reported as foreign cores.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { getDefaultEnvironment, StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { monotonicNs } from "../core/clock.js";
import { startMeter, type CpuPerCall } from "./cpu-meter.js";
import { ProcessTreeWatch, rssBytes } from "./procfs.js";
import { summarizeLatencies, type LatencySummary } from "./stats.js";
import { BENCH_TOOL } from "./upstream-server.js";
import { wireThroughput, type WireLoadResult } from "./wire-client.js";
import { messageOf } from "../core/errors.js";

export type ClientTarget =
  | { readonly transport: "stdio"; readonly command: string; readonly args: readonly string[]; readonly cwd: string; readonly env?: Record<string, string>; readonly tool?: string }
  | { readonly transport: "http"; readonly url: string; readonly rootPid: number };

export interface ClientPlan {
  readonly target: ClientTarget;
  readonly warmupCalls: number;
  readonly timedCalls: number;
  /** Bound on the timed sequential phase; it stops early (and says so) when reached. */
  readonly timedBoundMs: number;
  readonly inflight: number;
  readonly loadMs: number;
  /** HTTP only: also measure throughput with the lean wire client (0 = skip). */
  readonly wireLoadMs: number;
}

export interface ClientReport {
  readonly connectMs: number;
  readonly rootPid: number;
  readonly childPids: readonly number[];
  readonly sequential: LatencySummary & { readonly cpu: CpuPerCall; readonly boundHit: boolean };
  readonly load: { readonly calls: number; readonly callsPerS: number; readonly p50Us: number; readonly p99Us: number; readonly cpu: CpuPerCall };
  readonly wire: (WireLoadResult & { readonly cpu: CpuPerCall }) | undefined;
  readonly rss: { readonly idleBytes: number; readonly afterSequentialBytes: number; readonly afterLoadBytes: number; readonly childrenAfterLoadBytes: number };
  readonly errors: number;
  readonly firstError: string | undefined;
}

export async function runClient(plan: ClientPlan): Promise<ClientReport> {
  const client = new Client({ name: "toolgate-bench", version: "1.0.0" });
  const target = plan.target;
  const transport =
    target.transport === "stdio"
      ? new StdioClientTransport({ command: target.command, args: [...target.args], cwd: target.cwd, env: { ...getDefaultEnvironment(), ...target.env }, stderr: "inherit" })
      : new StreamableHTTPClientTransport(new URL(target.url));
  const connectStartNs = monotonicNs();
  await client.connect(transport);
  const connectMs = Number(monotonicNs() - connectStartNs) / 1e6;
  const rootPid = target.transport === "stdio" ? (transport as StdioClientTransport).pid : target.rootPid;
  if (rootPid === null || rootPid === undefined) throw new Error("the bench client could not learn the pid of the process it talks to");

  let errors = 0;
  let firstError: string | undefined;
  // A stack (`serve --config`) exposes the tool under its server's name.
  const toolName = target.transport === "stdio" && target.tool !== undefined ? target.tool : BENCH_TOOL;
  const call = async (botId: number): Promise<void> => {
    try {
      const result = await client.callTool({ name: toolName, arguments: { bot_id: botId } });
      const content = result.content as { type: string; text?: string }[] | undefined;
      if (result.isError === true || content?.[0]?.text !== `stopped ${botId}`) {
        errors++;
        firstError ??= `unexpected result: ${JSON.stringify(result).slice(0, 300)}`;
      }
    } catch (error) {
      errors++;
      firstError ??= messageOf(error);
    }
  };

  try {
    // Warm-up (bounded by the same budget as the timed phase).
    const warmupEndNs = monotonicNs() + BigInt(plan.timedBoundMs) * 1_000_000n;
    for (let i = 0; i < plan.warmupCalls && monotonicNs() < warmupEndNs; i++) await call(i);
    const watch = new ProcessTreeWatch(rootPid);
    const idleBytes = rssBytes(rootPid) ?? Number.NaN;

    // Timed sequential calls.
    const samplesUs: number[] = [];
    const seqMeter = startMeter(watch);
    const seqEndNs = monotonicNs() + BigInt(plan.timedBoundMs) * 1_000_000n;
    let boundHit = false;
    for (let i = 0; i < plan.timedCalls; i++) {
      const t0 = monotonicNs();
      if (t0 > seqEndNs) {
        boundHit = true;
        break;
      }
      await call(i);
      samplesUs.push(Number(monotonicNs() - t0) / 1_000);
    }
    const seqCpu = seqMeter.stop(samplesUs.length);
    const afterSequentialBytes = rssBytes(rootPid) ?? Number.NaN;

    // Throughput: `inflight` workers, each keeping one call in flight until the deadline.
    const loadSamplesUs: number[] = [];
    const loadMeter = startMeter(watch);
    const loadStartNs = monotonicNs();
    const loadEndNs = loadStartNs + BigInt(plan.loadMs) * 1_000_000n;
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let guard = 0; guard < 2_000_000 && monotonicNs() < loadEndNs; guard++) {
        const t0 = monotonicNs();
        await call(next++);
        loadSamplesUs.push(Number(monotonicNs() - t0) / 1_000);
      }
    };
    await Promise.all(Array.from({ length: plan.inflight }, worker));
    const loadElapsedS = Number(monotonicNs() - loadStartNs) / 1e9;
    const loadCpu = loadMeter.stop(loadSamplesUs.length);
    const afterLoadBytes = rssBytes(rootPid) ?? Number.NaN;
    const childrenAfterLoadBytes = watch.childPids.reduce((sum, pid) => sum + (rssBytes(pid) ?? 0), 0);
    const loadSummary = summarizeLatencies(loadSamplesUs);

    let wire: ClientReport["wire"];
    if (target.transport === "http" && plan.wireLoadMs > 0) {
      const result = await wireThroughput({ url: target.url, inflight: plan.inflight, loadMs: plan.wireLoadMs, rootPid, meter: startMeter });
      wire = result;
      errors += result.errors;
      firstError ??= result.firstError;
    }

    return {
      connectMs,
      rootPid,
      childPids: watch.childPids,
      sequential: { ...summarizeLatencies(samplesUs), cpu: seqCpu, boundHit },
      load: { calls: loadSamplesUs.length, callsPerS: loadSamplesUs.length / loadElapsedS, p50Us: loadSummary.p50Us, p99Us: loadSummary.p99Us, cpu: loadCpu },
      wire,
      rss: { idleBytes, afterSequentialBytes, afterLoadBytes, childrenAfterLoadBytes },
      errors,
      firstError,
    };
  } finally {
    await client.close().catch(() => undefined);
  }
}

/**
 * Prometheus text exposition (format 0.0.4) for `/metrics`: decisions by tool, decision and code,
 * the upstream latency of forwarded calls as a histogram in seconds, calls in flight, open
 * sessions and pending approvals (a gauge read from a callback the approvals code sets),
 * decisions by grant and OAuth client (never a token, never a `sub`: users are too many labels),
 * and refused bearer tokens by reason.
 * Recording is a few map/array updates; rendering happens only when scraped.
 */
import type { AuditRecord } from "./audit-log.js";

/** Upper bounds in seconds: sub-millisecond hops up to a minute-long tool. */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** Distinct tool label values kept; further names count under `(other)` (agents choose names). */
export const MAX_TOOL_LABELS = 500;

/** Distinct (grant, client) label pairs kept; further pairs count under `(other)` (grant ids may come from tokens). */
export const MAX_GRANT_LABELS = 1000;

export class Metrics {
  private readonly decisions = new Map<string, number>();
  private readonly tools = new Set<string>();
  private readonly byGrant = new Map<string, number>();
  private readonly authRefusals = new Map<string, number>();
  private readonly bucketCounts = new Array<number>(LATENCY_BUCKETS_SECONDS.length).fill(0);
  private latencyCount = 0;
  private latencySum = 0;
  private inFlight = 0;
  private pendingApprovals: () => number = () => 0;
  private sessions: () => number = () => 0;

  /** The approvals code reports how many approvals are pending (read at scrape time). */
  setPendingApprovals(fn: () => number): void {
    this.pendingApprovals = fn;
  }

  setSessions(fn: () => number): void {
    this.sessions = fn;
  }

  recordDecision(tool: string, decision: "allow" | "deny", code: string | null): void {
    let label = tool;
    if (!this.tools.has(tool)) {
      if (this.tools.size >= MAX_TOOL_LABELS) label = "(other)";
      else this.tools.add(tool);
    }
    const key = `${label}\u0000${decision}\u0000${code ?? "none"}`;
    this.decisions.set(key, (this.decisions.get(key) ?? 0) + 1);
  }

  observeUpstreamSeconds(seconds: number): void {
    this.latencyCount++;
    this.latencySum += seconds;
    for (let i = 0; i < LATENCY_BUCKETS_SECONDS.length; i++) {
      if (seconds <= LATENCY_BUCKETS_SECONDS[i]!) {
        this.bucketCounts[i]!++;
        break;
      }
    }
  }

  /** A request refused before MCP handling for its bearer token: `missing`, `invalid`, `forbidden`, … */
  authRefused(reason: string): void {
    this.authRefusals.set(reason, (this.authRefusals.get(reason) ?? 0) + 1);
  }

  recordGrantDecision(grant: string | null, clientId: string | undefined, decision: "allow" | "deny"): void {
    let key = `${grant ?? "(none)"}\u0000${clientId ?? ""}`;
    if (!this.byGrant.has(`${key}\u0000allow`) && !this.byGrant.has(`${key}\u0000deny`) && this.byGrant.size >= MAX_GRANT_LABELS * 2) key = "(other)\u0000(other)";
    const full = `${key}\u0000${decision}`;
    this.byGrant.set(full, (this.byGrant.get(full) ?? 0) + 1);
  }

  /** One audit record = one decision; forwarded calls also carry their upstream latency. */
  observeAudit(record: AuditRecord): void {
    this.recordDecision(record.tool, record.decision, record.code);
    this.recordGrantDecision(record.grant, record.clientId, record.decision);
    if (record.latencyMs !== null) this.observeUpstreamSeconds(record.latencyMs / 1000);
  }

  callStarted(): void {
    this.inFlight++;
  }

  callFinished(): void {
    if (this.inFlight > 0) this.inFlight--;
  }

  get callsInFlight(): number {
    return this.inFlight;
  }

  render(): string {
    const out: string[] = [];
    out.push("# HELP toolgate_decisions_total Policy decisions on tools/call, by tool, decision and deny code.");
    out.push("# TYPE toolgate_decisions_total counter");
    const keys = [...this.decisions.keys()].sort();
    for (const key of keys) {
      const [tool, decision, code] = key.split("\u0000") as [string, string, string];
      out.push(`toolgate_decisions_total{tool="${escapeLabel(tool)}",decision="${decision}",code="${code}"} ${this.decisions.get(key)}`);
    }
    out.push("# HELP toolgate_grant_decisions_total Policy decisions by grant and OAuth client (client_id empty for static grants).");
    out.push("# TYPE toolgate_grant_decisions_total counter");
    for (const key of [...this.byGrant.keys()].sort()) {
      const [grant, client, decision] = key.split("\u0000") as [string, string, string];
      out.push(`toolgate_grant_decisions_total{grant="${escapeLabel(grant)}",client_id="${escapeLabel(client)}",decision="${decision}"} ${this.byGrant.get(key)}`);
    }
    out.push("# HELP toolgate_auth_refusals_total HTTP requests refused for their bearer token, by reason.");
    out.push("# TYPE toolgate_auth_refusals_total counter");
    for (const key of [...this.authRefusals.keys()].sort()) out.push(`toolgate_auth_refusals_total{reason="${escapeLabel(key)}"} ${this.authRefusals.get(key)}`);
    out.push("# HELP toolgate_upstream_latency_seconds Upstream round trip of forwarded tools/call requests.");
    out.push("# TYPE toolgate_upstream_latency_seconds histogram");
    let cumulative = 0;
    for (let i = 0; i < LATENCY_BUCKETS_SECONDS.length; i++) {
      cumulative += this.bucketCounts[i]!;
      out.push(`toolgate_upstream_latency_seconds_bucket{le="${LATENCY_BUCKETS_SECONDS[i]}"} ${cumulative}`);
    }
    out.push(`toolgate_upstream_latency_seconds_bucket{le="+Inf"} ${this.latencyCount}`);
    out.push(`toolgate_upstream_latency_seconds_sum ${formatNumber(this.latencySum)}`);
    out.push(`toolgate_upstream_latency_seconds_count ${this.latencyCount}`);
    out.push("# HELP toolgate_calls_in_flight tools/call requests received and not yet answered.");
    out.push("# TYPE toolgate_calls_in_flight gauge");
    out.push(`toolgate_calls_in_flight ${this.inFlight}`);
    out.push("# HELP toolgate_sessions Open MCP sessions (Streamable HTTP).");
    out.push("# TYPE toolgate_sessions gauge");
    out.push(`toolgate_sessions ${safe(this.sessions)}`);
    out.push("# HELP toolgate_pending_approvals Calls waiting for a human's approval.");
    out.push("# TYPE toolgate_pending_approvals gauge");
    out.push(`toolgate_pending_approvals ${safe(this.pendingApprovals)}`);
    return `${out.join("\n")}\n`;
  }
}

/** Label values escape backslash, double quote and newline (exposition format). */
export function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function formatNumber(n: number): string {
  return Number.isFinite(n) ? String(Math.round(n * 1e9) / 1e9) : "NaN";
}

function safe(fn: () => number): string {
  try {
    const n = fn();
    return Number.isFinite(n) ? String(n) : "NaN";
  } catch {
    return "NaN";
  }
}

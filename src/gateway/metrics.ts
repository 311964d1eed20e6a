/**
 * Prometheus text exposition (format 0.0.4) for `/metrics`: decisions by tool, decision and code,
 * the upstream latency of forwarded calls as a histogram in seconds, calls in flight, open
 * sessions and pending approvals (a gauge read from a callback the approvals code sets),
 * decisions by grant and OAuth client (never a token, never a `sub`: users are too many labels),
 * and refused bearer tokens by reason.
 * Recording is a few map/array updates; rendering happens only when scraped.
 *
 * Tool names are the agents' input, so no name can shape the output: label values are escaped by
 * the exposition rules (backslash, double quote, line feed), a name with any other control
 * character counts under `(invalid)`, and the series are kept by structured keys, never by a
 * joined string a name could split.
 */
import type { AuditRecord } from "./audit-log.js";
import { SERVER_STATES, type ServerStatus } from "./server-status.js";

/** Upper bounds in seconds: sub-millisecond hops up to a minute-long tool. */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** Distinct tool label values kept; further names count under `(other)` (agents choose names). */
export const MAX_TOOL_LABELS = 500;

/** Distinct (grant, client) label pairs kept; further pairs count under `(other)` (grant ids may come from tokens). */
export const MAX_GRANT_LABELS = 1000;

/** The label of tool names that carry control characters (other than a line feed, which is escaped). */
export const INVALID_TOOL_LABEL = "(invalid)";

export class Metrics {
  /** Count by tool label, then by decision and code (`decision code`, both gateway-made words). */
  private readonly decisions = new Map<string, Map<string, { decision: string; code: string; count: number }>>();
  private readonly tools = new Set<string>();
  private readonly byGrant = new Map<string, number>();
  private readonly authRefusals = new Map<string, number>();
  private readonly bucketCounts = new Array<number>(LATENCY_BUCKETS_SECONDS.length).fill(0);
  private latencyCount = 0;
  private latencySum = 0;
  private inFlight = 0;
  private pendingApprovals: () => number = () => 0;
  private sessions: () => number = () => 0;
  private servers: (() => readonly ServerStatus[]) | undefined;
  private readonly byServer = new Map<string, { allow: number; deny: number }>();

  /** The approvals code reports how many approvals are pending (read at scrape time). */
  setPendingApprovals(fn: () => number): void {
    this.pendingApprovals = fn;
  }

  /** A stack reports its servers' states (read at scrape time). */
  setServers(fn: () => readonly ServerStatus[]): void {
    this.servers = fn;
  }

  setSessions(fn: () => number): void {
    this.sessions = fn;
  }

  recordDecision(tool: string, decision: "allow" | "deny", code: string | null): void {
    let label = CONTROL.test(tool) ? INVALID_TOOL_LABEL : tool;
    if (!this.tools.has(label)) {
      if (this.tools.size >= MAX_TOOL_LABELS) label = "(other)";
      else this.tools.add(label);
    }
    let byOutcome = this.decisions.get(label);
    if (byOutcome === undefined) this.decisions.set(label, (byOutcome = new Map()));
    const c = code ?? "none";
    const key = `${decision} ${c}`;
    const entry = byOutcome.get(key);
    if (entry) entry.count++;
    else byOutcome.set(key, { decision, code: c, count: 1 });
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
    // Keys are JSON arrays, never a joined string that a grant id or client id could split.
    let pair: [string, string] = [grant ?? "(none)", clientId ?? ""];
    const seen = (p: [string, string]) => this.byGrant.has(JSON.stringify([...p, "allow"])) || this.byGrant.has(JSON.stringify([...p, "deny"]));
    if (!seen(pair) && this.byGrant.size >= MAX_GRANT_LABELS * 2) pair = ["(other)", "(other)"];
    const full = JSON.stringify([...pair, decision]);
    this.byGrant.set(full, (this.byGrant.get(full) ?? 0) + 1);
  }

  /** One audit record = one decision; forwarded calls also carry their upstream latency. */
  observeAudit(record: AuditRecord): void {
    this.recordDecision(record.tool, record.decision, record.code);
    this.recordGrantDecision(record.grant, record.clientId, record.decision);
    if (record.server !== undefined) this.recordServerDecision(record.server, record.decision);
    if (record.latencyMs !== null) this.observeUpstreamSeconds(record.latencyMs / 1000);
  }

  /** Server names come from the config (never from a request), so they are safe as labels. */
  private recordServerDecision(server: string, decision: "allow" | "deny"): void {
    let counts = this.byServer.get(server);
    if (counts === undefined) this.byServer.set(server, (counts = { allow: 0, deny: 0 }));
    counts[decision]++;
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
    for (const tool of [...this.decisions.keys()].sort()) {
      const byOutcome = this.decisions.get(tool)!;
      for (const key of [...byOutcome.keys()].sort()) {
        const { decision, code, count } = byOutcome.get(key)!;
        out.push(`toolgate_decisions_total{tool="${escapeLabel(tool)}",decision="${escapeLabel(decision)}",code="${escapeLabel(code)}"} ${count}`);
      }
    }
    out.push("# HELP toolgate_grant_decisions_total Policy decisions by grant and OAuth client (client_id empty for static grants).");
    out.push("# TYPE toolgate_grant_decisions_total counter");
    for (const key of [...this.byGrant.keys()].sort()) {
      const [grant, client, decision] = JSON.parse(key) as [string, string, string];
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
    if (this.servers !== undefined || this.byServer.size > 0) renderServersInto(out, this.byServer, this.servers ?? (() => []));
    return `${out.join("\n")}\n`;
  }
}

/** C0 controls other than line feed, DEL and C1 controls: no escape exists for them in the text format. */
const CONTROL = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F]/;

/** Label values escape backslash, double quote and newline (exposition format). */
export function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function formatNumber(n: number): string {
  return Number.isFinite(n) ? String(Math.round(n * 1e9) / 1e9) : "NaN";
}

/** Appends a stack's per-server series: decisions, state (1 for the current one), restarts. */
function renderServersInto(out: string[], byServer: ReadonlyMap<string, { allow: number; deny: number }>, servers: () => readonly ServerStatus[]): void {
  out.push("# HELP toolgate_server_decisions_total Policy decisions by upstream server of the stack.");
  out.push("# TYPE toolgate_server_decisions_total counter");
  for (const server of [...byServer.keys()].sort()) {
    const counts = byServer.get(server)!;
    for (const decision of ["allow", "deny"] as const) out.push(`toolgate_server_decisions_total{server="${escapeLabel(server)}",decision="${decision}"} ${counts[decision]}`);
  }
  let now: readonly ServerStatus[] = [];
  try {
    now = servers();
  } catch {
    // A scrape never fails for the servers' sake: their series are left out.
  }
  out.push("# HELP toolgate_server_state Each upstream server's state: 1 for the state it is in, 0 for the others.");
  out.push("# TYPE toolgate_server_state gauge");
  for (const s of now) for (const state of SERVER_STATES) out.push(`toolgate_server_state{server="${escapeLabel(s.name)}",state="${state}"} ${s.state === state ? 1 : 0}`);
  out.push("# HELP toolgate_server_restarts_total Restarts of each upstream server since the gateway started.");
  out.push("# TYPE toolgate_server_restarts_total counter");
  for (const s of now) out.push(`toolgate_server_restarts_total{server="${escapeLabel(s.name)}"} ${s.restarts}`);
}

function safe(fn: () => number): string {
  try {
    const n = fn();
    return Number.isFinite(n) ? String(n) : "NaN";
  } catch {
    return "NaN";
  }
}

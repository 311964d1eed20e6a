/**
 * What a candidate policy changes in recorded traffic: each call's baseline decision (as recorded,
 * or re-decided under `--baseline`) against the candidate's, grouped by how it changed (newly
 * denied, newly allowed, denied for another reason) and by server, tool, grant and code, with the
 * first examples of each; plus what shadow rules of the candidate would log.
 */
import type { Recorded } from "./recording-file.js";
import type { ReplayedDecision } from "./replay.js";

export type ChangeKind = "newly_denied" | "newly_allowed" | "denied_otherwise";

export interface ChangedCall {
  readonly kind: ChangeKind;
  readonly time: string;
  readonly grant: string | null;
  readonly session: string;
  readonly server: string | undefined;
  readonly method: string;
  readonly name: string;
  readonly source: string;
  readonly before: ReplayedDecision;
  readonly after: ReplayedDecision;
}

export interface ReplayDiff {
  readonly calls: number;
  readonly changed: number;
  readonly counts: Readonly<Record<ChangeKind, number>>;
  /** Changes per group, e.g. `byTool["stop_salesbot"]["newly_denied"]`. */
  readonly byTool: Readonly<Record<string, Partial<Record<ChangeKind, number>>>>;
  readonly byGrant: Readonly<Record<string, Partial<Record<ChangeKind, number>>>>;
  readonly byServer: Readonly<Record<string, Partial<Record<ChangeKind, number>>>>;
  /** The code that decides the change: the candidate's for a new denial, the baseline's for a new allow. */
  readonly byCode: Readonly<Record<string, Partial<Record<ChangeKind, number>>>>;
  /** The first `examplesPerKind` changed calls of each kind, in time order. */
  readonly examples: Readonly<Record<ChangeKind, readonly ChangedCall[]>>;
  /** What the candidate's shadow rules would log, by rule and by code. */
  readonly shadow: { readonly byRule: Readonly<Record<string, number>>; readonly byCode: Readonly<Record<string, number>> };
}

/** Adds up the changes call by call (a recording need not fit in memory). */
export class DiffBuilder {
  private calls = 0;
  private readonly counts: Record<ChangeKind, number> = { newly_denied: 0, newly_allowed: 0, denied_otherwise: 0 };
  private readonly byTool: Record<string, Partial<Record<ChangeKind, number>>> = {};
  private readonly byGrant: Record<string, Partial<Record<ChangeKind, number>>> = {};
  private readonly byServer: Record<string, Partial<Record<ChangeKind, number>>> = {};
  private readonly byCode: Record<string, Partial<Record<ChangeKind, number>>> = {};
  private readonly examples: Record<ChangeKind, ChangedCall[]> = { newly_denied: [], newly_allowed: [], denied_otherwise: [] };
  private readonly shadow = { byRule: {} as Record<string, number>, byCode: {} as Record<string, number> };

  constructor(private readonly examplesPerKind = 5) {}

  add(call: Recorded, b: ReplayedDecision, a: ReplayedDecision): void {
    this.calls++;
    for (const w of a.wouldDeny) {
      this.shadow.byRule[w.rule] = (this.shadow.byRule[w.rule] ?? 0) + 1;
      this.shadow.byCode[w.code] = (this.shadow.byCode[w.code] ?? 0) + 1;
    }
    const kind = changeOf(b, a);
    if (kind === undefined) return;
    this.counts[kind]++;
    bump(this.byTool, call.name, kind);
    bump(this.byGrant, call.grant ?? "(no grant)", kind);
    if (call.server !== undefined) bump(this.byServer, call.server, kind);
    bump(this.byCode, (kind === "newly_allowed" ? b.code : a.code) ?? "(none)", kind);
    if (this.examples[kind].length < this.examplesPerKind) {
      this.examples[kind].push({ kind, time: call.time, grant: call.grant, session: call.session, server: call.server, method: call.method, name: call.name, source: call.source, before: b, after: a });
    }
  }

  result(): ReplayDiff {
    const { counts } = this;
    return { calls: this.calls, changed: counts.newly_denied + counts.newly_allowed + counts.denied_otherwise, counts, byTool: this.byTool, byGrant: this.byGrant, byServer: this.byServer, byCode: this.byCode, examples: this.examples, shadow: this.shadow };
  }
}

function bump(table: Record<string, Partial<Record<ChangeKind, number>>>, key: string, kind: ChangeKind): void {
  const row = (table[key] ??= {});
  row[kind] = (row[kind] ?? 0) + 1;
}

export function diffDecisions(calls: readonly Recorded[], before: readonly ReplayedDecision[], after: readonly ReplayedDecision[], examplesPerKind = 5): ReplayDiff {
  const builder = new DiffBuilder(examplesPerKind);
  calls.forEach((call, i) => builder.add(call, before[i]!, after[i]!));
  return builder.result();
}

function changeOf(before: ReplayedDecision, after: ReplayedDecision): ChangeKind | undefined {
  if (before.decision === "allow" && after.decision === "deny") return "newly_denied";
  if (before.decision === "deny" && after.decision === "allow") return "newly_allowed";
  if (before.decision === "deny" && (before.code !== after.code || before.rule !== after.rule)) return "denied_otherwise";
  return undefined;
}

/** The terminal summary: one line per kind of change, the groups, the first examples. */
export function formatDiff(diff: ReplayDiff, label: { readonly candidate: string; readonly baseline: string }): string {
  const lines = [`replayed ${diff.calls} recorded call${diff.calls === 1 ? "" : "s"} under ${label.candidate} (baseline: ${label.baseline})`];
  if (diff.changed === 0) lines.push("no decision changes");
  else {
    lines.push(`${diff.changed} decision${diff.changed === 1 ? "" : "s"} change: ${diff.counts.newly_denied} newly denied, ${diff.counts.newly_allowed} newly allowed, ${diff.counts.denied_otherwise} denied for another reason`);
    for (const [what, table] of [["tool", diff.byTool], ["grant", diff.byGrant], ["server", diff.byServer], ["code", diff.byCode]] as const) {
      for (const [key, row] of Object.entries(table)) lines.push(`  by ${what} ${key}: ${Object.entries(row).map(([k, n]) => `${k.replace("_", " ")} ${n}`).join(", ")}`);
    }
    for (const kind of ["newly_denied", "newly_allowed", "denied_otherwise"] as const) {
      for (const e of diff.examples[kind]) lines.push(`  e.g. ${kind.replace("_", " ")}: ${e.time} ${e.grant ?? "(no grant)"} ${e.name}: ${describe(e.before)} → ${describe(e.after)} (${e.source})`);
    }
  }
  const shadowTotal = Object.values(diff.shadow.byCode).reduce((n, v) => n + v, 0);
  if (shadowTotal > 0) lines.push(`shadow rules would log ${shadowTotal} would-den${shadowTotal === 1 ? "y" : "ies"}: ${Object.entries(diff.shadow.byRule).map(([r, n]) => `${r} ${n}`).join(", ")}`);
  return lines.join("\n");
}

function describe(d: ReplayedDecision): string {
  return d.decision === "allow" ? "allow" : `deny ${d.code ?? "?"} (${d.rule ?? "?"})`;
}

/**
 * The console's live activity: every audit line (decisions and approval steps) as it is written,
 * kept in a bounded ring for the recent list and the record behind a decision id, and pushed to
 * the server-sent-event streams of signed-in pages. Nothing here reaches the agents' side.
 */
import type { AuditLine, AuditRecord } from "../audit-log.js";
import type { ApprovalAuditRecord } from "../approvals/approval-audit.js";

/** Lines kept for the recent list and lookups by decision id. */
export const DEFAULT_ACTIVITY_LINES = 2_000;

export interface ActivityFilter {
  readonly grant?: string;
  readonly server?: string;
  readonly tool?: string;
  readonly decision?: "allow" | "deny";
  readonly code?: string;
}

export const FILTER_KEYS = ["grant", "server", "tool", "decision", "code"] as const;

export function isDecisionLine(line: AuditLine): line is AuditRecord {
  return !("event" in line);
}

/** Which server an exposed tool name belongs to (`""`: the one server of a single-upstream gateway). */
export type ServerOf = (tool: string) => string;

export const SINGLE_SERVER_OF: ServerOf = () => "";

export function matches(line: AuditLine, filter: ActivityFilter, serverOf: ServerOf = SINGLE_SERVER_OF): boolean {
  if (filter.grant !== undefined && (line.grant ?? "") !== filter.grant) return false;
  if (filter.tool !== undefined && line.tool !== filter.tool) return false;
  if (filter.server !== undefined && serverOf(line.tool) !== filter.server) return false;
  if (filter.decision !== undefined && (!isDecisionLine(line) || line.decision !== filter.decision)) return false;
  if (filter.code !== undefined && (!isDecisionLine(line) || (line.code ?? "") !== filter.code)) return false;
  return true;
}

export class ActivityHub {
  private readonly lines: AuditLine[] = [];
  private readonly subscribers = new Set<(line: AuditLine) => void>();
  /** Argument keys of the call that asked for each approval (approval records keep only the digest). */
  private readonly approvalKeys = new Map<string, readonly string[]>();
  /** Argument values of the asking call, only when the operator turned them on (`--console-show-args`). */
  private readonly approvalArgs = new Map<string, Record<string, unknown>>();

  constructor(
    readonly serverOf: ServerOf = SINGLE_SERVER_OF,
    private readonly capacity: number = DEFAULT_ACTIVITY_LINES,
  ) {}

  publish(line: AuditLine): void {
    this.lines.push(line);
    if (this.lines.length > this.capacity) this.lines.splice(0, this.lines.length - this.capacity);
    if (isDecisionLine(line) && line.approvalId !== undefined && !this.approvalKeys.has(line.approvalId)) {
      this.approvalKeys.set(line.approvalId, line.argKeys);
      if (this.approvalKeys.size > this.capacity) this.approvalKeys.delete(this.approvalKeys.keys().next().value!);
    }
    for (const subscriber of this.subscribers) subscriber(line);
  }

  /** Newest last, at most `limit`. */
  recent(filter: ActivityFilter, limit: number): AuditLine[] {
    return this.lines.filter((l) => matches(l, filter, this.serverOf)).slice(-limit);
  }

  /** The decision line with this id and the approval steps it caused. */
  record(decisionId: string): { decision: AuditRecord | undefined; approvalSteps: ApprovalAuditRecord[] } {
    const decision = this.lines.find((l): l is AuditRecord => isDecisionLine(l) && l.decisionId === decisionId);
    const approvalSteps = this.lines.filter((l): l is ApprovalAuditRecord => !isDecisionLine(l) && l.decisionId === decisionId);
    return { decision, approvalSteps };
  }

  /** Keeps the (already redacted) argument values of the call that asked for `approvalId`. */
  rememberArgs(approvalId: string, args: Record<string, unknown>): void {
    if (this.approvalArgs.has(approvalId)) return;
    this.approvalArgs.set(approvalId, args);
    if (this.approvalArgs.size > this.capacity) this.approvalArgs.delete(this.approvalArgs.keys().next().value!);
  }

  argsOf(approvalId: string): Record<string, unknown> | undefined {
    return this.approvalArgs.get(approvalId);
  }

  argKeysOf(approvalId: string): readonly string[] | undefined {
    return this.approvalKeys.get(approvalId);
  }

  subscribe(listener: (line: AuditLine) => void): () => void {
    this.subscribers.add(listener);
    return () => this.subscribers.delete(listener);
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }
}

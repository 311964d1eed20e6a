/**
 * Audit: one JSONL line per `tools/call` decision (docs/architecture.md#grants-approvals-and-audit), written once the outcome is known.
 * Argument keys and a digest of the canonical arguments, never argument values. The file writer
 * batches lines and appends them off the hot path.
 */
import { createHash } from "node:crypto";
import { createWriteStream, type WriteStream } from "node:fs";
import { canonicalJson } from "../core/canonical-json.js";
import type { DenyCode } from "../policy/decision.js";
import type { JsonObject } from "../protocol/messages.js";
import type { ApprovalAuditRecord } from "./approvals/approval-audit.js";

/**
 * What happened to the call: `not_forwarded` (denied), `not_sent` (allowed, but it never left the
 * gateway: the upstream was gone or the send failed), or what the upstream did with it.
 */
export type AuditOutcome = "ok" | "tool_error" | "rpc_error" | "timeout" | "upstream_closed" | "not_forwarded" | "not_sent" | "cancelled";

export interface WouldDeny {
  readonly code: DenyCode;
  readonly rule: string;
}

export interface AuditRecord {
  /** When the decision was made, ISO-8601 UTC on the gateway's clock. */
  readonly time: string;
  readonly decisionId: string;
  readonly grant: string | null;
  /** The caller's token `sub` and `client_id` (OAuth callers only; never the token). */
  readonly subject?: string;
  readonly clientId?: string;
  readonly session: string;
  /** The tool as the agent named it; with `kind`, the resource URI, prompt name or method. */
  readonly tool: string;
  /** The upstream server it belongs to, when the gateway fronts several (`serve --config`). */
  readonly server?: string;
  /** What was asked for, when it is not a tool call. */
  readonly kind?: "resource" | "prompt" | "method";
  /** What was enforced: `allow` (forwarded) or `deny` (answered by the gateway). */
  readonly decision: "allow" | "deny";
  readonly code: DenyCode | null;
  readonly rule: string | null;
  /** Top-level argument keys, sorted. */
  readonly argKeys: readonly string[];
  /** SHA-256 of the canonical JSON of the arguments. */
  readonly argsSha256: string;
  readonly policyVersion: string | null;
  /** Shadow denials: what a shadow rule (or `--shadow`) would have denied; the call was forwarded. */
  readonly wouldDeny?: readonly WouldDeny[];
  /** The approval this call asked for or used (its own lines carry `event: "approval"`). */
  readonly approvalId?: string;
  /** Upstream round trip in ms; null when not forwarded. */
  readonly latencyMs: number | null;
  readonly outcome: AuditOutcome;
}

export function argumentFacts(args: JsonObject): { argKeys: string[]; argsSha256: string } {
  return {
    argKeys: Object.keys(args).sort(),
    argsSha256: createHash("sha256").update(canonicalJson(args)).digest("hex"),
  };
}

/** A line of the audit file: a call's decision, or a step in an approval's life. */
export type AuditLine = AuditRecord | ApprovalAuditRecord;

export interface AuditFileWriter {
  readonly write: (record: AuditLine) => void;
  /** Flushes buffered lines and closes the file. */
  close(): Promise<void>;
}

/** Appends JSONL to `path`; lines queued in one tick are written together on the next. */
export function createAuditFileWriter(path: string, onError: (error: Error) => void = () => {}): AuditFileWriter {
  const stream: WriteStream = createWriteStream(path, { flags: "a" });
  stream.on("error", onError);
  let queued: string[] = [];
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (queued.length === 0) return;
    const text = queued.join("");
    queued = [];
    stream.write(text);
  };
  return {
    write(record) {
      queued.push(`${JSON.stringify(record)}\n`);
      if (!scheduled) {
        scheduled = true;
        queueMicrotask(flush);
      }
    },
    close() {
      flush();
      return new Promise((resolve) => stream.end(() => resolve()));
    },
  };
}

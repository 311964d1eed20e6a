/**
 * An approval as the admin API shows it: ISO-8601 times, the names of the audit log (`grant`,
 * `argsSha256`). The CLI parses the same shape with `ApprovalWireSchema`.
 */
import { z } from "zod";
import { APPROVAL_STATES, type ApprovalRecord } from "../../stores/approval-store.js";

export const ApprovalWireSchema = z.strictObject({
  id: z.string(),
  state: z.enum(APPROVAL_STATES),
  grant: z.string(),
  tool: z.string(),
  argsSha256: z.string(),
  policyVersion: z.string(),
  createdAt: z.string(),
  expiresAt: z.string(),
  decidedAt: z.string().optional(),
  decidedBy: z.string().optional(),
  usedAt: z.string().optional(),
});

export type ApprovalWire = z.output<typeof ApprovalWireSchema>;

export function approvalWire(record: ApprovalRecord): ApprovalWire {
  const iso = (ms: number): string => new Date(ms).toISOString();
  return {
    id: record.id,
    state: record.state,
    grant: record.grantId,
    tool: record.tool,
    argsSha256: record.argsDigest,
    policyVersion: record.policyVersion,
    createdAt: iso(record.createdAtMs),
    expiresAt: iso(record.expiresAtMs),
    ...(record.decidedAtMs === undefined ? {} : { decidedAt: iso(record.decidedAtMs) }),
    ...(record.decidedBy === undefined ? {} : { decidedBy: record.decidedBy }),
    ...(record.usedAtMs === undefined ? {} : { usedAt: iso(record.usedAtMs) }),
  };
}

/** What the stdio and HTTP modes of `toolgate serve` both need: policy, audit, stores, upstream. */
import type { ReadinessReport } from "../../gateway/readiness.js";
import { readFileSync } from "node:fs";
import type { Clock } from "../../core/clock.js";
import { formatIssues, messageOf } from "../../core/errors.js";
import { startServeApprovals, type ServeApprovals } from "../../gateway/approvals/serve-approvals.js";
import { createAuditFileWriter, type AuditFileWriter, type AuditLine } from "../../gateway/audit-log.js";
import type { GrantTable, TokenGrant } from "../../gateway/grants.js";
import type { AuthOutcome } from "../../gateway/http/http-front.js";
import type { Logger } from "../../gateway/logger.js";
import { createRecordingWriter, type RecordingWriter } from "../../gateway/recording.js";
import { parsePolicyText, type CompiledPolicy } from "../../policy/load-policy.js";
import type { Transport } from "../../protocol/transport.js";
import { HttpClientTransport } from "../../transports/http-client-transport.js";
import { ChildProcessTransport } from "../../transports/stdio-transport.js";
import type { CommandIo } from "../args.js";
import type { ServeConfig } from "./serve-config.js";

export function readPolicy(file: string, io: CommandIo): CompiledPolicy | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    io.stderr.write(`${file}: (root): cannot read the policy file: ${messageOf(error)}\n`);
    return undefined;
  }
  const parsed = parsePolicyText(text);
  if (!parsed.ok) {
    io.stderr.write(`${formatIssues(file, parsed.issues)}\n`);
    return undefined;
  }
  return parsed.value;
}

export function openRecording(config: ServeConfig, logger: Logger): RecordingWriter | undefined {
  const r = config.recording;
  if (r === undefined) return undefined;
  return createRecordingWriter(r.file, { redact: r.redact, maxValueChars: r.maxValueChars, maxFileBytes: r.maxFileBytes, keep: r.keep }, (error) => logger.error("cannot write the recording", { event: "record_write_failed", error: error.message }));
}

export function openAudit(config: ServeConfig, logger: Logger): AuditFileWriter | undefined {
  return config.auditFile ? createAuditFileWriter(config.auditFile, (error) => logger.error("cannot write the audit log", { event: "audit_write_failed", error: error.message })) : undefined;
}

/** Stores, approval gate and admin API; undefined (after saying why on stderr) when the admin API cannot listen. */
export async function startApprovals(
  config: ServeConfig,
  clock: Clock,
  logger: Logger,
  audit: ((record: AuditLine) => void) | undefined,
  io: CommandIo,
  readiness?: () => Promise<ReadinessReport>,
): Promise<ServeApprovals | undefined> {
  try {
    return await startServeApprovals({
      clock,
      log: logger.line,
      store: config.store,
      mode: config.approvalMode,
      ...(config.approvalTimeoutMs === undefined ? {} : { holdTimeoutMs: config.approvalTimeoutMs }),
      audit,
      ...(config.admin === undefined ? {} : { admin: config.admin }),
      ...(readiness ? { readiness } : {}),
    });
  } catch (error) {
    io.stderr.write(`toolgate serve: ${messageOf(error)}\n`);
    return undefined;
  }
}

export function upstreamLabel(config: ServeConfig): string {
  switch (config.upstream.kind) {
    case "cmd":
      return config.upstream.command;
    case "url":
      return config.upstream.url.origin;
    case "stack":
      return config.upstream.configFile;
  }
}

/** Upstream answers (tool results, long lists) may legitimately exceed what an agent may send. */
export function serverMessageLimit(config: ServeConfig): number {
  return Math.max(config.maxMessageBytes, config.maxBodyBytes) * 16;
}

export function openUpstream(config: ServeConfig, io: CommandIo): Transport {
  const maxMessageBytes = serverMessageLimit(config);
  if (config.upstream.kind === "stack") throw new Error("a gateway config opens its servers itself (serve-stack.ts)");
  if (config.upstream.kind === "url") return new HttpClientTransport({ url: config.upstream.url, headers: config.upstreamHeaders, maxMessageBytes });
  return new ChildProcessTransport({
    command: config.upstream.command,
    args: config.upstream.args,
    env: Object.keys(config.upstreamEnv).length > 0 ? { ...io.env, ...config.upstreamEnv } : io.env,
    cwd: io.cwd,
    stderr: "inherit",
    maxMessageBytes,
  });
}

/**
 * A grants table as the HTTP front's bearer check; or, after saying why on stderr, exit code 2
 * when the `/metrics` token is also a grant's token.
 */
export function bearerGrants<G extends TokenGrant>(table: GrantTable<G>, config: ServeConfig, io: CommandIo): ((authorization: string | undefined) => AuthOutcome) | number {
  if (config.metricsToken !== undefined && table.authenticate(`Bearer ${config.metricsToken}`).kind === "ok") {
    io.stderr.write("toolgate serve: flag `--metrics-token-file`: the metrics token is also a grant's token; give /metrics a token of its own\n");
    return 2;
  }
  return (authorization) => {
    const result = table.authenticate(authorization);
    return result.kind === "ok" ? { kind: "ok", grantId: result.grant.id } : result;
  };
}

/** Every request is `grantId` (no grants: loopback only, checked by the front). */
export function oneGrant(grantId: string): () => AuthOutcome {
  const ok: AuthOutcome = { kind: "ok", grantId };
  return () => ok;
}

export function flush(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => stream.write("", () => resolve()));
}

/** Stops reading stdin so the process can exit once the gateway is done. */
export function releaseStdin(io: CommandIo): void {
  const stdin = io.stdin as NodeJS.ReadableStream & { destroy?: () => void };
  stdin.pause();
  if (stdin === process.stdin) stdin.destroy?.();
}

/**
 * What `serve` on stdio does the same for one upstream (`serve-stdio.ts`) and for a stack of them
 * (`serve-stack.ts`): the gateway on stdin/stdout with the flags' options, and its life from start
 * to close under SIGTERM/SIGINT.
 */
import type { Clock } from "../../core/clock.js";
import type { ServeApprovals } from "../../gateway/approvals/serve-approvals.js";
import type { AuditLine } from "../../gateway/audit-log.js";
import { createGateway, type Gateway, type GatewayClosed, type GatewayOptions } from "../../gateway/gateway.js";
import { InFlightBudget } from "../../gateway/in-flight-budget.js";
import type { Logger } from "../../gateway/logger.js";
import type { RecordingInput } from "../../gateway/recording.js";
import { StdioTransport } from "../../transports/stdio-transport.js";
import type { CommandIo } from "../args.js";
import type { ServeConfig } from "./serve-config.js";
import type { Telemetry } from "./telemetry.js";

export interface StdioGatewayParts {
  readonly config: ServeConfig;
  readonly io: CommandIo;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly approvals: ServeApprovals;
  readonly audit: ((line: AuditLine) => void) | undefined;
  readonly record: ((input: RecordingInput) => void) | undefined;
  readonly telemetry: Telemetry | undefined;
}

/** The gateway for the agent on stdin/stdout; `own` are the options that differ (policies, upstream, naming). */
export function openStdioGateway(parts: StdioGatewayParts, own: Pick<GatewayOptions, "policies" | "upstream"> & Partial<Pick<GatewayOptions, "naming" | "bridgeEras">>): Gateway {
  const { config, io, clock, logger, approvals, audit, record, telemetry } = parts;
  const downstream = new StdioTransport({ readable: io.stdin, writable: io.stdout, maxMessageBytes: config.maxMessageBytes, endWritableOnClose: false, writableOutlivesReadable: true });
  return createGateway({
    ...own,
    grantId: config.grantId,
    clock,
    store: approvals.counters,
    downstream,
    audit,
    ...(record ? { record } : {}),
    upstreamTimeoutMs: config.upstreamTimeoutMs,
    maxMessageBytes: config.maxMessageBytes,
    logger: logger.line,
    storeFailMode: config.storeFailMode,
    shadow: config.shadow,
    approvals: approvals.gate,
    approvalViaClient: config.approvalViaClient,
    budget: new InFlightBudget(config.maxInFlight),
    drainOnDownstreamClose: true,
    ...(telemetry ? { tracer: telemetry.tracer } : {}),
  });
}

/** Starts the gateway and waits until it closes (the agent hung up, the upstream went away, or a signal). */
export async function serveUntilClosed(gateway: Gateway): Promise<GatewayClosed> {
  const stopOnSignal = (): void => void gateway.close();
  process.once("SIGTERM", stopOnSignal);
  process.once("SIGINT", stopOnSignal);
  try {
    await gateway.start();
    return await gateway.closed;
  } finally {
    process.off("SIGTERM", stopOnSignal);
    process.off("SIGINT", stopOnSignal);
  }
}

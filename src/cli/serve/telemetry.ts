/**
 * OpenTelemetry for `toolgate serve`, configured by the standard `OTEL_*` environment variables:
 * on when an OTLP endpoint is set (`OTEL_EXPORTER_OTLP_ENDPOINT`, or `…_TRACES_ENDPOINT`), unless
 * `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`. Traces and metrics go out over OTLP/HTTP
 * with the official exporters (which read their own `OTEL_EXPORTER_OTLP_*` settings: headers,
 * timeouts, the metrics endpoint); `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES` name the
 * service (default `toolgate`); `OTEL_METRIC_EXPORT_INTERVAL` sets how often metrics go. W3C trace
 * context is the propagator. Off, nothing here is loaded.
 */
import type { CallTracer } from "../../gateway/tracing/call-trace.js";

export interface Telemetry {
  readonly tracer: CallTracer;
  /** Exports what is buffered and stops the exporters. */
  shutdown(): Promise<void>;
}

export function telemetryWanted(env: Record<string, string | undefined>): boolean {
  if (env.OTEL_SDK_DISABLED === "true" || env.OTEL_TRACES_EXPORTER === "none") return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

export async function startTelemetry(env: Record<string, string | undefined>, transport: "pipe" | "tcp", version: string): Promise<Telemetry | undefined> {
  if (!telemetryWanted(env)) return undefined;
  const [{ propagation }, { W3CTraceContextPropagator }, { TracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, { MeterProvider, PeriodicExportingMetricReader }, { OTLPMetricExporter }, { detectResources, envDetector, resourceFromAttributes }, { OtelCallTracer }] = await Promise.all([
    import("@opentelemetry/api"),
    import("@opentelemetry/core"),
    import("@opentelemetry/sdk-trace"),
    import("@opentelemetry/exporter-trace-otlp-http"),
    import("@opentelemetry/sdk-metrics"),
    import("@opentelemetry/exporter-metrics-otlp-http"),
    import("@opentelemetry/resources"),
    import("../../gateway/tracing/otel-call-tracer.js"),
  ]);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const resource = resourceFromAttributes({ "service.name": env.OTEL_SERVICE_NAME ?? "toolgate", "service.version": version }).merge(detectResources({ detectors: [envDetector] }));
  const tracerProvider = new TracerProvider({ resource, spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter() })] });
  const interval = Number(env.OTEL_METRIC_EXPORT_INTERVAL);
  const meterProvider = new MeterProvider({ resource, readers: [new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter(), ...(Number.isFinite(interval) && interval > 0 ? { exportIntervalMillis: interval } : {}) })] });
  const flush = async (): Promise<void> => {
    await Promise.allSettled([tracerProvider.forceFlush(), meterProvider.forceFlush()]);
  };
  const tracer = new OtelCallTracer({ tracer: tracerProvider.getTracer("toolgate", version), meter: meterProvider.getMeter("toolgate", version), transport, flush });
  return {
    tracer,
    async shutdown() {
      await Promise.allSettled([tracerProvider.shutdown(), meterProvider.shutdown()]);
    },
  };
}

/**
 * A loopback OTLP/HTTP receiver for the bench's OpenTelemetry path: it accepts every export
 * (`POST /v1/traces`, `/v1/metrics`) with an empty 200 answer (a valid, empty protobuf
 * `Export…ServiceResponse`) and counts what arrived, so the gateway pays the whole cost of
 * building, batching, encoding and sending spans, and nothing of a collector's.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface OtlpSink {
  /** `OTEL_EXPORTER_OTLP_ENDPOINT` for the gateway. */
  readonly endpoint: string;
  /** Exports received so far, by path, and their bytes. */
  counts(): { readonly exports: Readonly<Record<string, number>>; readonly bytes: number };
  close(): Promise<void>;
}

export async function startOtlpSink(): Promise<OtlpSink> {
  const exports: Record<string, number> = {};
  let bytes = 0;
  const server = createServer((req, res) => {
    req.on("data", (chunk: Buffer) => (bytes += chunk.length));
    req.on("end", () => {
      const path = (req.url ?? "/").split("?")[0]!;
      exports[path] = (exports[path] ?? 0) + 1;
      res.writeHead(200, { "content-type": String(req.headers["content-type"] ?? "application/x-protobuf"), "content-length": "0" }).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    counts: () => ({ exports: { ...exports }, bytes }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

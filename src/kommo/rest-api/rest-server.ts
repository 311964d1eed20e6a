/**
 * Serves a fake Kommo on a loopback port over HTTP, or HTTPS with a PEM certificate and key, so a
 * real Kommo MCP server (which insists on `https://`) can be pointed at it.
 */
import { createServer as createHttpServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { FakeKommo } from "./fake-kommo.js";
import { messageOf } from "../../core/errors.js";

export interface KommoRestServerOptions {
  host: string;
  port: number;
  tls?: { cert: string; key: string };
}

export interface KommoRestServer {
  /** e.g. `https://127.0.0.1:54321` (no trailing slash). */
  url: string;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function toHeaders(req: IncomingMessage): Headers {
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
  return headers;
}

async function serve(fake: FakeKommo, origin: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const aborter = new AbortController();
  res.on("close", () => {
    if (!res.writableFinished) aborter.abort(new DOMException("The client closed the connection.", "AbortError"));
  });
  const method = (req.method ?? "GET").toUpperCase();
  const body = method === "GET" || method === "HEAD" ? undefined : await readBody(req);
  const request = new Request(new URL(req.url ?? "/", origin), {
    method,
    headers: toHeaders(req),
    body: body && body.length > 0 ? new Uint8Array(body) : null,
    signal: aborter.signal,
  });
  let response: Response;
  try {
    response = await fake.handle(request);
  } catch (error) {
    if (aborter.signal.aborted) return;
    res.writeHead(500, { "content-type": "text/plain" }).end(`fake kommo failed: ${messageOf(error)}`);
    return;
  }
  const headers: Record<string, string> = {};
  response.headers.forEach((value, key) => {
    headers[key] = value;
  });
  const payload = Buffer.from(await response.arrayBuffer());
  if (payload.length > 0) headers["content-length"] = String(payload.length);
  res.writeHead(response.status, headers).end(payload);
}

export function startKommoRestServer(fake: FakeKommo, opts: KommoRestServerOptions): Promise<KommoRestServer> {
  const scheme = opts.tls ? "https" : "http";
  let origin = "";
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    serve(fake, origin, req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end(`fake kommo failed: ${messageOf(error)}`);
    });
  };
  const server: Server = opts.tls ? createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key }, listener) : createHttpServer(listener);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => {
      server.off("error", reject);
      const { port } = server.address() as AddressInfo;
      const host = opts.host.includes(":") ? `[${opts.host}]` : opts.host;
      origin = `${scheme}://${host}:${port}`;
      resolve({
        url: origin,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

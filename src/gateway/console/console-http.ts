/**
 * HTTP plumbing of the console: security headers on every answer (a strict Content-Security-Policy
 * with no inline script or style, no framing, no referrer, no sniffing), JSON bodies read with a
 * size cap, and the same-origin check (the `Origin` of a state change must be this listener, and
 * `Host` must name a loopback address so a rebound DNS name cannot reach it).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { hostnameOfHost, isLoopbackHostname } from "../http/request-checks.js";

export const MAX_CONSOLE_BODY_BYTES = 256 * 1024;

export const CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function securityHeaders(response: ServerResponse): void {
  response.setHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY);
  response.setHeader("X-Content-Type-Options", "nosniff");
  response.setHeader("X-Frame-Options", "DENY");
  response.setHeader("Referrer-Policy", "no-referrer");
  response.setHeader("Cross-Origin-Opener-Policy", "same-origin");
  response.setHeader("Cross-Origin-Resource-Policy", "same-origin");
}

export function sendJson(response: ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  securityHeaders(response);
  response.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(text), "Cache-Control": "no-store" });
  response.end(text);
}

export function consoleError(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}

/** `HOST:PORT` of the request when it names a loopback host, else undefined. */
export function loopbackHost(request: IncomingMessage): string | undefined {
  const host = request.headers.host;
  if (host === undefined) return undefined;
  return isLoopbackHostname(hostnameOfHost(host)) ? host : undefined;
}

/** True when `Origin` is exactly this listener's origin (`http://` + the loopback `Host`). */
export function sameOrigin(request: IncomingMessage): boolean {
  const host = loopbackHost(request);
  const origin = request.headers.origin;
  return host !== undefined && origin === `http://${host}`;
}

export type BodyResult = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly status: number; readonly code: string; readonly message: string };

export function readJsonBody(request: IncomingMessage): Promise<BodyResult> {
  return new Promise((resolve, reject) => {
    const type = request.headers["content-type"] ?? "";
    if (!/^application\/json(\s*;|$)/i.test(type)) {
      request.resume();
      resolve({ ok: false, status: 415, code: "unsupported_media_type", message: `expected \`Content-Type: application/json\`, found \`${type}\`` });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    request.on("data", (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > MAX_CONSOLE_BODY_BYTES) {
        done = true;
        request.resume();
        resolve({ ok: false, status: 413, code: "body_too_large", message: `the request body is larger than ${MAX_CONSOLE_BODY_BYTES} bytes` });
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => {
      if (done) return;
      try {
        resolve({ ok: true, value: JSON.parse(Buffer.concat(chunks).toString("utf8")) });
      } catch {
        resolve({ ok: false, status: 400, code: "invalid_body", message: "the request body is not JSON" });
      }
    });
    request.on("error", reject);
  });
}

/**
 * The loopback admin API for approvals (docs/architecture.md#grants-approvals-and-audit), what `toolgate approvals` talks to:
 *
 *   GET  /approvals[?state=pending|approved|denied|used|expired]  → 200 {"approvals": [approval…]} newest first
 *   GET  /approvals/ID                                            → 200 {"approval": …} | 404
 *   POST /approvals/ID/approve   body {"by"?: string} (optional)  → 200 {"approval": …} | 404 | 409
 *   POST /approvals/ID/deny      body {"by"?: string} (optional)  → 200 {"approval": …} | 404 | 409
 *
 * Errors are `{"error": {"code", "message"}}` (409 also carries `approval`): `unauthorized` (401,
 * with `WWW-Authenticate: Bearer`), `forbidden` (403: a browser `Origin`, or a non-loopback peer),
 * `not_found`, `method_not_allowed`, `unknown_approval`, `approval_expired`, `approval_decided`,
 * `invalid_body`, `body_too_large`, `store_unavailable` (503).
 * Every request needs `Authorization: Bearer <admin token>`, checked (in constant time) before
 * anything else. It binds to loopback addresses only; requests from elsewhere are refused too.
 * The web console, once mounted, answers `/` and `/console/…` on the same listener with its own
 * sign-in (a session cookie, never the bearer header; see gateway/console/console-routes.ts).
 */
import type { ReadinessReport } from "../readiness.js";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { isIP } from "node:net";
import { z } from "zod";
import { GatewayError, messageOf } from "../../core/errors.js";
import { APPROVAL_STATES, type ApprovalDecision } from "../../stores/approval-store.js";
import { bearerMatches } from "./admin-token.js";
import type { ApprovalGate } from "./approval-gate.js";
import { approvalWire } from "./approval-wire.js";

const MAX_BODY_BYTES = 16 * 1024;
const DecideBodySchema = z.strictObject({ by: z.string().min(1).max(200).optional() });

export interface AdminServerOptions {
  readonly gate: ApprovalGate;
  readonly token: string;
  /** A loopback address: 127.0.0.1 (default), another 127.x.y.z, ::1 or localhost. */
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly log?: (line: object) => void;
  /** `GET /ready` (no token: loopback only, for a local probe); `GET /health` answers 200 alone. */
  readonly readiness?: () => Promise<ReadinessReport>;
}

/** Routes mounted beside the API (the console): true when the request was theirs and is answered. */
export interface AdminRoutes {
  handle(request: IncomingMessage, response: ServerResponse): Promise<boolean>;
}

export interface AdminServer {
  /** `http://HOST:PORT` */
  readonly url: string;
  readonly port: number;
  /** Serves the console's paths from now on (before that they are 404 like any unknown path). */
  mount(routes: AdminRoutes): void;
  close(): Promise<void>;
}

export function isLoopbackHost(host: string): boolean {
  if (host === "localhost") return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  if (isIP(host) === 6) return host === "::1";
  return false;
}

function isLoopbackPeer(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith("::ffff:") ? address.slice(7) : address;
  return isLoopbackHost(v4);
}

export async function startAdminServer(options: AdminServerOptions): Promise<AdminServer> {
  const host = options.host ?? "127.0.0.1";
  if (!isLoopbackHost(host)) {
    throw new GatewayError("USAGE", `the approvals admin API listens on loopback only; found host \`${host}\`, expected 127.0.0.1, ::1 or localhost`);
  }
  let mounted: AdminRoutes | undefined;
  const server: Server = createServer((request, response) => {
    handle(options, mounted, request, response).catch((error: unknown) => {
      options.log?.({ level: "error", event: "admin_api_error", message: messageOf(error) });
      if (!response.headersSent) send(response, 500, { error: { code: "internal", message: "the admin API could not handle this request" } });
      else response.destroy();
    });
  });
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new GatewayError("INTERNAL", "the admin API server has no TCP address");
  const urlHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${urlHost}:${address.port}`,
    port: address.port,
    mount: (routes) => void (mounted = routes),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(options: AdminServerOptions, mounted: AdminRoutes | undefined, request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (!isLoopbackPeer(request.socket.remoteAddress)) return send(response, 403, error("forbidden", "the admin API answers loopback clients only"));
  const probe = (request.url ?? "/").split("?")[0];
  if (request.method === "GET" && probe === "/health") return send(response, 200, { status: "ok" });
  if (request.method === "GET" && probe === "/ready" && options.readiness !== undefined) {
    const report = await options.readiness();
    return send(response, report.ready ? 200 : 503, { status: report.ready ? "ready" : "not_ready", checks: report.checks });
  }
  if (mounted !== undefined && (await mounted.handle(request, response))) return;
  if (!bearerMatches(request.headers.authorization, options.token)) {
    response.setHeader("WWW-Authenticate", 'Bearer realm="toolgate-admin"');
    return send(response, 401, error("unauthorized", "the admin API needs `Authorization: Bearer <admin token>`"));
  }
  if (request.headers.origin !== undefined) return send(response, 403, error("forbidden", "the admin API refuses requests from browsers (an `Origin` header was sent)"));
  const url = new URL(request.url ?? "/", "http://admin.invalid");
  const parts = url.pathname.split("/").filter((p) => p !== "");
  if (parts[0] !== "approvals" || parts.length > 3) return send(response, 404, error("not_found", `no route \`${url.pathname}\`; expected /approvals, /approvals/ID, /approvals/ID/approve or /approvals/ID/deny`));
  const method = request.method ?? "GET";
  const gate = options.gate;
  try {
    if (parts.length === 1) {
      if (method !== "GET") return notAllowed(response, "GET");
      const state = url.searchParams.get("state");
      if (state !== null && !(APPROVAL_STATES as readonly string[]).includes(state)) return send(response, 400, error("invalid_query", `query \`state\`: found \`${state}\`, expected one of ${APPROVAL_STATES.join(", ")}`));
      const records = await gate.list();
      return send(response, 200, { approvals: records.filter((r) => state === null || r.state === state).map(approvalWire) });
    }
    let id: string;
    try {
      id = decodeURIComponent(parts[1]!);
    } catch {
      return send(response, 400, error("invalid_path", `the approval id in \`${url.pathname}\` is not valid percent-encoding`));
    }
    if (parts.length === 2) {
      if (method !== "GET") return notAllowed(response, "GET");
      const record = await gate.get(id);
      return record === undefined ? send(response, 404, error("unknown_approval", `no approval \`${id}\``)) : send(response, 200, { approval: approvalWire(record) });
    }
    const action = parts[2];
    if (action !== "approve" && action !== "deny") return send(response, 404, error("not_found", `no route \`${url.pathname}\`; expected /approvals/ID/approve or /approvals/ID/deny`));
    if (method !== "POST") return notAllowed(response, "POST");
    const body = await readBody(request);
    if (body === "too_large") return send(response, 413, error("body_too_large", `the request body is larger than ${MAX_BODY_BYTES} bytes`));
    let by: string | undefined;
    if (body.trim() !== "") {
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        return send(response, 400, error("invalid_body", "the request body is not JSON; expected {\"by\"?: string}"));
      }
      const parsed = DecideBodySchema.safeParse(json);
      if (!parsed.success) return send(response, 400, error("invalid_body", parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")));
      by = parsed.data.by;
    }
    const decision: ApprovalDecision = action === "approve" ? "approved" : "denied";
    const result = await gate.decide(id, decision, by);
    if (result.ok) {
      options.log?.({ level: "info", event: "approval_decided", approvalId: id, decision, ...(by === undefined ? {} : { by }) });
      return send(response, 200, { approval: approvalWire(result.record) });
    }
    switch (result.reason) {
      case "unknown":
        return send(response, 404, error("unknown_approval", `no approval \`${id}\``));
      case "expired":
        return send(response, 409, { ...error("approval_expired", `approval \`${id}\` expired at ${new Date(result.record.expiresAtMs).toISOString()}; the agent's next identical call asks again`), approval: approvalWire(result.record) });
      case "decided":
        return send(response, 409, { ...error("approval_decided", `approval \`${id}\` is already ${result.record.state}`), approval: approvalWire(result.record) });
    }
  } catch (cause) {
    if (cause instanceof GatewayError && cause.code === "STORE_UNAVAILABLE") return send(response, 503, error("store_unavailable", cause.message));
    throw cause;
  }
}

function readBody(request: IncomingMessage): Promise<string | "too_large"> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        resolve("too_large");
        request.resume();
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

function error(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}

function notAllowed(response: ServerResponse, allow: string): void {
  response.setHeader("Allow", allow);
  send(response, 405, error("method_not_allowed", `expected ${allow}`));
}

function send(response: ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text), "Cache-Control": "no-store" });
  response.end(text);
}

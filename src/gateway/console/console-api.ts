/**
 * The console's JSON API behind sign-in (the routes are listed in console-routes.ts):
 *
 *   GET  approvals                       pending first, then the latest decided; argument keys from the call
 *   POST approvals/ID/approve|deny       {"reason"?} decided by `console:<user>`, audited with the reason
 *   GET  servers[?grant=G&refresh=1]     the upstream (probed on its own connection) and every tool's state
 *   GET  counters[?grant=G]              every limit of the grant's policy with its level and reset
 *   GET  policy[?file=N]                 a policy file, its SHA-256 and the files the console may edit
 *   POST policy/check {file, text}       issues at their paths and the diff against the file
 *   POST policy/save {file, text, baseSha256}   200 saved | 409 changed meanwhile (with the diff) | 422 invalid
 *   GET  activity[?grant&server&tool&decision&code&limit]   recent audit lines
 *   GET  activity/stream[?filters]       server-sent events, one `line` event per audit line
 *   GET  decisions/ID                    the audit record of a decision and its approval steps
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import type { Clock } from "../../core/clock.js";
import { GatewayError, messageOf } from "../../core/errors.js";
import type { CounterStore } from "../../stores/counter-store.js";
import type { ApprovalGate } from "../approvals/approval-gate.js";
import { approvalWire } from "../approvals/approval-wire.js";
import type { PolicySource } from "../policy-source.js";
import { FILTER_KEYS, matches, type ActivityFilter, type ActivityHub } from "./activity-hub.js";
import { consoleError, readJsonBody, securityHeaders, sendJson } from "./console-http.js";
import type { ConsoleSession } from "./console-sessions.js";
import type { PolicyEditor } from "./policy-editor.js";
import { toolViews } from "./tool-states.js";
import type { ProbeResult } from "./upstream-probe.js";

export interface ConsoleDeps {
  readonly clock: Clock;
  readonly gate: ApprovalGate;
  readonly hub: ActivityHub;
  readonly counters: CounterStore;
  readonly policies: PolicySource;
  readonly grants: () => readonly string[];
  /** Every upstream server: its policy key (`""` for a single upstream), its label and a fresh look at it. */
  readonly servers: readonly ConsoleServer[];
  readonly editor: PolicyEditor;
  /** `--console-show-args`: the queue shows the asking call's argument values (redacted). */
  readonly showArgs?: boolean;
}

export interface ConsoleServer {
  /** The server's name in the policy table and counter keys (`""` behind a single-upstream gateway). */
  readonly name: string;
  /** What the page calls it: the stack's server name, or the upstream's command or URL. */
  readonly label: string;
  readonly probe: () => Promise<ProbeResult>;
}

const DecideSchema = z.strictObject({ reason: z.string().max(500).optional() });
const CheckSchema = z.strictObject({ file: z.number().int().min(0), text: z.string() });
const SaveSchema = z.strictObject({ file: z.number().int().min(0), text: z.string(), baseSha256: z.string().regex(/^[0-9a-f]{64}$/) });
const DECIDED_SHOWN = 50;
/** A probe result is reused for this long unless the page asks for a refresh. */
const PROBE_REUSE_MS = 30_000;

const probeCache = new WeakMap<ConsoleServer, { atMs: number; result: Promise<ProbeResult> }>();

export async function handleApi(deps: ConsoleDeps, session: ConsoleSession, route: string, url: URL, method: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const parts = route.split("/");
  const get = method === "GET" || method === "HEAD";
  const wrongMethod = (allow: string): void => {
    response.setHeader("Allow", allow);
    sendJson(response, 405, consoleError("method_not_allowed", `expected ${allow}`));
  };
  try {
    if (parts[0] === "approvals" && parts.length === 1) return get ? await listApprovals(deps, response) : wrongMethod("GET");
    if (parts[0] === "approvals" && parts.length === 3 && (parts[2] === "approve" || parts[2] === "deny")) return method === "POST" ? await decide(deps, session, decodeURIComponent(parts[1]!), parts[2], request, response) : wrongMethod("POST");
    if (route === "servers") return get ? await servers(deps, url, response) : wrongMethod("GET");
    if (route === "counters") return get ? await counters(deps, url, response) : wrongMethod("GET");
    if (route === "policy") return get ? await readPolicy(deps, url, response) : wrongMethod("GET");
    if (route === "policy/check") return method === "POST" ? await checkPolicy(deps, request, response) : wrongMethod("POST");
    if (route === "policy/save") return method === "POST" ? await savePolicy(deps, request, response) : wrongMethod("POST");
    if (route === "activity") return get ? activity(deps, url, response) : wrongMethod("GET");
    if (route === "activity/stream") return get ? stream(deps, url, request, response) : wrongMethod("GET");
    if (parts[0] === "decisions" && parts.length === 2) return get ? decisionRecord(deps, decodeURIComponent(parts[1]!), response) : wrongMethod("GET");
    return sendJson(response, 404, consoleError("not_found", `no console API route \`${route}\``));
  } catch (cause) {
    if (cause instanceof URIError) return sendJson(response, 400, consoleError("invalid_path", `\`${route}\` is not valid percent-encoding`));
    if (cause instanceof GatewayError && cause.code === "STORE_UNAVAILABLE") return sendJson(response, 503, consoleError("store_unavailable", cause.message));
    throw cause;
  }
}

async function listApprovals(deps: ConsoleDeps, response: ServerResponse): Promise<void> {
  const records = await deps.gate.list();
  const pending = records.filter((r) => r.state === "pending");
  const decided = records.filter((r) => r.state !== "pending").slice(0, DECIDED_SHOWN);
  const view = (r: (typeof records)[number]) => ({
    ...approvalWire(r),
    server: deps.servers.find((s) => s.name === deps.hub.serverOf(r.tool))?.label ?? deps.hub.serverOf(r.tool),
    argKeys: deps.hub.argKeysOf(r.id) ?? null,
    ...(deps.showArgs ? { args: deps.hub.argsOf(r.id) ?? null } : {}),
    expiresAtMs: r.expiresAtMs,
    createdAtMs: r.createdAtMs,
  });
  sendJson(response, 200, { nowMs: deps.clock.nowMs(), pending: pending.map(view), decided: decided.map(view) });
}

async function decide(deps: ConsoleDeps, session: ConsoleSession, id: string, action: "approve" | "deny", request: IncomingMessage, response: ServerResponse): Promise<void> {
  const body = await readJsonBody(request);
  if (!body.ok) return sendJson(response, body.status, consoleError(body.code, body.message));
  const parsed = DecideSchema.safeParse(body.value);
  if (!parsed.success) return sendJson(response, 400, consoleError("invalid_body", zodMessage(parsed.error)));
  const reason = parsed.data.reason?.trim() || undefined;
  const result = await deps.gate.decide(id, action === "approve" ? "approved" : "denied", `console:${session.user}`, reason);
  if (result.ok) return sendJson(response, 200, { approval: approvalWire(result.record) });
  switch (result.reason) {
    case "unknown":
      return sendJson(response, 404, consoleError("unknown_approval", `no approval \`${id}\``));
    case "expired":
      return sendJson(response, 409, { ...consoleError("approval_expired", `approval \`${id}\` expired`), approval: approvalWire(result.record) });
    case "decided":
      return sendJson(response, 409, { ...consoleError("approval_decided", `approval \`${id}\` is already ${result.record.state}`), approval: approvalWire(result.record) });
  }
}

function grantOf(deps: ConsoleDeps, url: URL, response: ServerResponse): string | undefined {
  const grants = deps.grants();
  const grant = url.searchParams.get("grant") ?? grants[0];
  if (grant === undefined || !grants.includes(grant)) {
    sendJson(response, 400, consoleError("unknown_grant", `query \`grant\`: found \`${grant ?? ""}\`, expected one of ${grants.join(", ")}`));
    return undefined;
  }
  return grant;
}

async function servers(deps: ConsoleDeps, url: URL, response: ServerResponse): Promise<void> {
  const grant = grantOf(deps, url, response);
  if (grant === undefined) return;
  const refresh = url.searchParams.get("refresh");
  if (refresh !== null && refresh !== "1") return sendJson(response, 400, consoleError("invalid_query", `query \`refresh\`: found \`${refresh}\`, expected 1`));
  const nowMs = deps.clock.nowMs();
  const views = await Promise.all(
    deps.servers.map(async (server) => {
      let cached = probeCache.get(server);
      if (cached === undefined || refresh === "1" || nowMs - cached.atMs > PROBE_REUSE_MS) {
        cached = { atMs: nowMs, result: server.probe() };
        probeCache.set(server, cached);
      }
      const probe = await cached.result;
      const policy = deps.policies.get(grant, server.name);
      const tools = policy === undefined ? [] : await toolViews(policy, grant, probe.state === "up" ? probe.tools : [], deps.counters, deps.clock, server.name);
      return { name: server.name, label: server.label, policyVersion: policy?.version ?? null, ...probe, checkedAtMs: cached.atMs, tools };
    }),
  );
  sendJson(response, 200, { nowMs, grants: deps.grants(), grant, servers: views });
}

async function counters(deps: ConsoleDeps, url: URL, response: ServerResponse): Promise<void> {
  const grant = grantOf(deps, url, response);
  if (grant === undefined) return;
  const seen = new Map<string, object>();
  for (const server of deps.servers) {
    const policy = deps.policies.get(grant, server.name);
    if (policy === undefined) continue;
    const views = await toolViews(policy, grant, [], deps.counters, deps.clock, server.name);
    for (const tool of views) for (const c of tool.counters) seen.set(c.key ?? `${server.name}|${c.scope}|${c.counter}`, { ...c, server: server.label, tools: views.filter((t) => t.counters.some((x) => x.rule === c.rule)).map((t) => t.name) });
  }
  sendJson(response, 200, { nowMs: deps.clock.nowMs(), grant, counters: [...seen.values()] });
}

function fileIndex(deps: ConsoleDeps, value: string | number | null, response: ServerResponse): number | undefined {
  const index = value === null ? 0 : Number(value);
  if (!Number.isInteger(index) || index < 0 || index >= deps.editor.files.length) {
    sendJson(response, 400, consoleError("unknown_file", `\`file\`: found \`${value}\`, expected a number from 0 to ${deps.editor.files.length - 1}`));
    return undefined;
  }
  return index;
}

async function readPolicy(deps: ConsoleDeps, url: URL, response: ServerResponse): Promise<void> {
  const index = fileIndex(deps, url.searchParams.get("file"), response);
  if (index === undefined) return;
  try {
    const view = await deps.editor.read(index);
    sendJson(response, 200, { index, files: deps.editor.files, ...view });
  } catch (error) {
    sendJson(response, 500, consoleError("unreadable_file", `cannot read the policy file: ${messageOf(error)}`));
  }
}

async function checkPolicy(deps: ConsoleDeps, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const body = await readJsonBody(request);
  if (!body.ok) return sendJson(response, body.status, consoleError(body.code, body.message));
  const parsed = CheckSchema.safeParse(body.value);
  if (!parsed.success) return sendJson(response, 400, consoleError("invalid_body", zodMessage(parsed.error)));
  const index = fileIndex(deps, parsed.data.file, response);
  if (index === undefined) return;
  sendJson(response, 200, await deps.editor.check(index, parsed.data.text));
}

async function savePolicy(deps: ConsoleDeps, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const body = await readJsonBody(request);
  if (!body.ok) return sendJson(response, body.status, consoleError(body.code, body.message));
  const parsed = SaveSchema.safeParse(body.value);
  if (!parsed.success) return sendJson(response, 400, consoleError("invalid_body", zodMessage(parsed.error)));
  const index = fileIndex(deps, parsed.data.file, response);
  if (index === undefined) return;
  const result = await deps.editor.save(index, parsed.data.text, parsed.data.baseSha256);
  switch (result.kind) {
    case "saved":
      return sendJson(response, 200, result);
    case "invalid":
      return sendJson(response, 422, { ...consoleError("invalid_policy", `the edit has ${result.issues.length} issue(s); nothing was written`), issues: result.issues });
    case "conflict":
      return sendJson(response, 409, { ...consoleError("file_changed", "the policy file changed since this edit began; nothing was written (your edit is kept in the page)"), current: result.current, diff: result.diff });
  }
}

function filterOf(url: URL, response: ServerResponse, allowed: readonly string[]): ActivityFilter | undefined {
  const filter: Record<string, string> = {};
  for (const [key, value] of url.searchParams) {
    if (!allowed.includes(key)) {
      sendJson(response, 400, consoleError("invalid_query", `unknown query parameter \`${key}\`; expected ${allowed.join(", ")}`));
      return undefined;
    }
    if (value !== "") filter[key] = value;
  }
  if (filter.decision !== undefined && filter.decision !== "allow" && filter.decision !== "deny") {
    sendJson(response, 400, consoleError("invalid_query", `query \`decision\`: found \`${filter.decision}\`, expected allow or deny`));
    return undefined;
  }
  return filter as ActivityFilter;
}

function activity(deps: ConsoleDeps, url: URL, response: ServerResponse): void {
  const filter = filterOf(url, response, [...FILTER_KEYS, "limit"]);
  if (filter === undefined) return;
  const limitText = (filter as Record<string, string>).limit ?? "200";
  const limit = Number(limitText);
  if (!/^\d+$/.test(limitText) || limit < 1 || limit > 2000) return sendJson(response, 400, consoleError("invalid_query", `query \`limit\`: found \`${limitText}\`, expected a whole number from 1 to 2000`));
  sendJson(response, 200, { lines: deps.hub.recent(filter, limit) });
}

function stream(deps: ConsoleDeps, url: URL, request: IncomingMessage, response: ServerResponse): void {
  const filter = filterOf(url, response, FILTER_KEYS);
  if (filter === undefined) return;
  securityHeaders(response);
  response.writeHead(200, { "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-store", Connection: "keep-alive" });
  response.write(": toolgate console activity\n\n");
  const unsubscribe = deps.hub.subscribe((line) => {
    if (matches(line, filter, deps.hub.serverOf)) response.write(`event: line\ndata: ${JSON.stringify(line)}\n\n`);
  });
  const stop = (): void => void unsubscribe();
  request.on("close", stop);
  response.on("close", stop);
}

function decisionRecord(deps: ConsoleDeps, id: string, response: ServerResponse): void {
  const found = deps.hub.record(id);
  if (found.decision === undefined && found.approvalSteps.length === 0) return sendJson(response, 404, consoleError("unknown_decision", `no decision \`${id}\` among the console's recent lines`));
  sendJson(response, 200, found);
}

function zodMessage(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
}

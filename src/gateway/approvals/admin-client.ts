/**
 * A client for the approvals admin API (`admin-server.ts`), used by `toolgate approvals`. Every
 * answer is parsed with the wire schema; failures are values that carry the API's error code.
 */
import { z } from "zod";
import type { Clock } from "../../core/clock.js";
import { ApprovalWireSchema, type ApprovalWire } from "./approval-wire.js";
import { messageOf } from "../../core/errors.js";

export const DEFAULT_ADMIN_TIMEOUT_MS = 10_000;
/** Where `toolgate approvals` looks when neither `--admin-url` nor `TOOLGATE_ADMIN_URL` is given. */
export const DEFAULT_ADMIN_URL = "http://127.0.0.1:7410";
export const ADMIN_URL_ENV = "TOOLGATE_ADMIN_URL";

export type AdminResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly status: number | undefined; readonly code: string; readonly message: string };

const ListSchema = z.object({ approvals: z.array(ApprovalWireSchema) });
const OneSchema = z.object({ approval: ApprovalWireSchema });
const ErrorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

export interface AdminClientOptions {
  /** `http://127.0.0.1:PORT` (a path prefix is kept). */
  readonly url: string;
  readonly token: string;
  readonly clock: Clock;
  readonly timeoutMs?: number;
}

export class AdminClient {
  constructor(private readonly options: AdminClientOptions) {}

  async list(state?: string): Promise<AdminResult<readonly ApprovalWire[]>> {
    const result = await this.request("GET", `/approvals${state === undefined ? "" : `?state=${encodeURIComponent(state)}`}`, undefined, ListSchema);
    return result.ok ? { ok: true, value: result.value.approvals } : result;
  }

  async get(id: string): Promise<AdminResult<ApprovalWire>> {
    const result = await this.request("GET", `/approvals/${encodeURIComponent(id)}`, undefined, OneSchema);
    return result.ok ? { ok: true, value: result.value.approval } : result;
  }

  async decide(id: string, action: "approve" | "deny", by?: string): Promise<AdminResult<ApprovalWire>> {
    const result = await this.request("POST", `/approvals/${encodeURIComponent(id)}/${action}`, by === undefined ? {} : { by }, OneSchema);
    return result.ok ? { ok: true, value: result.value.approval } : result;
  }

  private async request<T>(method: string, path: string, body: object | undefined, schema: z.ZodType<T>): Promise<AdminResult<T>> {
    const base = this.options.url.replace(/\/+$/, "");
    const controller = new AbortController();
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_ADMIN_TIMEOUT_MS;
    const timer = this.options.clock.setTimer(() => controller.abort(), timeoutMs);
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${base}${path}`, {
        method,
        headers: { Authorization: `Bearer ${this.options.token}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: controller.signal,
      });
      text = await response.text();
    } catch (error) {
      const cause = (error as { cause?: { message?: string } }).cause?.message;
      const message = controller.signal.aborted ? `no answer within ${timeoutMs} ms` : `${messageOf(error)}${cause ? ` (${cause})` : ""}`;
      return { ok: false, status: undefined, code: "unreachable", message: `the admin API at \`${base}\` could not be reached: ${message}` };
    } finally {
      timer.cancel();
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (!response.ok) {
      const parsed = ErrorSchema.safeParse(json);
      if (parsed.success) return { ok: false, status: response.status, ...parsed.data.error };
      return { ok: false, status: response.status, code: "http_error", message: `the admin API at \`${base}\` answered HTTP ${response.status}` };
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) return { ok: false, status: response.status, code: "bad_answer", message: `the admin API at \`${base}\` gave an unexpected answer: ${text.slice(0, 200)}` };
    return { ok: true, value: parsed.data };
  }
}

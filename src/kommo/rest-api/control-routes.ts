/**
 * Control routes for people pointing a real Kommo MCP server at the served fake (`--rest`):
 * `GET /__log`, `POST /__reset`, `GET|POST|DELETE /__faults`, `GET /__effects`. No token needed.
 */
import { z } from "zod";
import { jsonPath } from "../crm/seed-schema.js";
import type { EffectLog } from "../crm/effect-log.js";
import { parseFaultKey, type FaultInjector, type FaultSpec } from "./faults.js";
import type { RequestLog } from "./request-log.js";
import { messageOf } from "../../core/errors.js";

/** What the control routes reach of the fake API (the fake passes itself). */
export interface ControlTarget {
  readonly requests: RequestLog;
  readonly effects: EffectLog;
  readonly faults: FaultInjector;
  reset(): void;
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

const FaultBodySchema = z.record(
  z.string(),
  z.strictObject({
    status: z.number().int().min(200).max(599).optional(),
    headers: z.record(z.string(), z.string()).optional(),
    body: z.unknown().optional(),
    delayMs: z.number().nonnegative().optional(),
    latencyMs: z.number().nonnegative().optional(),
    answerLatencyMs: z.number().nonnegative().optional(),
    timeout: z.literal(true).optional(),
    times: z.number().int().positive().optional(),
  }),
);

async function setFaults(fake: ControlTarget, request: Request): Promise<Response> {
  let value: unknown;
  try {
    value = JSON.parse(await request.text());
  } catch {
    return json({ error: "found a body that is not JSON; expected {\"METHOD /path\": {status?, headers?, body?, delayMs?, timeout?, times?}}" }, 400);
  }
  const parsed = FaultBodySchema.safeParse(value);
  const issues = parsed.success ? [] : parsed.error.issues.map((i) => ({ path: jsonPath(i.path), message: i.message }));
  if (parsed.success) {
    for (const key of Object.keys(parsed.data)) {
      try {
        parseFaultKey(key);
      } catch (error) {
        issues.push({ path: key, message: messageOf(error) });
      }
    }
  }
  if (!parsed.success || issues.length > 0) return json({ error: "invalid faults", issues }, 400);
  for (const [key, spec] of Object.entries(parsed.data)) {
    const fault: { -readonly [K in keyof FaultSpec]: FaultSpec[K] } = {};
    if (spec.status !== undefined) fault.status = spec.status;
    if (spec.headers !== undefined) fault.headers = spec.headers;
    if (spec.body !== undefined) fault.body = spec.body;
    const latencyMs = spec.latencyMs ?? spec.delayMs;
    if (latencyMs !== undefined) fault.latencyMs = latencyMs;
    if (spec.answerLatencyMs !== undefined) fault.answerLatencyMs = spec.answerLatencyMs;
    if (spec.timeout) fault.timeout = true;
    if (spec.times !== undefined) fault.times = spec.times;
    fake.faults.set(key, fault);
  }
  return json({ faults: fake.faults.list() });
}

/** Answers a control route, or undefined when the path is not one. */
export async function handleControlRoute(fake: ControlTarget, request: Request, path: string): Promise<Response | undefined> {
  const method = request.method.toUpperCase();
  const route = `${method} ${path}`;
  switch (route) {
    case "GET /__log":
      return json(fake.requests.all());
    case "POST /__reset":
      fake.reset();
      return json({ reset: true });
    case "GET /__faults":
      return json({ faults: fake.faults.list() });
    case "POST /__faults":
      return setFaults(fake, request);
    case "DELETE /__faults":
      fake.faults.clear();
      return json({ faults: [] });
    case "GET /__effects":
      return json(fake.effects.all());
    default:
      return path.startsWith("/__") ? json({ error: `no control route \`${route}\`; expected GET /__log, POST /__reset, GET|POST|DELETE /__faults or GET /__effects` }, 404) : undefined;
  }
}

/**
 * Per-endpoint fault injection. A key is `"METHOD /path"` where path segments may be `:param` or
 * `*` (e.g. `"POST /api/v4/bots/:id/stop"`, `"GET /api/v4/leads"`, `"* /api/v4/leads"`). A fault
 * applies to requests that passed authentication and the rate limit, and replaces (status, timeout)
 * or delays (latency before the work, answer latency after it) the fake's own answer.
 */
import { pathMatches } from "./request-log.js";

export interface FaultSpec {
  /** Answer with this status instead (a problem+json body by default for >= 400, empty for 202/204). */
  readonly status?: number;
  /** Body to send with `status` (objects are JSON-encoded, strings sent as is). */
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** Wait this long on the fake's clock before answering. */
  readonly latencyMs?: number;
  /**
   * Do the work at once (the effect is recorded), then hold the answer this long on the fake's
   * clock, whether or not the caller gives up: a slow server that acted.
   */
  readonly answerLatencyMs?: number;
  /** Never answer: the request hangs until its AbortSignal fires, then the handler rejects. */
  readonly timeout?: true;
  /** Apply to the next `times` matching requests only (default: every request until cleared). */
  readonly times?: number;
}

interface ActiveFault {
  readonly key: string;
  readonly method: string;
  readonly path: string;
  readonly spec: FaultSpec;
  remaining: number;
}

export function parseFaultKey(key: string): { method: string; path: string } {
  const match = /^\s*(\*|[A-Za-z]+)\s+(\S+)\s*$/.exec(key);
  if (!match) throw new Error(`fault key \`${key}\` is not of the form \`METHOD /path\``);
  return { method: match[1]!.toUpperCase(), path: match[2]! };
}

export class FaultInjector {
  private faults: ActiveFault[] = [];

  /** Sets (or replaces) the fault for one endpoint key. */
  set(key: string, spec: FaultSpec): void {
    const { method, path } = parseFaultKey(key);
    const normalized = `${method} ${path}`;
    this.faults = this.faults.filter((f) => f.key !== normalized);
    this.faults.push({ key: normalized, method, path, spec: { ...spec }, remaining: spec.times ?? Number.POSITIVE_INFINITY });
  }

  /** Removes one endpoint's fault, or all faults. */
  clear(key?: string): void {
    if (key === undefined) {
      this.faults = [];
      return;
    }
    const { method, path } = parseFaultKey(key);
    this.faults = this.faults.filter((f) => f.key !== `${method} ${path}`);
  }

  /** The active faults with how many uses each has left (`null` = unlimited). */
  list(): { key: string; spec: FaultSpec; remaining: number | null }[] {
    return this.faults.map((f) => ({ key: f.key, spec: f.spec, remaining: Number.isFinite(f.remaining) ? f.remaining : null }));
  }

  /** The fault for this request, consuming one use; exact paths win over patterns. */
  take(method: string, path: string): FaultSpec | undefined {
    const candidates = this.faults.filter((f) => (f.method === "*" || f.method === method) && pathMatches(f.path, path));
    const fault = candidates.find((f) => f.path === path) ?? candidates[0];
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.faults = this.faults.filter((f) => f !== fault);
    return fault.spec;
  }
}

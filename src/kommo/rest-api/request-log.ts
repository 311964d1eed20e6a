/** Every REST request the fake received, in arrival order, with the status it answered. */
import type { QueryRecord } from "./query.js";

export interface LoggedRequest {
  /** Clock time of arrival. */
  readonly atMs: number;
  readonly method: string;
  readonly path: string;
  readonly query: QueryRecord;
  /** The parsed JSON body, or undefined when there was none or it was not JSON (see `bodyText`). */
  readonly body: unknown;
  /** The raw body text ("" when there was none). */
  readonly bodyText: string;
  /** Lowercased header names; `authorization` is kept. */
  readonly headers: Record<string, string>;
  /** The answered status; 0 while unanswered, or when the client gave up (a timeout fault). */
  status: number;
}

export interface RequestFilter {
  readonly method?: string;
  /** Exact path, or a pattern with `:param` segments such as `/api/v4/bots/:id/stop`. */
  readonly path?: string;
  readonly status?: number;
}

export function pathMatches(pattern: string, path: string): boolean {
  const a = pattern.split("/");
  const b = path.split("/");
  if (a.length !== b.length) return false;
  return a.every((segment, i) => segment === "*" || (segment.startsWith(":") && b[i] !== "") || segment === b[i]);
}

export class RequestLog {
  private readonly entries: LoggedRequest[] = [];

  record(entry: LoggedRequest): LoggedRequest {
    this.entries.push(entry);
    return entry;
  }

  all(filter: RequestFilter = {}): LoggedRequest[] {
    return this.entries.filter(
      (e) =>
        (filter.method === undefined || e.method === filter.method.toUpperCase()) &&
        (filter.path === undefined || pathMatches(filter.path, e.path)) &&
        (filter.status === undefined || e.status === filter.status),
    );
  }

  count(filter: RequestFilter = {}): number {
    return this.all(filter).length;
  }

  last(filter: RequestFilter = {}): LoggedRequest | undefined {
    const matching = this.all(filter);
    return matching[matching.length - 1];
  }

  get size(): number {
    return this.entries.length;
  }

  clear(): void {
    this.entries.length = 0;
  }
}

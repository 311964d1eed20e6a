/**
 * Kommo's wire answers: HAL JSON for success, RFC 7807 problem+json for errors, empty bodies for
 * 202/204. Every response the fake sends is built here.
 */

export const HAL_JSON = "application/hal+json";
export const PROBLEM_JSON = "application/problem+json";

const REASONS: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  402: "Payment Required",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

export function reasonPhrase(status: number): string {
  return REASONS[status] ?? (status >= 500 ? "Server Error" : "Error");
}

/** One entry of Kommo's `validation-errors[].errors[]`. */
export interface FieldError {
  readonly code: string;
  readonly path: string;
  readonly detail: string;
}

/** Errors of one element of a (batch) request body; `request_id` is the element's index or its own request_id. */
export interface RequestErrors {
  readonly request_id: string;
  readonly errors: readonly FieldError[];
}

export function problemBody(status: number, detail: string): Record<string, unknown> {
  return { title: reasonPhrase(status), type: `https://httpstatus.es/${status}`, status, detail };
}

export function problem(status: number, detail: string, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(problemBody(status, detail)), { status, headers: { "content-type": PROBLEM_JSON, ...headers } });
}

export function validationProblem(errors: readonly RequestErrors[]): Response {
  const body = { ...problemBody(400, "Request validation failed"), "validation-errors": errors };
  return new Response(JSON.stringify(body), { status: 400, headers: { "content-type": PROBLEM_JSON } });
}

/** A 400 for a single request (non-batch): one element with request_id "0". */
export function fieldProblem(...errors: FieldError[]): Response {
  return validationProblem([{ request_id: "0", errors }]);
}

export function hal(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": HAL_JSON } });
}

/** 202/204: no body at all (Kommo documents these as text/html with an empty body). */
export function empty(status: 202 | 204): Response {
  return new Response(null, { status });
}

/** Thrown inside route handlers to answer early with a ready response. */
export class HttpAnswer extends Error {
  readonly response: Response;
  constructor(response: Response) {
    super(`http ${response.status}`);
    this.name = "HttpAnswer";
    this.response = response;
  }
}

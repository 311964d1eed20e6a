/** Local failures: thrown, never serialized onto the wire. Wire answers live in `protocol/`. */
export type GatewayErrorCode =
  | "CONFIG_INVALID"
  | "USAGE"
  | "UPSTREAM_CLOSED"
  | "UPSTREAM_TIMEOUT"
  | "UPSTREAM_UNREACHABLE"
  | "STORE_UNAVAILABLE"
  | "PROTOCOL"
  | "INTERNAL";

export class GatewayError extends Error {
  readonly code: GatewayErrorCode;

  constructor(code: GatewayErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "GatewayError";
    this.code = code;
  }
}

/** An issue found while validating input from the edge (file, JSON path, what was found/expected). */
export interface Issue {
  /** JSON path such as `tools.stop_salesbot.limits[0].window`, or "" for the root. */
  readonly path: string;
  readonly message: string;
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly issues: readonly Issue[] };

/** `file: path: message` lines, one per issue. */
export function formatIssues(file: string, issues: readonly Issue[]): string {
  return issues.map((i) => `${file}: ${i.path === "" ? "(root)" : i.path}: ${i.message}`).join("\n");
}

export function assertNever(value: never, what = "value"): never {
  throw new GatewayError("INTERNAL", `unexpected ${what}: ${JSON.stringify(value)}`);
}

/** The message of anything thrown: an `Error`'s message, or the thrown value as text. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The stack of anything thrown (an `Error`'s stack trace), or the thrown value as text. */
export function stackOf(error: unknown): string {
  const stack = error !== null && typeof error === "object" && "stack" in error ? error.stack : undefined;
  return typeof stack === "string" ? stack : String(error);
}

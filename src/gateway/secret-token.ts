/**
 * A bearer token of the gateway's own (the approvals admin API's, `/metrics`'), never a grant
 * token: read from a file (`--…-token-file`) or an environment variable, checked for length and
 * shape, compared in constant time, never logged.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { messageOf } from "../core/errors.js";

/** Tokens shorter than this are refused. */
export const MIN_SECRET_TOKEN_LENGTH = 16;

export type SecretTokenResult = { readonly ok: true; readonly token: string } | { readonly ok: false; readonly message: string };

/** Where a token comes from and how messages name it (`admin`, `metrics`). */
export interface SecretTokenSource {
  readonly what: string;
  readonly flag: string;
  readonly envName: string;
}

/** The token from `file` (whitespace around it trimmed) or else from the environment; `required: false` lets neither be set. */
export function readSecretToken(source: SecretTokenSource, file: string | undefined, env: Record<string, string | undefined>, required = true): SecretTokenResult | undefined {
  let token: string | undefined;
  let where: string;
  if (file !== undefined) {
    where = `${source.what} token file \`${file}\``;
    try {
      token = readFileSync(file, "utf8").trim();
    } catch (error) {
      return { ok: false, message: `${where} cannot be read: ${messageOf(error)}` };
    }
  } else {
    where = `environment variable ${source.envName}`;
    token = env[source.envName]?.trim();
    if (token === undefined || token === "") return required ? { ok: false, message: `no ${source.what} token: give \`${source.flag} FILE\` or set ${source.envName}` } : undefined;
  }
  if (token.length < MIN_SECRET_TOKEN_LENGTH) return { ok: false, message: `${where} holds a token of ${token.length} characters; expected at least ${MIN_SECRET_TOKEN_LENGTH}` };
  if (/\s/.test(token)) return { ok: false, message: `${where} holds a token with whitespace inside; expected one word` };
  return { ok: true, token };
}

/** Constant-time comparison of a presented `Authorization` header with the expected token. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const presented = header?.startsWith("Bearer ") ? header.slice(7).trim() : "";
  const a = createHash("sha256").update(presented).digest();
  const b = createHash("sha256").update(token).digest();
  return timingSafeEqual(a, b) && presented !== "";
}

/**
 * The admin API's own bearer token (never a grant token): read from `--admin-token-file` or the
 * environment variable `TOOLGATE_ADMIN_TOKEN`, compared in constant time, never logged.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { messageOf } from "../../core/errors.js";

export const ADMIN_TOKEN_ENV = "TOOLGATE_ADMIN_TOKEN";
/** Tokens shorter than this are refused: the API can let calls through. */
export const MIN_ADMIN_TOKEN_LENGTH = 16;

export type AdminTokenResult = { readonly ok: true; readonly token: string } | { readonly ok: false; readonly message: string };

/** The token from `file` (whitespace around it trimmed) or else from `env`. */
export function readAdminToken(file: string | undefined, env: Record<string, string | undefined>): AdminTokenResult {
  let token: string | undefined;
  let where: string;
  if (file !== undefined) {
    where = `admin token file \`${file}\``;
    try {
      token = readFileSync(file, "utf8").trim();
    } catch (error) {
      return { ok: false, message: `${where} cannot be read: ${messageOf(error)}` };
    }
  } else {
    where = `environment variable ${ADMIN_TOKEN_ENV}`;
    token = env[ADMIN_TOKEN_ENV]?.trim();
    if (token === undefined || token === "") return { ok: false, message: `no admin token: give \`--admin-token-file FILE\` or set ${ADMIN_TOKEN_ENV}` };
  }
  if (token.length < MIN_ADMIN_TOKEN_LENGTH) return { ok: false, message: `${where} holds a token of ${token.length} characters; expected at least ${MIN_ADMIN_TOKEN_LENGTH}` };
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

/**
 * The admin API's own bearer token (never a grant token): read from `--admin-token-file` or the
 * environment variable `TOOLGATE_ADMIN_TOKEN`, compared in constant time, never logged
 * (`secret-token.ts` does the reading and comparing).
 */
import { MIN_SECRET_TOKEN_LENGTH, readSecretToken, type SecretTokenResult } from "../secret-token.js";

export { bearerMatches } from "../secret-token.js";

export const ADMIN_TOKEN_ENV = "TOOLGATE_ADMIN_TOKEN";
/** Tokens shorter than this are refused: the API can let calls through. */
export const MIN_ADMIN_TOKEN_LENGTH = MIN_SECRET_TOKEN_LENGTH;

export type AdminTokenResult = SecretTokenResult;

/** The token from `file` (whitespace around it trimmed) or else from `env`. */
export function readAdminToken(file: string | undefined, env: Record<string, string | undefined>): AdminTokenResult {
  return readSecretToken({ what: "admin", flag: "--admin-token-file", envName: ADMIN_TOKEN_ENV }, file, env)!;
}

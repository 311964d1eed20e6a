/**
 * Who may read `/metrics`. Tool names and decision counts are not for every agent: on a listener
 * with grants, `/metrics` needs the metrics token (`--metrics-token-file` or
 * `TOOLGATE_METRICS_TOKEN`, never a grant token) and is off without one; on a loopback listener
 * without grants it is open unless a metrics token is given. A refusal carries no metric.
 */
import { SERVER_ERROR } from "../../protocol/wire-errors.js";
import { bearerMatches, type SecretTokenSource } from "../secret-token.js";
import type { HttpRefusal } from "./http-refusal.js";

export const METRICS_TOKEN_ENV = "TOOLGATE_METRICS_TOKEN";
export const METRICS_TOKEN_SOURCE: SecretTokenSource = { what: "metrics", flag: "--metrics-token-file", envName: METRICS_TOKEN_ENV };

export type MetricsAccess = { readonly kind: "open" } | { readonly kind: "token"; readonly token: string } | { readonly kind: "off" };

/** Open without grants, else the token when there is one, else off. */
export function metricsAccessFor(grants: boolean, token: string | undefined): MetricsAccess {
  if (token !== undefined) return { kind: "token", token };
  return grants ? { kind: "off" } : { kind: "open" };
}

export function metricsGuard(authorization: string | undefined, access: MetricsAccess): HttpRefusal | undefined {
  switch (access.kind) {
    case "open":
      return undefined;
    case "off":
      return {
        status: 403,
        code: SERVER_ERROR,
        message: `forbidden: \`/metrics\` is off on a listener with grants; start the gateway with \`--metrics-token-file FILE\` (or ${METRICS_TOKEN_ENV}) and scrape with \`Authorization: Bearer <metrics token>\``,
      };
    case "token": {
      if (bearerMatches(authorization, access.token)) return undefined;
      const missing = authorization === undefined;
      return {
        status: 401,
        code: SERVER_ERROR,
        message: missing ? "unauthorized: `/metrics` needs `Authorization: Bearer <metrics token>`" : "unauthorized: the bearer token is not the metrics token",
        headers: { "www-authenticate": missing ? 'Bearer realm="toolgate-metrics"' : 'Bearer realm="toolgate-metrics", error="invalid_token"' },
      };
    }
  }
}

/** A small route table: `METHOD /api/v4/leads/:id`, where `:id`/`:x_id` match digits and `:entity` leads|contacts|companies. */
import type { Clock } from "../../core/clock.js";
import type { CrmStore } from "../crm/crm-store.js";
import type { EffectLog } from "../crm/effect-log.js";

export interface RouteContext {
  readonly crm: CrmStore;
  readonly effects: EffectLog;
  readonly clock: Clock;
  readonly url: URL;
  readonly params: Readonly<Record<string, string>>;
  /** The parsed JSON body; undefined when the request had none. */
  readonly body: unknown;
}

export interface Route {
  readonly method: string;
  readonly pattern: string;
  readonly handle: (ctx: RouteContext) => Response | Promise<Response>;
}

const DIGITS = /^\d+$/;
const PARAM_SHAPES: Record<string, RegExp> = {
  entity: /^(leads|contacts|companies)$/,
};

function matchPattern(pattern: string, path: string): Record<string, string> | undefined {
  const a = pattern.split("/");
  const b = path.replace(/\/+$/, "").split("/");
  if (a.length !== b.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < a.length; i++) {
    const segment = a[i]!;
    const actual = b[i]!;
    if (segment.startsWith(":")) {
      const name = segment.slice(1);
      const shape = PARAM_SHAPES[name] ?? (name === "id" || name.endsWith("_id") ? DIGITS : /^[^/]+$/);
      if (!shape.test(actual)) return undefined;
      params[name] = actual;
    } else if (segment !== actual) {
      return undefined;
    }
  }
  return params;
}

export type RouteMatch =
  | { readonly kind: "found"; readonly route: Route; readonly params: Record<string, string> }
  | { readonly kind: "method-not-allowed"; readonly allowed: readonly string[] }
  | { readonly kind: "not-found" };

export function matchRoute(routes: readonly Route[], method: string, path: string): RouteMatch {
  const allowed: string[] = [];
  for (const route of routes) {
    const params = matchPattern(route.pattern, path);
    if (!params) continue;
    if (route.method === method) return { kind: "found", route, params };
    allowed.push(route.method);
  }
  return allowed.length > 0 ? { kind: "method-not-allowed", allowed } : { kind: "not-found" };
}

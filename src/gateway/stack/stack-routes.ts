/**
 * Which one server of a stack a request is for, and its params under that server's own names:
 * `tools/call` and `prompts/get` by name, `resources/read|subscribe|unsubscribe` by URI,
 * `completion/complete` by its reference. Any other method is not routed (several servers could
 * answer it, or none).
 */
import { isJsonObject, type JsonObject } from "../../protocol/messages.js";
import { INVALID_PARAMS, METHOD_NOT_FOUND } from "../../protocol/wire-errors.js";
import type { StackNaming } from "./stack-naming.js";

export type Route = { readonly server: string; readonly routedParams: JsonObject | undefined } | { readonly error: string; readonly code: number };

/** The one server a request is for, and its params under that server's own names. */
export function routeToServer(naming: StackNaming, method: string, params: JsonObject | undefined): Route {
  const by = (kind: "tool" | "prompt" | "resource", exposed: unknown, rewrite: (name: string) => JsonObject): Route => {
    if (typeof exposed !== "string") return { error: `\`${method}\` needs a ${kind === "resource" ? "`uri`" : "`name`"} string`, code: INVALID_PARAMS };
    const routed = naming.split(kind, exposed);
    if (routed === undefined) return { error: `no server of this gateway has the ${kind} \`${exposed}\``, code: INVALID_PARAMS };
    return { server: routed.server, routedParams: rewrite(routed.name) };
  };
  switch (method) {
    case "tools/call":
      return by("tool", params?.name, (name) => ({ ...params, name }));
    case "prompts/get":
      return by("prompt", params?.name, (name) => ({ ...params, name }));
    case "resources/read":
    case "resources/subscribe":
    case "resources/unsubscribe":
      return by("resource", params?.uri, (uri) => ({ ...params, uri }));
    case "completion/complete": {
      const ref = isJsonObject(params?.ref) ? params.ref : undefined;
      if (ref?.type === "ref/prompt") return by("prompt", ref.name, (name) => ({ ...params, ref: { ...ref, name } }));
      return by("resource", ref?.uri, (uri) => ({ ...params, ref: { ...ref, uri } }));
    }
    default:
      return { error: `method \`${method}\` is not routed to a server by this gateway (several servers are behind it)`, code: METHOD_NOT_FOUND };
  }
}

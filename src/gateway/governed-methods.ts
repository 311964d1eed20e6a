/**
 * Which client requests the policy governs, and as what (docs/architecture.md#decision-order).
 * Every method that reaches a server is decided, not only `tools/call`:
 *
 * | method | governed as |
 * |---|---|
 * | `tools/call` | the tool `params.name` (arguments checked against its `inputSchema`) |
 * | `resources/read` | the resource `params.uri` (exact key, else the first matching URI template) |
 * | `resources/subscribe`, `resources/unsubscribe` | reaching the resource `params.uri` |
 * | `prompts/get` | the prompt `params.name`, its arguments as `args` |
 * | `completion/complete` | reaching the prompt (`ref/prompt`) or resource (`ref/resource`) it completes |
 * | `tools/list`, `resources/list`, `resources/templates/list`, `prompts/list` | forwarded; the answer is filtered |
 * | `initialize`, `server/discover`, `ping`, `logging/setLevel` | the protocol itself: passed |
 * | anything else (e.g. the tasks extension's `tasks/get`) | the method, its params as `args` (`methods` rules; `default` applies) |
 *
 * "Reaching" is decided by steps 1–3 and rules that deny unconditionally; it asks no approval and
 * counts nothing. Notifications and answers to server requests are not requests and pass.
 */
import type { TargetKind } from "../policy/decision.js";
import { isJsonObject, type JsonObject, type JsonRpcRequest } from "../protocol/messages.js";

export type ListKind = "tools" | "resources" | "resourceTemplates" | "prompts";

export interface GovernedTarget {
  readonly kind: TargetKind;
  readonly name: string;
  readonly args: JsonObject;
  readonly reach: boolean;
}

export type MethodRoute =
  | { readonly kind: "pass" }
  | { readonly kind: "list"; readonly list: ListKind }
  | { readonly kind: "call" }
  | { readonly kind: "govern"; readonly target: GovernedTarget }
  /** The params do not say what the request is for: refused with -32602 before any policy. */
  | { readonly kind: "invalid"; readonly reason: string };

const PROTOCOL_METHODS: ReadonlySet<string> = new Set(["initialize", "server/discover", "ping", "logging/setLevel"]);

const LISTS: Readonly<Record<string, ListKind>> = {
  "tools/list": "tools",
  "resources/list": "resources",
  "resources/templates/list": "resourceTemplates",
  "prompts/list": "prompts",
};

export function routeRequest(request: JsonRpcRequest): MethodRoute {
  const { method } = request;
  const params = request.params ?? {};
  if (method === "tools/call") return { kind: "call" };
  if (PROTOCOL_METHODS.has(method)) return { kind: "pass" };
  const list = LISTS[method];
  if (list !== undefined) return { kind: "list", list };
  switch (method) {
    case "resources/read":
    case "resources/subscribe":
    case "resources/unsubscribe": {
      const uri = params.uri;
      if (typeof uri !== "string" || uri === "") return { kind: "invalid", reason: `${method} expects \`params.uri\` to be a non-empty string, found ${uri === undefined ? "nothing" : typeof uri}` };
      return { kind: "govern", target: { kind: "resource", name: uri, args: { uri }, reach: method !== "resources/read" } };
    }
    case "prompts/get": {
      const name = params.name;
      if (typeof name !== "string" || name === "") return { kind: "invalid", reason: `prompts/get expects \`params.name\` to be a non-empty string, found ${name === undefined ? "nothing" : typeof name}` };
      const args = params.arguments;
      if (args !== undefined && !isJsonObject(args)) return { kind: "invalid", reason: "prompts/get expects `params.arguments` to be an object" };
      return { kind: "govern", target: { kind: "prompt", name, args: args ?? {}, reach: false } };
    }
    case "completion/complete": {
      const ref = params.ref;
      if (isJsonObject(ref) && ref.type === "ref/prompt" && typeof ref.name === "string") return { kind: "govern", target: { kind: "prompt", name: ref.name, args: {}, reach: true } };
      if (isJsonObject(ref) && ref.type === "ref/resource" && typeof ref.uri === "string") return { kind: "govern", target: { kind: "resource", name: ref.uri, args: { uri: ref.uri }, reach: true } };
      return { kind: "invalid", reason: "completion/complete expects `params.ref` to be `{type: \"ref/prompt\", name}` or `{type: \"ref/resource\", uri}`" };
    }
    default: {
      const { _meta: _ignored, ...args } = params;
      return { kind: "govern", target: { kind: "method", name: method, args, reach: false } };
    }
  }
}

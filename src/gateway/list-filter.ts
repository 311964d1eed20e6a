/**
 * List results as the agent sees them: only what some request could be allowed to reach stays.
 * Hidden and default-denied entries are removed; explicitly denied ones stay (the agent learns the
 * reason when it asks). Tools and prompts by name, resources by URI, templates by their template.
 */
import type { TargetKind } from "../policy/decision.js";
import { isTemplateVisible, isVisible } from "../policy/evaluate.js";
import type { CompiledPolicy } from "../policy/load-policy.js";
import { isJsonObject, type JsonObject } from "../protocol/messages.js";
import type { CallerOf } from "./caller.js";
import type { ListKind } from "./governed-methods.js";
import type { PolicySource } from "./policy-source.js";
import type { ServerNaming } from "./server-naming.js";

/** Whether an entry (by the name or URI the agent sees) could be reached; `template` for a URI template. */
export type Visibility = (kind: Exclude<TargetKind, "method">, name: string, template: boolean) => boolean;

/** A copy of `result` whose list keeps only the visible entries (the result itself when it has no such list). */
export function filterList(result: JsonObject, list: ListKind, visible: Visibility): JsonObject {
  const entries = result[list];
  if (!Array.isArray(entries)) return result;
  return { ...result, [list]: entries.filter((entry) => isJsonObject(entry) && entryVisible(entry, list, visible)) };
}

/** `tools/list` as the agent sees it, under one policy. */
export function filterToolList(result: JsonObject, policy: CompiledPolicy | undefined): JsonObject {
  return filterList(result, "tools", (kind, name, template) => (template ? isTemplateVisible(policy, name) : isVisible(policy, kind, name)));
}

/**
 * Visibility of exposed names on one gateway connection: by the policy of the server each name
 * belongs to (for the caller's policy key, or the grant's), under its name there.
 */
export function exposedVisibility(naming: ServerNaming, policies: PolicySource, grantId: string | undefined, callerOf: CallerOf | undefined): Visibility {
  return (kind, exposed, template) => {
    const routed = naming.split(kind, exposed);
    if (routed === undefined) return false;
    const policy = policies.get(callerOf?.()?.policyKey ?? grantId, routed.server);
    return template ? isTemplateVisible(policy, routed.name) : isVisible(policy, kind, routed.name);
  };
}

function entryVisible(entry: JsonObject, list: ListKind, visible: Visibility): boolean {
  switch (list) {
    case "tools":
      return typeof entry.name === "string" && visible("tool", entry.name, false);
    case "prompts":
      return typeof entry.name === "string" && visible("prompt", entry.name, false);
    case "resources":
      return typeof entry.uri === "string" && visible("resource", entry.uri, false);
    case "resourceTemplates":
      return typeof entry.uriTemplate === "string" && visible("resource", entry.uriTemplate, true);
  }
}

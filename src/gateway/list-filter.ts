/**
 * List results as the agent sees them: only what some request could be allowed to reach stays.
 * Hidden and default-denied entries are removed; explicitly denied ones stay (the agent learns the
 * reason when it asks). Tools and prompts by name, resources by URI, templates by their template.
 */
import { isTemplateVisible, isVisible } from "../policy/evaluate.js";
import type { CompiledPolicy } from "../policy/load-policy.js";
import { isJsonObject, type JsonObject } from "../protocol/messages.js";
import type { ListKind } from "./governed-methods.js";

/** A copy of `result` whose list keeps only the visible entries (the result itself when it has no such list). */
export function filterList(result: JsonObject, list: ListKind, policy: CompiledPolicy | undefined): JsonObject {
  const entries = result[list];
  if (!Array.isArray(entries)) return result;
  return { ...result, [list]: entries.filter((entry) => isJsonObject(entry) && visible(entry, list, policy)) };
}

/** `tools/list` as the agent sees it. */
export function filterToolList(result: JsonObject, policy: CompiledPolicy | undefined): JsonObject {
  return filterList(result, "tools", policy);
}

function visible(entry: JsonObject, list: ListKind, policy: CompiledPolicy | undefined): boolean {
  switch (list) {
    case "tools":
      return typeof entry.name === "string" && isVisible(policy, "tool", entry.name);
    case "prompts":
      return typeof entry.name === "string" && isVisible(policy, "prompt", entry.name);
    case "resources":
      return typeof entry.uri === "string" && isVisible(policy, "resource", entry.uri);
    case "resourceTemplates":
      return typeof entry.uriTemplate === "string" && isTemplateVisible(policy, entry.uriTemplate);
  }
}

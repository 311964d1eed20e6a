/**
 * What the stack merges: the lists it fans out (tools, prompts, resources, templates) with each
 * entry under its exposed name or URI, and the servers' handshakes as one (capabilities united,
 * instructions under each server's name, toolgate's own server info).
 */
import { isJsonObject, type JsonObject } from "../../protocol/messages.js";
import type { StackNaming } from "./stack-naming.js";

export const LISTS = { "tools/list": "tools", "prompts/list": "prompts", "resources/list": "resources", "resources/templates/list": "resourceTemplates" } as const;
export type ListMethod = keyof typeof LISTS;
export type ListKey = (typeof LISTS)[ListMethod];

/** One server's list entry as the agent sees it; undefined when it cannot be exposed (logged). */
export function exposeEntry(naming: StackNaming, server: string, listKey: ListKey, entry: JsonObject, log: (line: object) => void): JsonObject | undefined {
  switch (listKey) {
    case "tools":
    case "prompts": {
      const name = typeof entry.name === "string" ? naming.exposeName(server, entry.name) : undefined;
      if (name === undefined) log({ level: "warn", event: "name_not_exposed", server, name: entry.name, message: `the ${listKey === "tools" ? "tool" : "prompt"} \`${String(entry.name)}\` of server \`${server}\` is left out: its exposed name would not be 1–128 characters of [A-Za-z0-9_-]` });
      return name === undefined ? undefined : { ...entry, name };
    }
    case "resources":
      return typeof entry.uri === "string" ? { ...entry, uri: naming.exposeUri(server, entry.uri) } : undefined;
    case "resourceTemplates":
      return typeof entry.uriTemplate === "string" ? { ...entry, uriTemplate: naming.exposeUri(server, entry.uriTemplate) } : undefined;
  }
}

/** `into` gains every capability `from` has; list capabilities say `listChanged` (the stack forwards them). */
export function mergeCapabilities(into: JsonObject, from: JsonObject): void {
  for (const key of ["tools", "prompts", "resources", "logging", "completions"]) {
    const value = from[key];
    if (!isJsonObject(value)) continue;
    const merged: JsonObject = { ...(isJsonObject(into[key]) ? into[key] : {}), ...value };
    if (key === "tools" || key === "prompts" || key === "resources") merged.listChanged = true;
    if (key === "resources") merged.subscribe = (isJsonObject(into.resources) && into.resources.subscribe === true) || value.subscribe === true;
    into[key] = merged;
  }
}

/** The servers' `initialize` (or `server/discover`) results as one, the first server's as the base. */
export function mergeHandshakes(results: ReadonlyArray<{ server: string; result: JsonObject }>, serverInfo: { readonly name: string; readonly version: string }): JsonObject {
  const capabilities: JsonObject = {};
  for (const { result } of results) mergeCapabilities(capabilities, isJsonObject(result.capabilities) ? result.capabilities : {});
  const instructions = results.filter((r) => typeof r.result.instructions === "string").map((r) => `## ${r.server}\n${String(r.result.instructions)}`);
  return { ...results[0]!.result, capabilities, serverInfo: { ...serverInfo }, ...(instructions.length > 0 ? { instructions: instructions.join("\n\n") } : {}) };
}


export const LIST_CHANGED = ["notifications/tools/list_changed", "notifications/prompts/list_changed", "notifications/resources/list_changed"] as const;

/** `*\/list_changed` coalesced: however many servers say so in one turn, the agent hears it once per list. */
export class ListChanges {
  private readonly changed = new Set<string>();

  constructor(private readonly notify: (method: string) => void) {}

  /** One list changed (`method` is its notification). */
  one(method: string): void {
    if (this.changed.size === 0) queueMicrotask(() => this.flush());
    this.changed.add(method);
  }

  /** A server came or went: every list may have changed. */
  all(): void {
    for (const method of LIST_CHANGED) this.one(method);
  }

  private flush(): void {
    const methods = [...this.changed];
    this.changed.clear();
    for (const method of methods) this.notify(method);
  }
}

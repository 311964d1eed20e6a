/**
 * What the gateway knows about the upstream's tools: each tool's `inputSchema`, learned from
 * every `tools/list` result that passes through and, when a `tools/call` arrives first, from the
 * gateway's own paginated `tools/list`. A `notifications/tools/list_changed` forgets it all.
 */
import { isJsonObject, type JsonObject } from "../protocol/messages.js";

/** Pages followed at most when the gateway lists the upstream's tools itself. */
export const MAX_LIST_PAGES = 100;

export type ToolLookup = { readonly known: true; readonly inputSchema: JsonObject | undefined } | { readonly known: false };

/** Fetches one page of `tools/list`; resolves with the result or throws with a reason. */
export type ListPage = (cursor: string | undefined) => Promise<JsonObject>;

export class UpstreamTools {
  private schemas = new Map<string, JsonObject | undefined>();
  /** True once a full listing (every page) has been seen since the last change. */
  private complete = false;
  private generation = 0;
  private inflight: Promise<void> | undefined;

  lookup(name: string): ToolLookup {
    if (this.schemas.has(name)) return { known: true, inputSchema: this.schemas.get(name) };
    return { known: false };
  }

  /** True when every tool the upstream offers is known (an unknown name is not the upstream's). */
  get isComplete(): boolean {
    return this.complete;
  }

  /** Caches the tools of one `tools/list` result; `fullListing` when it was an uncursored single page. */
  remember(result: JsonObject, fullListing: boolean): void {
    const tools = result.tools;
    if (!Array.isArray(tools)) return;
    for (const tool of tools) {
      if (!isJsonObject(tool) || typeof tool.name !== "string") continue;
      this.schemas.set(tool.name, isJsonObject(tool.inputSchema) ? tool.inputSchema : undefined);
    }
    if (fullListing && result.nextCursor === undefined) this.complete = true;
  }

  invalidate(): void {
    this.schemas = new Map();
    this.complete = false;
    this.generation++;
  }

  /** Lists every page (once, shared by concurrent callers) unless the listing is complete. */
  ensure(listPage: ListPage): Promise<void> {
    if (this.complete) return Promise.resolve();
    this.inflight ??= this.fetchAll(listPage).finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  private async fetchAll(listPage: ListPage): Promise<void> {
    const generation = this.generation;
    const found = new Map<string, JsonObject | undefined>();
    let cursor: string | undefined;
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const result = await listPage(cursor);
      for (const tool of Array.isArray(result.tools) ? result.tools : []) {
        if (isJsonObject(tool) && typeof tool.name === "string") found.set(tool.name, isJsonObject(tool.inputSchema) ? tool.inputSchema : undefined);
      }
      const next = result.nextCursor;
      if (typeof next !== "string" || next === "") {
        if (generation !== this.generation) return; // the list changed meanwhile; the next call lists again
        for (const [name, schema] of found) this.schemas.set(name, schema);
        this.complete = true;
        return;
      }
      cursor = next;
    }
    throw new Error(`the upstream's tools/list did not end within ${MAX_LIST_PAGES} pages`);
  }
}

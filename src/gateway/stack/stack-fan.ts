/**
 * One request the stack fans out to every ready server (a handshake, a list, `logging/setLevel`):
 * what each server answered, page by page for lists, what failed, and the merged outcome. The stack
 * (`stack-upstream.ts`) sends the parts and delivers the outcome; this holds no connection.
 */
import { isJsonObject, type JsonObject, type JsonRpcId, type JsonRpcResponse } from "../../protocol/messages.js";
import { exposeEntry, LISTS, mergeHandshakes, type ListMethod } from "./stack-lists.js";
import type { StackNaming } from "./stack-naming.js";

/** Pages read from one server for one list before the stack stops following `nextCursor`. */
export const MAX_PAGES = 100;

export const FAN_OUT: ReadonlySet<string> = new Set(["initialize", "server/discover", "logging/setLevel", ...Object.keys(LISTS)]);

export interface FanServer {
  readonly name: string;
  readonly onStartFailure: "fail" | "serve_rest";
}

export type HandshakeOutcome =
  | { readonly kind: "merged"; readonly result: JsonObject }
  /** Nothing to merge, or a server the config needs did not start (`fatal`: the stack closes). */
  | { readonly kind: "failed"; readonly fatal: boolean; readonly failure: { readonly server: string; readonly reason: string } | undefined };

export class Fan {
  private waiting = 0;
  private readonly results: Array<{ server: FanServer; result: JsonObject }> = [];
  private readonly entries: Array<{ server: FanServer; entry: JsonObject }> = [];
  readonly failures: Array<{ server: FanServer; reason: string }> = [];

  constructor(
    readonly id: JsonRpcId,
    readonly method: string,
    readonly params: JsonObject | undefined,
  ) {}

  get isHandshake(): boolean {
    return this.method === "initialize" || this.method === "server/discover";
  }

  get done(): boolean {
    return this.waiting === 0;
  }

  /** A server takes part (its first page is being asked). */
  joined(): void {
    this.waiting++;
  }

  /** A server that was not ready: a handshake counts it as failed, a list leaves it out. */
  skipped(server: FanServer, reason: string): void {
    if (this.isHandshake) this.failures.push({ server, reason });
  }

  /** A page answered: the cursor of the next page to ask this server for, else undefined (it is done). */
  answered(server: FanServer, page: number, response: JsonRpcResponse): string | undefined {
    if ("error" in response) return this.failed(server, String(response.error?.message));
    const result = isJsonObject(response.result) ? response.result : {};
    const listKey = LISTS[this.method as ListMethod];
    if (listKey === undefined) this.results.push({ server, result });
    else {
      for (const entry of Array.isArray(result[listKey]) ? result[listKey] : []) if (isJsonObject(entry)) this.entries.push({ server, entry });
      if (typeof result.nextCursor === "string" && page + 1 < MAX_PAGES) return result.nextCursor;
    }
    this.waiting--;
    return undefined;
  }

  failed(server: FanServer, reason: string): undefined {
    this.failures.push({ server, reason });
    this.waiting--;
    return undefined;
  }

  /** The merged list, every entry under its exposed name or URI. */
  list(naming: StackNaming, log: (line: object) => void): JsonObject {
    const listKey = LISTS[this.method as ListMethod];
    const entries: JsonObject[] = [];
    for (const { server, entry } of this.entries) {
      const exposed = exposeEntry(naming, server.name, listKey, entry, log);
      if (exposed !== undefined) entries.push(exposed);
    }
    return { [listKey]: entries };
  }

  /** `served`: the stack answered a handshake before, so no failure is fatal any more. */
  handshake(served: boolean, serverInfo: { readonly name: string; readonly version: string }): HandshakeOutcome {
    // `onStartFailure: fail` is about start-up: once the stack has served, a server down is one server down.
    const fatal = served ? undefined : this.failures.find((f) => f.server.onStartFailure === "fail");
    if (fatal !== undefined || this.results.length === 0) {
      const reason = fatal ?? this.failures[0];
      return { kind: "failed", fatal: fatal !== undefined, failure: reason && { server: reason.server.name, reason: reason.reason } };
    }
    return { kind: "merged", result: mergeHandshakes(this.results.map((r) => ({ server: r.server.name, result: r.result })), serverInfo) };
  }
}

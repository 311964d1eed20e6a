/**
 * What the console shows of an upstream server: it opens its own connection (never an agent's),
 * initializes, lists every page of `tools/list` and closes. Reads only; no tool is called.
 */
import type { Clock } from "../../core/clock.js";
import { messageOf } from "../../core/errors.js";
import { isJsonObject, type JsonObject, type JsonRpcMessage } from "../../protocol/messages.js";
import type { Transport } from "../../protocol/transport.js";
import type { UpstreamTool } from "./tool-states.js";

export const PROBE_TIMEOUT_MS = 10_000;
const MAX_PAGES = 50;

export type ProbeResult =
  | { readonly state: "up"; readonly serverInfo: unknown; readonly protocolVersion: unknown; readonly tools: readonly UpstreamTool[] }
  | { readonly state: "down"; readonly error: string };

export async function probeUpstream(open: () => Transport, clock: Clock, timeoutMs: number = PROBE_TIMEOUT_MS): Promise<ProbeResult> {
  const transport = open();
  const waiting = new Map<number, (message: JsonObject) => void>();
  let nextId = 1;
  let failed: ((error: Error) => void) | undefined;
  transport.onmessage = (message: JsonRpcMessage) => {
    const m = message as unknown as JsonObject;
    if (typeof m.id === "number" && waiting.has(m.id)) waiting.get(m.id)!(m);
  };
  transport.onerror = (error) => failed?.(error);
  transport.onclose = () => failed?.(new Error("the upstream closed the connection"));
  const request = (method: string, params: JsonObject): Promise<JsonObject> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      const timer = clock.setTimer(() => reject(new Error(`no answer to \`${method}\` within ${timeoutMs} ms`)), timeoutMs);
      failed = (error) => {
        timer.cancel();
        reject(error);
      };
      waiting.set(id, (answer) => {
        timer.cancel();
        waiting.delete(id);
        if (isJsonObject(answer.error)) reject(new Error(`\`${method}\` failed: ${String(answer.error.message)}`));
        else resolve(isJsonObject(answer.result) ? answer.result : {});
      });
      transport.send({ jsonrpc: "2.0", id, method, params } as unknown as JsonRpcMessage).catch(reject);
    });
  try {
    await transport.start();
    const init = await request("initialize", { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "toolgate-console", version: "1" } });
    await transport.send({ jsonrpc: "2.0", method: "notifications/initialized" } as unknown as JsonRpcMessage);
    const tools: UpstreamTool[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const result = await request("tools/list", cursor === undefined ? {} : { cursor });
      for (const t of Array.isArray(result.tools) ? result.tools : []) if (isJsonObject(t) && typeof t.name === "string") tools.push(t as unknown as UpstreamTool);
      if (typeof result.nextCursor !== "string" || result.nextCursor === "") break;
      cursor = result.nextCursor;
    }
    return { state: "up", serverInfo: init.serverInfo, protocolVersion: init.protocolVersion, tools };
  } catch (error) {
    return { state: "down", error: messageOf(error) };
  } finally {
    failed = undefined;
    transport.onclose = undefined;
    await transport.close().catch(() => undefined);
  }
}

/**
 * The simulated Kommo CRM MCP server ("kommo-mcp-server" 3.0.0): the 23 tools, 5 resources and
 * 4 prompts of the real v3 server, built on the official SDK 2.x like the real one. One
 * `KommoMcpServer` holds the process-wide state (REST client, `ask_kommo` cache); the SDK gets a
 * fresh `McpServer` instance per connection (stdio, in-memory) or per HTTP request.
 *
 * Both protocol eras are served: 2025-era clients (`initialize`) and 2026-07-28 clients
 * (`server/discover`, per-request `_meta`). With `protocol: "2026-07-28"` 2025-era openings are
 * refused with -32022, as the real v3 HTTP entrypoint (`legacy: 'reject'`) does.
 */
import { createMcpHandler, fromJsonSchema, McpServer, type McpHttpHandler, type Transport } from "@modelcontextprotocol/server";
import { serveStdio, type StdioServerHandle } from "@modelcontextprotocol/server/stdio";
import { z } from "zod";
import type { Clock } from "../core/clock.js";
import { KOMMO_PROMPTS } from "./prompts.js";
import { KOMMO_RESOURCES, RESOURCE_READ_ERROR_TEXT } from "./resources.js";
import { createKommoRestClient, type FetchLike } from "./rest-client/rest-client.js";
import { KommoApi } from "./rest-client/kommo-api.js";
import { AskKommoCache } from "./tools/ask-kommo-cache.js";
import { kommoTools, listedInputSchema, toolAnnotations, type KommoSchemaVersion } from "./tools/catalog.js";
import { CONFIRM_REQUIRED_TEXT, errorResult, kommoErrorText, type ToolContext } from "./tools/tool.js";

export const KOMMO_SERVER_NAME = "kommo-mcp-server";
export const KOMMO_SERVER_VERSION = "3.0.0";
export const MODERN_PROTOCOL_VERSION = "2026-07-28";

export type KommoProtocolMode = "any" | "2026-07-28";

/** Where the REST calls go: a fake Kommo (anything with `baseUrl`, `token`, `handle`), e.g. `FakeKommo`. */
export interface KommoRestTarget {
  readonly baseUrl: string;
  readonly token: string;
  handle(request: Request): Promise<Response>;
}

export interface KommoMcpServerOptions {
  readonly clock: Clock;
  /** The fake Kommo; without `fetch`, REST calls go straight to `fake.handle` in-process. */
  readonly fake?: KommoRestTarget;
  /** Used when no `fake` is given (e.g. a real Kommo, or a fake served elsewhere). */
  readonly baseUrl?: string;
  readonly token?: string;
  /** How REST calls are made; defaults to `fake.handle` when `fake` is set, else the global fetch. */
  readonly fetch?: FetchLike;
  /** `MCP_CONFIRM_WRITES=true`: the 9 write tools then need `confirm: true`. */
  readonly confirmWrites?: boolean;
  /** `v2` switches `stop_salesbot` to the v2 shape (only `bot_id`, no body). Default `v3`. */
  readonly schema?: KommoSchemaVersion;
  /** `any` (default) serves both eras; `2026-07-28` refuses 2025-era clients with -32022. */
  readonly protocol?: KommoProtocolMode;
  readonly timeoutMs?: number;
  readonly maxRetries?: number;
  /** Jitter added to read retries' backoff (default 0–99 ms at random). */
  readonly jitterMs?: () => number;
  /** `KOMMO_TIMEZONE`: the reports' zone; default the account's, else UTC. */
  readonly timeZone?: string;
  /** Out-of-band errors (logging only). */
  readonly onerror?: (error: Error) => void;
}

export interface KommoMcpServer {
  /** Serves one message connection (stdio, an in-memory pair…) until it closes; the client's opening picks the era. */
  connect(transport: Transport): Promise<void>;
  /** The Streamable HTTP handler for `/mcp` (web-standard `fetch` face; wrap with `toNodeHandler`). */
  readonly http: McpHttpHandler;
  /** A fresh SDK server instance with everything registered (for custom wiring). */
  createInstance(): McpServer;
  /** Forgets the `ask_kommo` leads cache. */
  clearCaches(): void;
  /** Closes every connection and the HTTP handler. */
  close(): Promise<void>;
}

export function createKommoMcpServer(options: KommoMcpServerOptions): KommoMcpServer {
  const baseUrl = options.fake?.baseUrl ?? options.baseUrl;
  const token = options.fake?.token ?? options.token;
  if (baseUrl === undefined || token === undefined) {
    throw new TypeError("createKommoMcpServer needs `fake` or both `baseUrl` and `token`");
  }
  const fake = options.fake;
  const fetch: FetchLike | undefined = options.fetch ?? (fake ? (input, init) => fake.handle(new Request(input, init)) : undefined);
  const api = new KommoApi(
    createKommoRestClient({
      baseUrl,
      token,
      clock: options.clock,
      ...(fetch ? { fetch } : {}),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.maxRetries !== undefined ? { maxRetries: options.maxRetries } : {}),
      ...(options.jitterMs ? { jitterMs: options.jitterMs } : {}),
    }),
  );
  const askCache = new AskKommoCache(options.clock);
  const context: ToolContext = { api, clock: options.clock, timeZone: options.timeZone, askCache };
  const tools = kommoTools(options.schema ?? "v3");
  const confirmWrites = options.confirmWrites ?? false;
  const strictModern = (options.protocol ?? "any") === MODERN_PROTOCOL_VERSION;

  function createInstance(): McpServer {
    const server = new McpServer({ name: KOMMO_SERVER_NAME, version: KOMMO_SERVER_VERSION, description: "MCP Server for Kommo CRM integration" });
    for (const tool of tools) {
      server.registerTool(
        tool.name,
        {
          title: tool.title,
          description: tool.description,
          inputSchema: fromJsonSchema<Record<string, unknown>>(listedInputSchema(tool)),
          annotations: toolAnnotations(tool),
        },
        async (args) => {
          if (tool.write && confirmWrites && args.confirm !== true) return errorResult(CONFIRM_REQUIRED_TEXT);
          const { confirm: _confirm, ...toolArgs } = args;
          try {
            return await tool.handler(toolArgs, context);
          } catch (error) {
            return errorResult(kommoErrorText(error));
          }
        },
      );
    }
    for (const resource of KOMMO_RESOURCES) {
      server.registerResource(
        resource.name,
        resource.uri,
        { title: resource.name, description: resource.description, mimeType: resource.mimeType },
        async (uri) => {
          let data: unknown;
          try {
            data = await resource.read(context);
          } catch {
            throw new Error(RESOURCE_READ_ERROR_TEXT);
          }
          return { contents: [{ uri: uri.href, mimeType: resource.mimeType, text: JSON.stringify(data, null, 2) }] };
        },
      );
    }
    for (const prompt of KOMMO_PROMPTS) {
      const shape = Object.fromEntries(prompt.arguments.map((a) => [a.name, a.required ? z.string() : z.string().optional()]));
      server.registerPrompt(prompt.name, { description: prompt.description, argsSchema: z.object(shape) }, async () => ({
        messages: [{ role: "user" as const, content: { type: "text" as const, text: prompt.text } }],
      }));
    }
    return server;
  }

  const onerror = options.onerror;
  const connections = new Set<StdioServerHandle>();
  const http = createMcpHandler(() => createInstance(), {
    legacy: strictModern ? "reject" : "stateless",
    ...(onerror ? { onerror } : {}),
  });

  return {
    http,
    createInstance,
    clearCaches: () => askCache.clear(),
    async connect(transport) {
      const handle = serveStdio(() => createInstance(), {
        legacy: strictModern ? "reject" : "serve",
        transport,
        ...(onerror ? { onerror } : {}),
      });
      connections.add(handle);
    },
    async close() {
      const handles = [...connections];
      connections.clear();
      await Promise.allSettled([...handles.map((h) => h.close()), http.close()]);
    },
  };
}

/**
 * A lean Streamable HTTP client for the throughput phase: plain `node:http` with a keep-alive agent,
 * a raw `initialize` handshake, then `tools/call` POSTs whose answers (JSON or SSE-framed) are
 * parsed by hand. The SDK's HTTP client burns about 1 ms of CPU per call (docs/benchmarks.md), so
 * with it a single client saturates before the proxy does; this client shows the proxy's capacity.
 */
import { Agent, request } from "node:http";
import { monotonicNs } from "../core/clock.js";
import { ProcessTreeWatch, rssBytes } from "./procfs.js";
import type { CpuPerCall, Meter } from "./cpu-meter.js";
import { BENCH_TOOL } from "./upstream-server.js";
import { messageOf } from "../core/errors.js";

export const WIRE_PROTOCOL_VERSION = "2025-11-25";

export interface WireLoadResult {
  readonly calls: number;
  readonly callsPerS: number;
  readonly errors: number;
  readonly firstError: string | undefined;
  readonly rootRssBytes: number;
}

interface WireAnswer {
  readonly status: number;
  readonly sessionId: string | undefined;
  readonly messages: unknown[];
}

export class WireSession {
  private readonly agent: Agent;
  private sessionId: string | undefined;
  private nextId = 1;

  constructor(private readonly url: URL, sockets: number) {
    this.agent = new Agent({ keepAlive: true, maxSockets: sockets });
  }

  async initialize(): Promise<void> {
    const init = await this.post({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: WIRE_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: "toolgate-bench-wire", version: "1.0.0" } } });
    if (init.status !== 200) throw new Error(`initialize answered HTTP ${init.status}`);
    this.sessionId = init.sessionId;
    const ack = await this.post({ jsonrpc: "2.0", method: "notifications/initialized" });
    if (ack.status >= 300) throw new Error(`notifications/initialized answered HTTP ${ack.status}`);
  }

  /** One `tools/call`; resolves to the text of its first content item. */
  async callTool(botId: number): Promise<string | undefined> {
    const id = this.nextId++;
    const answer = await this.post({ jsonrpc: "2.0", id, method: "tools/call", params: { name: BENCH_TOOL, arguments: { bot_id: botId } } });
    const response = answer.messages.find((m) => (m as { id?: unknown }).id === id) as { result?: { content?: { text?: string }[] } } | undefined;
    return response?.result?.content?.[0]?.text;
  }

  async close(): Promise<void> {
    if (this.sessionId !== undefined) {
      await new Promise<void>((resolve) => {
        const req = request(this.url, { method: "DELETE", agent: this.agent, headers: this.headers() }, (res) => {
          res.resume();
          res.on("end", resolve);
        });
        req.on("error", () => resolve());
        req.end();
      });
    }
    this.agent.destroy();
  }

  private headers(): Record<string, string> {
    const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": WIRE_PROTOCOL_VERSION };
    if (this.sessionId !== undefined) headers["mcp-session-id"] = this.sessionId;
    return headers;
  }

  private post(body: object): Promise<WireAnswer> {
    const payload = JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(this.url, { method: "POST", agent: this.agent, headers: { ...this.headers(), "content-length": String(Buffer.byteLength(payload)) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          const sessionHeader = res.headers["mcp-session-id"];
          try {
            resolve({ status: res.statusCode ?? 0, sessionId: typeof sessionHeader === "string" ? sessionHeader : undefined, messages: parseBody(text, String(res.headers["content-type"] ?? "")) });
          } catch (error) {
            reject(error);
          }
        });
      });
      req.on("error", reject);
      req.end(payload);
    });
  }
}

/** JSON body → its message(s); SSE body → the JSON of every `data:` line (priming events skipped). */
export function parseBody(text: string, contentType: string): unknown[] {
  if (text.trim() === "") return [];
  if (contentType.includes("text/event-stream")) {
    const out: unknown[] = [];
    for (const line of text.split("\n")) {
      if (!line.startsWith("data:")) continue;
      const data = line.slice(5).trim();
      if (data === "") continue;
      out.push(JSON.parse(data));
    }
    return out;
  }
  const parsed: unknown = JSON.parse(text);
  return Array.isArray(parsed) ? parsed : [parsed];
}

export async function wireThroughput(options: {
  url: string;
  inflight: number;
  loadMs: number;
  rootPid: number;
  meter: (watch: ProcessTreeWatch) => Meter;
}): Promise<WireLoadResult & { cpu: CpuPerCall }> {
  const session = new WireSession(new URL(options.url), options.inflight);
  let errors = 0;
  let firstError: string | undefined;
  try {
    await session.initialize();
    // Re-read the tree: a proxy may have started an upstream for this new session.
    const watch = new ProcessTreeWatch(options.rootPid);
    for (let i = 0; i < 50; i++) await session.callTool(i);
    let calls = 0;
    const meter = options.meter(watch);
    const startNs = monotonicNs();
    const endNs = startNs + BigInt(options.loadMs) * 1_000_000n;
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let guard = 0; guard < 5_000_000 && monotonicNs() < endNs; guard++) {
        const botId = next++;
        try {
          const text = await session.callTool(botId);
          if (text !== `stopped ${botId}`) {
            errors++;
            firstError ??= `wire client: unexpected answer ${JSON.stringify(text)}`;
          }
        } catch (error) {
          errors++;
          firstError ??= `wire client: ${messageOf(error)}`;
        }
        calls++;
      }
    };
    await Promise.all(Array.from({ length: options.inflight }, worker));
    const elapsedS = Number(monotonicNs() - startNs) / 1e9;
    const cpu = meter.stop(calls);
    return { calls, callsPerS: calls / elapsedS, errors, firstError, rootRssBytes: rssBytes(options.rootPid) ?? Number.NaN, cpu };
  } finally {
    await session.close();
  }
}

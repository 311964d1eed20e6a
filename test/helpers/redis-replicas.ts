/**
 * Helpers for the end-to-end replica tests: `toolgate serve --listen` replicas on one Redis in front
 * of one `kommo-sim --listen`, MCP clients (SDK 1.x over Streamable HTTP) with bearer tokens, the
 * Redis server's own clock (`TIME`, what the counter scripts decide windows by), and the shapes of
 * an answer. Every wait is bounded.
 */
import { spawnSync } from "node:child_process";
import { createConnection } from "node:net";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { tokenSha256 } from "../../src/gateway/grants.js";
import { connectClient } from "../integration/gateway-http-process.js";
import { writeJson } from "../fixtures/servers/gateway-process.js";

/** Fails (never skips) with a clear message when `redis-server` is not on PATH. */
export function requireRedisServerBinary(): void {
  const probe = spawnSync("redis-server", ["--version"], { encoding: "utf8", timeout: 5_000 });
  if (probe.error !== undefined || probe.status !== 0) {
    throw new Error(
      `these tests start a private \`redis-server\` and need it on PATH; running \`redis-server --version\` failed: ${probe.error?.message ?? `exit ${probe.status}: ${probe.stderr}`}`,
    );
  }
}

/** Redis `TIME` in epoch ms (the clock the counter scripts read), over a fresh socket, bounded. */
export function redisTimeMs(port: number, timeoutMs = 2_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    let reply = "";
    const timer = setTimeout(() => finish(new Error(`redis on port ${port} did not answer TIME within ${timeoutMs} ms`)), timeoutMs);
    const finish = (error: Error | undefined, value?: number): void => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(value!);
    };
    socket.setEncoding("utf8");
    socket.once("error", (error) => finish(error));
    socket.once("connect", () => socket.write("*1\r\n$4\r\nTIME\r\n"));
    socket.on("data", (chunk: string) => {
      reply += chunk;
      // *2\r\n$10\r\n<seconds>\r\n$6\r\n<micros>\r\n
      const m = /^\*2\r\n\$\d+\r\n(\d+)\r\n\$\d+\r\n(\d+)\r\n/.exec(reply);
      if (m) finish(undefined, Number(m[1]) * 1_000 + Math.floor(Number(m[2]) / 1_000));
      else if (reply.startsWith("-")) finish(new Error(`redis answered TIME with ${JSON.stringify(reply)}`));
    });
  });
}

/** A grants file: each id gets the token `token-<id>-0123456789` and the `--policy` of the gateway. */
export function writeGrants(dir: string, ids: readonly string[]): { file: string; token(id: string): string } {
  const token = (id: string): string => `token-${id}-0123456789`;
  const file = writeJson(dir, "grants.json", { version: "1", grants: ids.map((id) => ({ id, tokenSha256: tokenSha256(token(id)) })) });
  return { file, token };
}

/** `n` SDK clients (one MCP session each) on `url` with `token`. */
export async function connectClients(url: string, token: string | undefined, n: number, name: string): Promise<Client[]> {
  return Promise.all(Array.from({ length: n }, async (_, i) => (await connectClient(url, token, { name: `${name}-${i}` })).client));
}

export type DecisionMeta = Record<string, unknown>;

export function decisionOf(result: CallToolResult): DecisionMeta | undefined {
  return (result._meta as Record<string, DecisionMeta> | undefined)?.["toolgate/decision"];
}

/** allowed = answered by the upstream (no decision meta, not an error); otherwise the denial code. */
export function outcomeOf(result: CallToolResult): string {
  const decision = decisionOf(result);
  if (decision === undefined) return result.isError === true ? "upstream_error" : "allowed";
  return String(decision.code);
}

export function tally(outcomes: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of outcomes) counts[o] = (counts[o] ?? 0) + 1;
  return counts;
}

export const SEED_BOT_ARGS = (botId: number, leadId: number): Record<string, unknown> => ({ bot_id: botId, entity_id: leadId, entity_type: "leads" });

/** Polls `probe` (bounded by `deadlineMs` of real time) until it returns a value; `what` names it in the error. */
export async function pollUntil<T>(probe: () => Promise<T | undefined>, deadlineMs: number, what: string, intervalMs = 50): Promise<T> {
  const startedMs = performance.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (performance.now() - startedMs > deadlineMs) throw new Error(`${what}: not within ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

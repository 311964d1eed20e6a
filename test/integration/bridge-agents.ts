/**
 * The agents and the one scenario of the era-bridge integration tests. A 2025-era agent is the SDK
 * 1.x client; a 2026-07-28 agent is the SDK 2.x client pinned to 2026-07-28. Both record every raw
 * message their transport receives, so the tests can check the wire shape of a denial, not just
 * what the client library makes of it.
 *
 * The scenario (seed policy: only `stop_salesbot`, 10 per minute per grant, plus one resource and one prompt): list tools, call
 * `stop_salesbot` 12 times in one minute, call a default-denied tool, read a resource, get a prompt.
 */
import { Client as LegacyClient } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport as LegacyStdio } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport as LegacyHttp } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { Client as ModernClient, StreamableHTTPClientTransport as ModernHttp } from "@modelcontextprotocol/client";
import { StdioClientTransport as ModernStdio } from "@modelcontextprotocol/client/stdio";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { loadDefaultSeed } from "../../src/kommo/rest-api/fake-kommo.js";
import { REPO_ROOT } from "../fixtures/servers/gateway-process.js";
import { kommoSimCommand } from "../helpers/kommo-sim-process.js";

export type AgentEra = "2025" | "2026-07-28";
/** The seed policy plus the account resource and the one prompt the agents read (default deny covers both). */
export const SEED_POLICY = join(REPO_ROOT, "fixtures/policies/valid/seed-with-reads.json");
export const LEGACY_KOMMO = join(REPO_ROOT, "test", "integration", "bridge-legacy-kommo-server.ts");
/** 10 s into a minute: the whole loop falls inside it. */
export const T0_MS = Date.UTC(2026, 2, 15, 12, 0, 10);
export const LOOP_CALLS = 12;

const seed = loadDefaultSeed();
export const STOP_ARGS = { bot_id: seed.salesbots[0]!.id, entity_id: seed.leads[0]!.id, entity_type: "leads" };

type Wire = Record<string, unknown>;

export interface Agent {
  readonly era: AgentEra;
  /** Every raw message the agent's transport received, in order. */
  readonly wire: Wire[];
  // The two SDKs' clients have the same call surface; typed loosely on purpose.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly client: any;
  /** What the gateway wrote on stderr (stdio agents only; its JSON log lines). */
  stderr(): string;
  close(): Promise<void>;
}

interface RecordingTransport {
  onmessage?: ((message: unknown, extra?: unknown) => void) | undefined;
}

/** Wraps every `onmessage` handler the client sets on the transport (it may set it more than once). */
function record(transport: RecordingTransport, wire: Wire[]): void {
  let handler: RecordingTransport["onmessage"];
  const recording = (message: unknown, extra?: unknown): void => {
    wire.push(message as Wire);
    handler?.(message, extra);
  };
  Object.defineProperty(transport, "onmessage", {
    configurable: true,
    get: () => (handler === undefined ? undefined : recording),
    set: (next: RecordingTransport["onmessage"]) => void (handler = next),
  });
}

function collect(stream: NodeJS.ReadableStream | null): () => string {
  let text = "";
  stream?.setEncoding("utf8");
  stream?.on("data", (chunk: string) => void (text += chunk));
  return () => text;
}

export function quoted(command: { command: string; args: readonly string[] }): string {
  return [command.command, ...command.args].map((w) => `"${w}"`).join(" ");
}

/** `--upstream-cmd` for a stdio upstream of either era, writing CRM effects to `effectsFile`. */
export function upstreamCmd(era: AgentEra, effectsFile: string): string {
  if (era === "2026-07-28") return quoted(kommoSimCommand(["--protocol", "2026-07-28", "--kommo-rps", "0", "--effects-file", effectsFile]));
  return quoted({ command: process.execPath, args: ["--import", "tsx", LEGACY_KOMMO, "--effects-file", effectsFile] });
}

export async function stdioAgent(era: AgentEra, gatewayArgs: string[], env: Record<string, string>): Promise<Agent> {
  const wire: Wire[] = [];
  const params = { command: process.execPath, args: gatewayArgs, cwd: REPO_ROOT, env: { ...process.env, ...env } as Record<string, string>, stderr: "pipe" as const };
  if (era === "2025") {
    const transport = new LegacyStdio(params);
    const client = new LegacyClient({ name: "legacy-agent", version: "1.0.0" });
    record(transport as unknown as RecordingTransport, wire);
    const stderr = collect(transport.stderr as NodeJS.ReadableStream | null);
    await client.connect(transport);
    return { era, wire, client, stderr, close: () => client.close() };
  }
  const transport = new ModernStdio(params);
  const client = new ModernClient({ name: "modern-agent", version: "2.0.0" }, { versionNegotiation: { mode: { pin: "2026-07-28" } } });
  record(transport as unknown as RecordingTransport, wire);
  const stderr = collect(transport.stderr as NodeJS.ReadableStream | null);
  await client.connect(transport);
  return { era, wire, client, stderr, close: () => client.close() };
}

export async function httpAgent(era: AgentEra, url: string, token: string): Promise<Agent> {
  const wire: Wire[] = [];
  const requestInit = { headers: { Authorization: `Bearer ${token}` } };
  if (era === "2025") {
    const transport = new LegacyHttp(new URL(url), { requestInit });
    const client = new LegacyClient({ name: "legacy-agent", version: "1.0.0" });
    record(transport as unknown as RecordingTransport, wire);
    await client.connect(transport);
    return { era, wire, client, stderr: () => "", close: () => client.close() };
  }
  const transport = new ModernHttp(new URL(url), { requestInit });
  const client = new ModernClient({ name: "modern-agent", version: "2.0.0" }, { versionNegotiation: { mode: { pin: "2026-07-28" } } });
  record(transport as unknown as RecordingTransport, wire);
  await client.connect(transport);
  return { era, wire, client, stderr: () => "", close: () => client.close() };
}

export interface ScenarioOutcome {
  readonly tools: string[];
  /** `allow` or the denial code of each call, in order: the loop, then `get_account`. */
  readonly decisions: string[];
  /** The raw `result` of the first rate-limited call, as it crossed the wire. */
  readonly rateLimitedWire: Wire;
  readonly resourceText: string;
  readonly promptText: string;
  readonly serverName: string | undefined;
}

export async function runScenario(agent: Agent, setClockMs: (ms: number) => void): Promise<ScenarioOutcome> {
  const c = agent.client;
  const tools = ((await c.listTools()) as { tools: Array<{ name: string }> }).tools.map((t) => t.name);
  const decisions: string[] = [];
  for (let i = 0; i < LOOP_CALLS; i++) {
    setClockMs(T0_MS + i * 100);
    decisions.push(decisionOf(await c.callTool({ name: "stop_salesbot", arguments: STOP_ARGS })));
  }
  decisions.push(decisionOf(await c.callTool({ name: "get_account", arguments: {} })));
  const found = agent.wire.find((m) => {
    const result = m.result as { _meta?: Record<string, { code?: string }> } | undefined;
    return result?._meta?.["toolgate/decision"]?.code === "rate_limited";
  });
  if (!found) throw new Error(`no rate-limited answer on the ${agent.era} agent's wire; decisions ${decisions.join(", ")}; ${agent.wire.length} messages seen`);
  const rateLimitedWire = found.result as Wire;
  const resource = (await c.readResource({ uri: "kommo://account" })) as { contents: Array<{ text: string }> };
  const prompt = (await c.getPrompt({ name: "analisar_vendas_mes" })) as { messages: Array<{ content: { text: string } }> };
  return {
    tools,
    decisions,
    rateLimitedWire,
    resourceText: resource.contents[0]!.text,
    promptText: prompt.messages[0]!.content.text,
    serverName: (c.getServerVersion() as { name?: string } | undefined)?.name,
  };
}

function decisionOf(result: { isError?: boolean; _meta?: Record<string, unknown> }): string {
  const decision = result._meta?.["toolgate/decision"] as { code?: string } | undefined;
  if (decision?.code) return decision.code;
  return result.isError === true ? "tool_error" : "allow";
}

/** 10 passes, 2 rate limited, then `get_account` default-denied. */
export const EXPECTED_DECISIONS = [...Array<string>(10).fill("allow"), "rate_limited", "rate_limited", "default_deny"];

export interface UpstreamProcess {
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts `bridge-legacy-kommo-server.ts --listen 127.0.0.1:0` and resolves with its URL (bounded wait). */
export function startLegacyKommoHttp(effectsFile: string, env: Record<string, string>, timeoutMs = 20_000): Promise<UpstreamProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", LEGACY_KOMMO, "--listen", "127.0.0.1:0", "--effects-file", effectsFile], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 3_000);
      await exited;
      clearTimeout(killer);
    }
  };
  let stderr = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`the legacy Kommo server did not announce its URL within ${timeoutMs} ms; stderr:\n${stderr}`));
    }, timeoutMs);
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
      const match = /MCP Streamable HTTP on (http:\/\/\S+\/mcp)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve({ url: match[1]!, stop });
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the legacy Kommo server exited with ${code} before listening; stderr:\n${stderr}`));
    });
  });
}

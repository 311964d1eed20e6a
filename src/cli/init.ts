/**
 * `toolgate init (--upstream-cmd "CMD ARGS" | --upstream-url URL [--upstream-header "N: v"]…)
 * [--out FILE]`, or `toolgate init --config FILE` for every server of a gateway config: connects to the upstream, reads its tools and writes a starter policy classified
 * by risk (read: allow; write: 30/min; execute: 10/min; destructive: hide; financial: approval).
 * The policy goes to `--out` (or stdout); the classification table goes to stderr.
 *
 * It reaches every server `serve` reaches: the MCP SDK 2.x client negotiates the era itself
 * (`server/discover` first, `initialize` for a 2025-era server), so a 2026-07-28-only server works
 * as well as a 2025 one. A server that cannot be reached or listed is one line on stderr, exit 1.
 */
import { existsSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { Client, StreamableHTTPClientTransport, type Transport } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { formatIssues, messageOf } from "../core/errors.js";
import { formatConfigIssues, parseStackConfigDocument } from "../gateway/stack/stack-config.js";
import { starterPolicy, type ToolInfo } from "../policy/risk-classification.js";
import { compilePolicy } from "../policy/load-policy.js";
import { splitCommand } from "../transports/split-command.js";
import { parseArgs, UsageError, type CommandIo } from "./args.js";
import { parseUpstreamHeaders } from "./upstream-headers.js";

const FLAGS = { "upstream-cmd": { kind: "string" }, "upstream-url": { kind: "string" }, "upstream-header": { kind: "strings" }, out: { kind: "string" }, config: { kind: "string" } } as const;

export async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const { flags } = parseArgs(argv, FLAGS);
  if (flags.config !== undefined) {
    const clash = ["upstream-cmd", "upstream-url", "upstream-header", "out"].find((f) => flags[f] !== undefined);
    if (clash !== undefined) throw new UsageError(`flag \`--${clash}\` cannot be combined with \`--config FILE\`: the config names each server and where its policy goes`);
    return initStack(resolve(io.cwd, flags.config as string), io);
  }
  const cmd = flags["upstream-cmd"] as string | undefined;
  const url = flags["upstream-url"] as string | undefined;
  if ((cmd === undefined) === (url === undefined)) throw new UsageError("expected exactly one of `--upstream-cmd \"CMD ARGS\"` or `--upstream-url URL`");
  const headerFlags = (flags["upstream-header"] as string[] | undefined) ?? [];
  if (headerFlags.length > 0 && url === undefined) throw new UsageError("flag `--upstream-header` applies to `--upstream-url`");
  const headers = parseUpstreamHeaders(headerFlags);
  const out = flags.out as string | undefined;

  const source = cmd !== undefined ? `\`${cmd}\`` : `\`${url}\``;
  let tools: ToolInfo[];
  try {
    tools = await listUpstreamTools(cmd !== undefined ? { cmd, cwd: io.cwd, env: io.env } : { url: url!, headers });
  } catch (error) {
    if (error instanceof UsageError) throw error;
    io.stderr.write(`toolgate init: could not list the tools of ${source}: ${firstLine(messageOf(error))}\n`);
    return 1;
  }
  const { policy, classes } = starterPolicy(tools, source);
  const compiled = compilePolicy(policy);
  if (!compiled.ok) {
    io.stderr.write(`toolgate init: the generated policy is invalid (a bug):\n${formatIssues("(generated)", compiled.issues)}\n`);
    return 1;
  }
  const text = `${JSON.stringify(policy, null, 2)}\n`;
  if (out !== undefined) await writeFile(resolve(io.cwd, out), text);
  else io.stdout.write(text);
  const width = Math.max(4, ...classes.map((c) => c.tool.length));
  for (const c of classes) io.stderr.write(`${c.tool.padEnd(width)}  ${c.risk.padEnd(11)}  ${c.evidence}\n`);
  io.stderr.write(`${classes.length} tools classified${out !== undefined ? `; wrote ${out}` : ""}\n`);
  return 0;
}

export type UpstreamTarget =
  | { readonly cmd: string; readonly cwd: string; readonly env: Record<string, string | undefined> }
  | { readonly command: string; readonly args: readonly string[]; readonly cwd: string; readonly env: Record<string, string | undefined> }
  | { readonly url: string; readonly headers?: Record<string, string> };

/** How long connecting and listing may take before init gives up. */
const LIST_TIMEOUT_MS = 30_000;

/**
 * `init --config FILE`: a starter policy for every server of a gateway config, written where the
 * config says the server's policy lives. A policy file that already exists is left as it is.
 */
async function initStack(configFile: string, io: CommandIo): Promise<number> {
  let text: string;
  try {
    text = readFileSync(configFile, "utf8");
  } catch (error) {
    io.stderr.write(`${configFile}: (root): cannot read the config file: ${messageOf(error)}\n`);
    return 1;
  }
  const parsed = parseStackConfigDocument(text, configFile);
  if (!parsed.ok) {
    io.stderr.write(`${formatConfigIssues(parsed.issues)}\n`);
    return 1;
  }
  const doc = parsed.value;
  const base = dirname(configFile);
  let failed = 0;
  for (const [name, spec] of Object.entries(doc.servers)) {
    const policyFile = resolve(base, spec.policy);
    if (existsSync(policyFile)) {
      io.stderr.write(`${name}: ${spec.policy} exists, left as it is\n`);
      continue;
    }
    const target: UpstreamTarget = "command" in spec ? { command: spec.command, args: spec.args ?? [], cwd: resolve(base, spec.cwd ?? "."), env: { ...io.env, ...spec.env } } : { url: spec.url, headers: spec.headers ?? {} };
    let tools: ToolInfo[];
    try {
      tools = await listUpstreamTools(target);
    } catch (error) {
      io.stderr.write(`${name}: could not list its tools: ${firstLine(messageOf(error))}\n`);
      failed++;
      continue;
    }
    const { policy, classes } = starterPolicy(tools, `server \`${name}\` of ${configFile}`);
    await writeFile(policyFile, `${JSON.stringify(policy, null, 2)}\n`);
    io.stderr.write(`${name}: ${classes.length} tools classified; wrote ${spec.policy}\n`);
  }
  return failed === 0 ? 0 : 1;
}

function firstLine(text: string): string {
  return text.split("\n", 1)[0]!.trim();
}

/** Every tool of the upstream (following `nextCursor`), via the SDK 2.x client in `auto` era negotiation. */
export async function listUpstreamTools(target: UpstreamTarget): Promise<ToolInfo[]> {
  let transport: Transport;
  if ("cmd" in target || "command" in target) {
    const [command, ...args] = "cmd" in target ? splitCommand(target.cmd) : [target.command, ...target.args];
    if (command === undefined) throw new UsageError("flag `--upstream-cmd`: expected a command line, found nothing");
    const env = Object.fromEntries(Object.entries(target.env).filter((e): e is [string, string] => e[1] !== undefined));
    transport = new StdioClientTransport({ command, args, cwd: target.cwd, env, stderr: "pipe" });
  } else {
    let parsed: URL;
    try {
      parsed = new URL(target.url);
    } catch {
      throw new UsageError(`flag \`--upstream-url\`: expected an http(s) URL, found \`${target.url}\``);
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new UsageError(`flag \`--upstream-url\`: expected an http(s) URL, found \`${target.url}\``);
    transport = new StreamableHTTPClientTransport(parsed, { requestInit: { headers: target.headers ?? {} } });
  }
  const client = new Client({ name: "toolgate-init", version: "0.1.0" }, { versionNegotiation: { mode: "auto" } });
  try {
    await client.connect(transport, { timeout: LIST_TIMEOUT_MS });
    const tools: ToolInfo[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 100; page++) {
      const result = await client.listTools(cursor === undefined ? {} : { cursor }, { timeout: LIST_TIMEOUT_MS });
      for (const t of result.tools) {
        tools.push({
          name: t.name,
          ...(t.title !== undefined ? { title: t.title } : {}),
          ...(t.description !== undefined ? { description: t.description } : {}),
          ...(t.annotations !== undefined ? { annotations: t.annotations } : {}),
        });
      }
      cursor = result.nextCursor;
      if (cursor === undefined) break;
    }
    return tools;
  } finally {
    await client.close().catch(() => undefined);
  }
}

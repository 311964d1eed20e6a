/**
 * `toolgate init (--upstream-cmd "CMD ARGS" | --upstream-url URL) [--out FILE]`: connects to the
 * upstream with the MCP SDK 1.x client, reads its tools and writes a starter policy classified by
 * risk (read: allow; write: 30/min; execute: 10/min; destructive: hide; financial: approval).
 * The policy goes to `--out` (or stdout); the classification table goes to stderr.
 */
import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { formatIssues } from "../core/errors.js";
import { starterPolicy, type ToolInfo } from "../harness/risk-classification.js";
import { compilePolicy } from "../policy/load-policy.js";
import { splitCommand } from "../transports/split-command.js";
import { parseArgs, UsageError, type CommandIo } from "./args.js";

const FLAGS = { "upstream-cmd": { kind: "string" }, "upstream-url": { kind: "string" }, out: { kind: "string" } } as const;

export async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const { flags } = parseArgs(argv, FLAGS);
  const cmd = flags["upstream-cmd"] as string | undefined;
  const url = flags["upstream-url"] as string | undefined;
  if ((cmd === undefined) === (url === undefined)) throw new UsageError("expected exactly one of `--upstream-cmd \"CMD ARGS\"` or `--upstream-url URL`");
  const out = flags.out as string | undefined;

  const tools = await listUpstreamTools(cmd !== undefined ? { cmd, cwd: io.cwd, env: io.env } : { url: url! });
  const source = cmd !== undefined ? `\`${cmd}\`` : `\`${url}\``;
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

export type UpstreamTarget = { readonly cmd: string; readonly cwd: string; readonly env: Record<string, string | undefined> } | { readonly url: string };

/** Every tool of the upstream (following `nextCursor`), via the SDK 1.x client. */
export async function listUpstreamTools(target: UpstreamTarget): Promise<ToolInfo[]> {
  let transport: Transport;
  if ("cmd" in target) {
    const [command, ...args] = splitCommand(target.cmd);
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
    transport = new StreamableHTTPClientTransport(parsed);
  }
  const client = new Client({ name: "toolgate-init", version: "0.1.0" });
  try {
    await client.connect(transport);
    const tools: ToolInfo[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 100; page++) {
      const result = await client.listTools(cursor === undefined ? {} : { cursor });
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

/**
 * `toolgate kommo-sim`: the simulated Kommo CRM MCP server as a process.
 *
 *   toolgate kommo-sim [--listen HOST:PORT] [--rest HOST:PORT] [--rest-tls CERT KEY] [--seed FILE]
 *                      [--confirm-writes] [--schema v2|v3] [--protocol any|2026-07-28]
 *                      [--kommo-rps N] [--effects-file FILE] [--rest-port-file FILE]
 *
 * stdio by default (newline-delimited JSON-RPC on stdin/stdout, logs on stderr); `--listen` serves
 * Streamable HTTP at `/mcp` plus `GET /health`. The tools call the fake Kommo REST API through the
 * global `fetch`, answered in-process by msw (as the real server's axios would reach Kommo);
 * `--rest` also serves that same fake on a loopback port (HTTPS with `--rest-tls`) for other
 * clients, e.g. a real Kommo MCP server. Time comes from `processClock` (TOOLGATE_CLOCK_FILE).
 */
import { appendFileSync, readFileSync } from "node:fs";
import type { Readable, Writable } from "node:stream";
import { StdioServerTransport } from "@modelcontextprotocol/server/stdio";
import { setupServer } from "msw/node";
import { canonicalJson } from "../core/canonical-json.js";
import { processClock } from "../core/clock.js";
import { sha256Hex } from "../core/sha256.js";
import { formatIssues, messageOf } from "../core/errors.js";
import { parseCrmSeed } from "../kommo/crm/index.js";
import { createFakeKommo, type FakeKommoOptions } from "../kommo/rest-api/fake-kommo.js";
import { startKommoMcpHttpServer } from "../kommo/mcp-http-server.js";
import { createKommoMcpServer, type KommoProtocolMode } from "../kommo/mcp-server.js";
import { kommoRestHandlers } from "../kommo/rest-api/msw-handlers.js";
import { startKommoRestServer } from "../kommo/rest-api/rest-server.js";
import { createEffectsFileWriter, recordingHandle } from "../kommo/sim-effects-file.js";
import type { KommoSchemaVersion } from "../kommo/tools/catalog.js";
import { parseArgs, parseHostPort, UsageError, type CommandIo } from "./args.js";

const FLAGS = {
  listen: { kind: "string" },
  rest: { kind: "string" },
  "rest-tls": { kind: "string", arity: 2 },
  seed: { kind: "string" },
  "confirm-writes": { kind: "boolean" },
  schema: { kind: "string" },
  protocol: { kind: "string" },
  "kommo-rps": { kind: "string" },
  "effects-file": { kind: "string" },
  "rest-port-file": { kind: "string" },
} as const;

export interface KommoSimFlags {
  readonly listen: { host: string; port: number } | undefined;
  readonly rest: { host: string; port: number } | undefined;
  readonly restTls: { certFile: string; keyFile: string } | undefined;
  readonly seedFile: string | undefined;
  readonly confirmWrites: boolean;
  readonly schema: KommoSchemaVersion;
  readonly protocol: KommoProtocolMode;
  readonly kommoRps: number | undefined;
  readonly effectsFile: string | undefined;
  /** `--rest-port-file`: append the REST port (useful with `--rest 127.0.0.1:0`) as a line. */
  readonly restPortFile: string | undefined;
}

export function parseKommoSimFlags(argv: readonly string[]): KommoSimFlags {
  const { flags } = parseArgs(argv, FLAGS);
  const str = (name: keyof typeof FLAGS): string | undefined => flags[name] as string | undefined;
  const schema = str("schema") ?? "v3";
  if (schema !== "v2" && schema !== "v3") throw new UsageError(`flag \`--schema\`: expected \`v2\` or \`v3\`, found \`${schema}\``);
  const protocol = str("protocol") ?? "any";
  if (protocol !== "any" && protocol !== "2026-07-28") {
    throw new UsageError(`flag \`--protocol\`: expected \`any\` or \`2026-07-28\`, found \`${protocol}\``);
  }
  const rpsText = str("kommo-rps");
  const kommoRps = rpsText === undefined ? undefined : Number(rpsText);
  if (kommoRps !== undefined && !(Number.isInteger(kommoRps) && kommoRps >= 0)) {
    throw new UsageError(`flag \`--kommo-rps\`: expected a whole number of requests per second (0 = off), found \`${rpsText}\``);
  }
  const tls = str("rest-tls")?.split("\u0000");
  const rest = str("rest");
  if (str("rest-port-file") !== undefined && rest === undefined) throw new UsageError("flag `--rest-port-file` needs `--rest HOST:PORT`");
  if (tls && rest === undefined) throw new UsageError("flag `--rest-tls` needs `--rest HOST:PORT`");
  const listen = str("listen");
  return {
    listen: listen === undefined ? undefined : parseHostPort(listen, "listen"),
    rest: rest === undefined ? undefined : parseHostPort(rest, "rest"),
    restTls: tls ? { certFile: tls[0]!, keyFile: tls[1]! } : undefined,
    seedFile: str("seed"),
    confirmWrites: flags["confirm-writes"] === true,
    schema,
    protocol,
    kommoRps,
    effectsFile: str("effects-file"),
    restPortFile: str("rest-port-file"),
  };
}

export async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const flags = parseKommoSimFlags(argv);
  const log = (line: string): void => void io.stderr.write(`kommo-sim: ${line}\n`);
  const clock = processClock(io.env);

  const fakeOptions: { -readonly [K in keyof FakeKommoOptions]: FakeKommoOptions[K] } = { clock };
  if (flags.kommoRps !== undefined) fakeOptions.rateLimitPerSecond = flags.kommoRps;
  if (flags.seedFile !== undefined) {
    const seed = loadSeed(flags.seedFile, io.cwd);
    if (!seed.ok) {
      io.stderr.write(`${seed.message}\n`);
      return 1;
    }
    fakeOptions.seed = seed.value;
  }
  const plainFake = createFakeKommo(fakeOptions);
  const writer = flags.effectsFile === undefined ? undefined : createEffectsFileWriter(plainFake, resolvePath(io.cwd, flags.effectsFile));
  const fake = writer ? recordingHandle(plainFake, writer) : plainFake;

  const msw = setupServer(...kommoRestHandlers(fake));
  msw.listen({ onUnhandledRequest: "error" });
  const sim = createKommoMcpServer({
    baseUrl: fake.baseUrl,
    token: fake.token,
    clock,
    confirmWrites: flags.confirmWrites,
    schema: flags.schema,
    protocol: flags.protocol,
    onerror: (error) => log(`mcp error: ${error.message}`),
  });
  const closers: Array<() => Promise<void>> = [];
  try {
    if (flags.rest) {
      const tls = flags.restTls
        ? { cert: readFileSync(resolvePath(io.cwd, flags.restTls.certFile), "utf8"), key: readFileSync(resolvePath(io.cwd, flags.restTls.keyFile), "utf8") }
        : undefined;
      const restServer = await startKommoRestServer(fake, { host: flags.rest.host, port: flags.rest.port, ...(tls ? { tls } : {}) });
      closers.push(() => restServer.close());
      if (flags.restPortFile !== undefined) appendFileSync(resolvePath(io.cwd, flags.restPortFile), `${new URL(restServer.url).port}\n`);
      log(`fake Kommo REST API on ${restServer.url} (token \`${fake.token}\`)`);
    }
    if (flags.listen) {
      const http = await startKommoMcpHttpServer(sim, { ...flags.listen, clock, onerror: (error) => log(`http error: ${error.message}`) });
      closers.push(() => http.close());
      log(`MCP Streamable HTTP on ${http.url} (protocol ${flags.protocol}, schema ${flags.schema})`);
      await untilSignal();
    } else {
      log(`MCP on stdio (protocol ${flags.protocol}, schema ${flags.schema})`);
      await serveOnStdio(sim, io, flags.effectsFile === undefined ? undefined : (line) => appendFileSync(resolvePath(io.cwd, flags.effectsFile!), `${JSON.stringify({ ...line, atMs: clock.nowMs() })}\n`));
    }
  } finally {
    await sim.close();
    for (const close of closers.reverse()) await close().catch(() => undefined);
    msw.close();
    writer?.close();
  }
  return 0;
}

/** A `tools/call` that reached the simulator, as an effects-file line (`kind: "call"`). */
type CallLine = { readonly kind: "call"; readonly tool: string; readonly argsSha256: string };

async function serveOnStdio(sim: ReturnType<typeof createKommoMcpServer>, io: CommandIo, recordCall?: (line: CallLine) => void): Promise<void> {
  const stdin = io.stdin as Readable;
  const ended = new Promise<void>((resolve) => {
    stdin.once("end", resolve);
    stdin.once("close", resolve);
  });
  const transport = new StdioServerTransport(stdin, io.stdout as Writable);
  await sim.connect(transport);
  const deliver = transport.onmessage;
  if (recordCall && deliver) {
    // What reached the CRM's MCP server, whatever a gateway in front of it answered its agent.
    transport.onmessage = (message) => {
      const m = message as { method?: unknown; params?: { name?: unknown; arguments?: unknown } };
      if (m.method === "tools/call" && typeof m.params?.name === "string") recordCall({ kind: "call", tool: m.params.name, argsSha256: sha256Hex(canonicalJson(m.params.arguments ?? {})) });
      deliver.call(transport, message);
    };
  }
  await Promise.race([ended, untilSignal()]);
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}

type SeedLoad = { ok: true; value: NonNullable<FakeKommoOptions["seed"]> } | { ok: false; message: string };

function loadSeed(file: string, cwd: string): SeedLoad {
  let text: string;
  try {
    text = readFileSync(resolvePath(cwd, file), "utf8");
  } catch (error) {
    return { ok: false, message: `${file}: cannot read the seed file: ${messageOf(error)}` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `${file}: (root): expected a JSON CRM seed, found invalid JSON: ${messageOf(error)}` };
  }
  const parsed = parseCrmSeed(value, file);
  return parsed.ok ? { ok: true, value: parsed.value } : { ok: false, message: formatIssues(file, parsed.issues) };
}

function resolvePath(cwd: string, file: string): string {
  return file.startsWith("/") ? file : `${cwd.replace(/\/+$/, "")}/${file}`;
}

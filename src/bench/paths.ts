/**
 * The paths the bench measures, all against the same simulated upstream (`upstream-server.ts`,
 * built to plain JS). Each path says how the client reaches the upstream: directly, through
 * toolgate (the bench policy: the seed rule with `max` raised so the counter is exercised on every
 * call but never denies), or through a pass-through proxy run from its own bin file (so the pid
 * and RSS are the proxy's, not an npx wrapper's).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { monotonicNs } from "../core/clock.js";
import type { ClientTarget } from "./bench-client.js";
import type { BenchBuild } from "./bench-build.js";
import { freePort, spawnTracked, stopTree, waitForOutput, waitForPort, type Tracked } from "./processes.js";

export const BENCH_POLICY = {
  version: "1",
  default: "deny",
  tools: { stop_salesbot: { limits: [{ counter: "stop_salesbot_rate", window: "minute", max: 1_000_000_000, scope: "grant" }] } },
} as const;

export interface PathContext {
  readonly root: string;
  readonly build: BenchBuild;
  readonly policyFile: string;
  /** Extra node flags for toolgate processes (e.g. `--cpu-prof`). */
  readonly toolgateNodeFlags: readonly string[];
  /** The loopback OTLP receiver for `toolgate-stdio-otel` (undefined when that path is not run). */
  readonly otlpEndpoint: string | undefined;
}

export interface RunningPath {
  readonly target: ClientTarget;
  /** Time from spawn to listening (HTTP paths); undefined for stdio (the client measures connect). */
  readonly startMs: number | undefined;
  stop(): Promise<number[]>;
}

export interface PathSpec {
  readonly id: string;
  readonly label: string;
  readonly transport: "stdio" | "http";
  /** The direct path this one is compared against (undefined for direct paths). */
  readonly directOf: string | undefined;
  /** Run only when named in `--only` (keeps the default run to a few minutes). */
  readonly onlyWhenNamed?: true;
  /** Why the path cannot run here, or undefined. */
  unavailable(ctx: PathContext): string | undefined;
  start(ctx: PathContext): Promise<RunningPath>;
}

const node = process.execPath;
const upstreamArgs = (ctx: PathContext): string[] => [ctx.build.workerJs, "upstream-stdio"];
const upstreamCmd = (ctx: PathContext): string => [node, ...upstreamArgs(ctx)].join(" ");
const toolgateBin = (ctx: PathContext): string => join(ctx.root, "bin/toolgate.mjs");
const toolgateStdioArgs = (ctx: PathContext): string[] => [...ctx.toolgateNodeFlags, toolgateBin(ctx), "serve", "--policy", ctx.policyFile, "--upstream-cmd", upstreamCmd(ctx)];

/** Ids of the floors and of the paths measured against them (`floors.ts`). */
export const FLOOR_PATHS = { stdioRelay: "relay-stdio", httpRelay: "relay-http", otel: "toolgate-stdio-otel" } as const;

/**
 * `serve --config` over `servers` copies of the upstream, each with the bench policy; the client
 * calls the first server's tool. One server against five shows whether the added latency grows
 * with the size of the stack.
 */
function stackArgs(ctx: PathContext, servers: number): string[] {
  const config = join(ctx.build.dir, `bench-stack-${servers}.json`);
  const entries = Array.from({ length: servers }, (_, i) => [`s${i + 1}`, { command: node, args: upstreamArgs(ctx), policy: ctx.policyFile }]);
  writeFileSync(config, `${JSON.stringify({ version: "1", servers: Object.fromEntries(entries) })}\n`);
  return [...ctx.toolgateNodeFlags, toolgateBin(ctx), "serve", "--config", config];
}

function stdioPath(target: (ctx: PathContext) => ClientTarget): PathSpec["start"] {
  return async (ctx) => ({ target: target(ctx), startMs: undefined, stop: async () => [] });
}

async function httpServer(spawnIt: (port: number) => Tracked, ready: "port" | RegExp, path = "/mcp"): Promise<RunningPath> {
  const port = await freePort();
  const t0 = monotonicNs();
  const proc = spawnIt(port);
  try {
    if (ready === "port") await waitForPort(port, 20_000, proc);
    else await waitForOutput(proc, ready, 20_000);
  } catch (error) {
    await stopTree(proc, 1_000);
    throw error;
  }
  const startMs = Number(monotonicNs() - t0) / 1e6;
  return { target: { transport: "http", url: `http://127.0.0.1:${port}${path}`, rootPid: proc.pid }, startMs, stop: () => stopTree(proc, 5_000) };
}

export const PATHS: readonly PathSpec[] = [
  {
    id: "direct-stdio",
    label: "direct stdio",
    transport: "stdio",
    directOf: undefined,
    unavailable: () => undefined,
    start: stdioPath((ctx) => ({ transport: "stdio", command: node, args: upstreamArgs(ctx), cwd: ctx.root })),
  },
  {
    id: "toolgate-stdio",
    label: "toolgate stdio→stdio",
    transport: "stdio",
    directOf: "direct-stdio",
    unavailable: () => undefined,
    start: stdioPath((ctx) => ({ transport: "stdio", command: node, args: toolgateStdioArgs(ctx), cwd: ctx.root })),
  },
  {
    id: FLOOR_PATHS.stdioRelay,
    label: "floor: bare stdio relay (parse + re-serialise)",
    transport: "stdio",
    directOf: "direct-stdio",
    unavailable: () => undefined,
    start: stdioPath((ctx) => ({ transport: "stdio", command: node, args: [ctx.build.relayJs, "stdio", "--", node, ...upstreamArgs(ctx)], cwd: ctx.root })),
  },
  {
    id: FLOOR_PATHS.otel,
    label: "toolgate stdio→stdio, OpenTelemetry on",
    transport: "stdio",
    directOf: "direct-stdio",
    unavailable: (ctx) => (ctx.otlpEndpoint === undefined ? "no OTLP receiver" : undefined),
    start: stdioPath((ctx) => ({
      transport: "stdio",
      command: node,
      args: toolgateStdioArgs(ctx),
      cwd: ctx.root,
      // Spans batch and go out every second (the SDK's default schedule is 5 s); metrics every 5 s.
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: ctx.otlpEndpoint!, OTEL_BSP_SCHEDULE_DELAY: "1000", OTEL_METRIC_EXPORT_INTERVAL: "5000" },
    })),
  },
  ...[1, 5].map(
    (servers): PathSpec => ({
      id: `toolgate-stack-${servers}`,
      label: `toolgate stdio→stack of ${servers} server${servers === 1 ? "" : "s"} (serve --config)`,
      transport: "stdio",
      directOf: "direct-stdio",
      unavailable: () => undefined,
      start: stdioPath((ctx) => ({ transport: "stdio", command: node, args: stackArgs(ctx, servers), cwd: ctx.root, tool: "s1__stop_salesbot" })),
    }),
  ),
  {
    id: "toolgate-stdio-js",
    label: "toolgate stdio→stdio, plain JS (no tsx)",
    transport: "stdio",
    directOf: "direct-stdio",
    onlyWhenNamed: true,
    unavailable: (ctx) => (ctx.build.toolgateJs === undefined ? "not built" : undefined),
    start: stdioPath((ctx) => ({
      transport: "stdio",
      command: node,
      args: [...ctx.toolgateNodeFlags, ctx.build.toolgateJs!, "serve", "--policy", ctx.policyFile, "--upstream-cmd", upstreamCmd(ctx)],
      cwd: ctx.root,
    })),
  },
  {
    id: "direct-http",
    label: "direct Streamable HTTP (SDK, stateful)",
    transport: "http",
    directOf: undefined,
    unavailable: () => undefined,
    start: (ctx) => httpServer((port) => spawnTracked(node, [ctx.build.workerJs, "upstream-http", String(port)], { cwd: ctx.root }), /listening /),
  },
  {
    id: "toolgate-http",
    label: "toolgate HTTP→stdio",
    transport: "http",
    directOf: "direct-http",
    unavailable: () => undefined,
    start: (ctx) =>
      httpServer(
        (port) => spawnTracked(node, [...ctx.toolgateNodeFlags, toolgateBin(ctx), "serve", "--listen", `127.0.0.1:${port}`, "--policy", ctx.policyFile, "--upstream-cmd", upstreamCmd(ctx)], { cwd: ctx.root }),
        "port",
      ),
  },
  {
    id: FLOOR_PATHS.httpRelay,
    label: "floor: bare node:http → stdio relay (JSON answers)",
    transport: "http",
    directOf: "direct-http",
    unavailable: () => undefined,
    start: (ctx) => httpServer((port) => spawnTracked(node, [ctx.build.relayJs, "http", String(port), "--", node, ...upstreamArgs(ctx)], { cwd: ctx.root }), "port"),
  },
  {
    id: "mcp-proxy",
    label: "mcp-proxy HTTP→stdio (stateful)",
    transport: "http",
    directOf: "direct-http",
    unavailable: () => undefined,
    start: (ctx) =>
      httpServer(
        (port) => spawnTracked(node, [join(ctx.root, "node_modules/mcp-proxy/dist/bin/mcp-proxy.mjs"), "--port", String(port), "--host", "127.0.0.1", "--", node, ...upstreamArgs(ctx)], { cwd: ctx.root }),
        "port",
      ),
  },
  {
    id: "supergateway",
    label: "supergateway HTTP→stdio (--stateful)",
    transport: "http",
    directOf: "direct-http",
    unavailable: () => undefined,
    start: (ctx) =>
      httpServer(
        (port) =>
          spawnTracked(
            node,
            [join(ctx.root, "node_modules/supergateway/dist/index.js"), "--stdio", upstreamCmd(ctx), "--outputTransport", "streamableHttp", "--stateful", "--port", String(port), "--logLevel", "none"],
            { cwd: ctx.root },
          ),
        "port",
      ),
  },
];

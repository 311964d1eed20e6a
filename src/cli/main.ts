import { UsageError, type CommandIo, type CommandRun } from "./args.js";

interface Command {
  readonly summary: string;
  /** The synopsis printed by `toolgate <command> --help`. */
  readonly synopsis: string;
  readonly load: () => Promise<{ run: CommandRun }>;
}

/** One file per command; each exports `run(argv, io)` and is loaded only when called. */
const COMMANDS: Record<string, Command> = {
  serve: {
    summary: "run the policy gateway in front of an MCP server (stdio, or --listen for Streamable HTTP)",
    synopsis: `toolgate serve --policy FILE (--upstream-cmd "CMD ARGS" | --upstream-url URL)
  [--grant ID] [--audit FILE] [--store memory|redis://…|redis-cluster://…|redis-sentinel://…] [--store-fail closed|open]
  [--shadow] [--upstream-timeout-ms N] [--max-message-bytes N] [--log-level debug|info|warn|error]
  [--listen HOST:PORT [--grants FILE] [--allowed-origins A,B] [--max-body-bytes N] [--max-sessions N] [--drain-timeout-ms N]]
  [--upstream-header "Name: value"]... [--upstream-env NAME=VALUE]...
  [--admin-listen 127.0.0.1:PORT --admin-token-file FILE] [--approval-mode async|hold] [--approval-timeout-ms N]`,
    load: () => import("./serve.js"),
  },
  approvals: {
    summary: "list, approve or deny pending approvals through a running serve's admin API",
    synopsis: "toolgate approvals list [--state S] [--json] | approve ID [--by NAME] | deny ID [--by NAME]\n  [--admin-url URL] [--admin-token-file FILE]",
    load: () => import("./approvals.js"),
  },
  "kommo-sim": {
    summary: "run the simulated Kommo MCP server (stdio, --listen, --rest)",
    synopsis: `toolgate kommo-sim [--listen HOST:PORT] [--rest HOST:PORT] [--rest-tls CERT KEY] [--seed FILE]
  [--confirm-writes] [--schema v2|v3] [--protocol any|2026-07-28] [--kommo-rps N] [--effects-file FILE]`,
    load: () => import("./kommo-sim.js"),
  },
  validate: { summary: "check policies, grants files, scenarios and recordings; print every problem with its JSON path", synopsis: "toolgate validate FILE... [--policy FILE]", load: () => import("./validate.js") },
  check: {
    summary: "run scenarios against the gateway (or --gateway-cmd); write a report",
    synopsis: 'toolgate check [SCENARIO|DIR...] [--gateway-cmd "TEMPLATE with {policy} {upstream} {config} {grant} {audit} {port} {grants} {admin} {settings}"] [--time clock-file|faketime|real] [--profile FILE|toolgate] [--approve-cmd CMD --deny-cmd CMD] [--reload-cmd CMD] [--max-real-wait-ms N] [--report DIR]',
    load: () => import("./check.js"),
  },
  replay: {
    summary: "re-decide recorded traffic (serve --record) under a candidate policy; exit 1 when a decision changes",
    synopsis: "toolgate replay RECORDING... --policy CANDIDATE [--baseline CURRENT] [--shadow] [--json FILE] [--html FILE]",
    load: () => import("./replay.js"),
  },
  scenario: {
    summary: "turn recorded traffic into a scenario whose expectations are what a policy decides now",
    synopsis: `toolgate scenario from-recording RECORDING... --policy P [--grant G] [--window FROM..TO] [--shadow] --out FILE.scenario.json
  --window: FROM and TO are ISO-8601 UTC times (2026-01-01T00:01:00Z) or offsets from the recording's
  first call (+90s, +1m30s; units ms s m h d); either may be left out; calls at FROM are in, at TO out
  --shadow: decide as serve --shadow does (the scenario sets gateway.shadow)`,
    load: () => import("./scenario.js"),
  },
  init: {
    summary: "write a risk-classified starter policy from an upstream's tools",
    synopsis: 'toolgate init (--upstream-cmd "CMD ARGS" | --upstream-url URL [--upstream-header "Name: value"]...) [--out FILE] | toolgate init --config FILE',
    load: () => import("./init.js"),
  },
  bench: {
    summary: "measure overhead against direct paths, mcp-proxy and supergateway (--json, --quick)",
    synopsis: "toolgate bench [--json FILE] [--rounds N] [--quick] [--only PATHS] [--cpu-prof DIR]",
    load: () => import("./bench.js"),
  },
};

export const USAGE = `usage: toolgate <command> [flags]

commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(11)} ${c.summary}`)
  .join("\n")}

exit codes: 0 ok, 1 check failed or policy invalid, 2 usage error`;

export async function main(argv: readonly string[], io: CommandIo = defaultIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    (name === undefined ? io.stderr : io.stdout).write(`${USAGE}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (command && (rest.includes("--help") || rest.includes("-h"))) {
    io.stdout.write(`${command.summary}\n\nusage: ${command.synopsis}\n\nSee README.md for every flag.\n`);
    return 0;
  }
  if (!command) {
    io.stderr.write(`toolgate: unknown command \`${name}\`\n\n${USAGE}\n`);
    return 2;
  }
  try {
    const { run } = await command.load();
    return await run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`toolgate ${name}: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

function defaultIo(): CommandIo {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd() };
}

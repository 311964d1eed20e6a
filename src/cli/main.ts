import { UsageError, type CommandIo, type CommandRun } from "./args.js";

/** One file per command; each exports `run(argv, io)` and is loaded only when called. */
const COMMANDS: Record<string, { summary: string; load: () => Promise<{ run: CommandRun }> }> = {
  "kommo-sim": { summary: "run the simulated Kommo MCP server (stdio, --listen, --rest)", load: () => import("./kommo-sim.js") },
  approvals: { summary: "list, approve or deny pending approvals through a running serve's admin API", load: () => import("./approvals.js") },
  bench: { summary: "measure overhead against direct paths, mcp-proxy and supergateway (--json, --quick)", load: () => import("./bench.js") },
  check: { summary: "run scenarios against the gateway (or --gateway-cmd); write a report", load: () => import("./check.js") },
  init: { summary: "write a risk-classified starter policy from an upstream's tools", load: () => import("./init.js") },
  serve: { summary: "run the policy gateway on stdio in front of an MCP server (--upstream-cmd | --upstream-url)", load: () => import("./serve.js") },
  validate: { summary: "check policy files; print every problem with its JSON path", load: () => import("./validate.js") },
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

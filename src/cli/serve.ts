/**
 * `toolgate serve`: the policy gateway in front of an MCP server. The upstream is a child process
 * (`--upstream-cmd`, split like a shell would but spawned without one, its stderr inherited) or a
 * Streamable HTTP server (`--upstream-url`).
 *
 * Downstream on stdio (default): the agent talks to this process's stdin/stdout, under one grant
 * (`--grant`). Exit code: 0 when the agent hung up, 1 for an invalid policy or when the upstream
 * went away (every pending call has been answered with an error first), 2 for usage errors.
 *
 * Downstream on Streamable HTTP (`--listen HOST:PORT`, path `/mcp`, plus `/metrics` and
 * `/health`): every MCP session gets its own gateway and its own upstream connection; bearer
 * tokens map to grants (`--grants FILE`) or every request uses `--grant`, which is refused on a
 * non-loopback address. SIGTERM/SIGINT stop accepting, finish calls in flight (bounded by
 * `--drain-timeout-ms`), close the upstreams and exit 0.
 *
 * The upstream's own credential stays here: `--upstream-header "Name: value"` (for
 * `--upstream-url`) and `--upstream-env NAME=VALUE` (for `--upstream-cmd`); the agent's
 * `Authorization` header is never forwarded. Logs are JSON lines on stderr.
 *
 * Several servers (`--config FILE`, `gateway/stack/stack-config.ts`): one gateway in front of every
 * server of the config, each with its own policy, tools exposed as `<server>__<tool>`; on stdio,
 * or with `--listen` over HTTP with the config's grants (each token: its servers and policies).
 *
 * Stores: `--store memory` (default) or `--store redis://HOST:PORT/DB` / `redis-cluster://…` / `redis-sentinel://…/MASTER` (counters and approvals
 * shared by replicas). Approvals: `--approval-mode async|hold` (`--approval-timeout-ms` for hold),
 * decided through the loopback admin API `--admin-listen HOST:PORT`, protected by its own token
 * (`--admin-token-file FILE` or TOOLGATE_ADMIN_TOKEN). Policy files are watched and reloaded on
 * change and on SIGHUP; an invalid file is logged with its issues and the old policy stays.
 */
import { processClock } from "../core/clock.js";
import { createJsonLogger } from "../gateway/logger.js";
import type { CommandRun } from "./args.js";
import { parseServeArgs } from "./serve/serve-config.js";
import { serveHttp } from "./serve/serve-http.js";
import { serveStack } from "./serve/serve-stack.js";
import { serveStdio } from "./serve/serve-stdio.js";

export { DEFAULT_STDIO_GRANT, parseServeArgs, type ServeConfig } from "./serve/serve-config.js";

export const run: CommandRun = async (argv, io) => {
  const config = parseServeArgs(argv, io.cwd, io.env);
  const clock = processClock(io.env);
  const logger = createJsonLogger({ write: (text, done) => void io.stderr.write(text, done), clock, level: config.logLevel, base: { source: "toolgate" } });
  const code =
    config.upstream.kind === "stack" && !config.listen
      ? await serveStack(config, config.upstream.configFile, io, clock, logger)
      : config.listen
        ? await serveHttp(config, io, clock, logger)
        : await serveStdio(config, io, clock, logger);
  await logger.flush();
  return code;
};


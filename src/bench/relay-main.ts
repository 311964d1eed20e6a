/**
 * Entry point of the bench's floors, bundled on its own (`bench-build.ts`) so that a relay
 * process loads nothing but itself: `relay-main stdio -- CMD ARGS…` or
 * `relay-main http PORT -- CMD ARGS…`. The HTTP relay prints `listening PORT` when ready and
 * stops on SIGTERM.
 */
import { startHttpRelay } from "./http-relay.js";
import { runStdioRelay } from "./stdio-relay.js";

async function main(argv: readonly string[]): Promise<void> {
  const dashes = argv.indexOf("--");
  const [command, ...args] = argv.slice(dashes + 1);
  if (dashes === -1 || command === undefined) throw new Error("usage: relay-main stdio|http [PORT] -- CMD ARGS…");
  if (argv[0] === "stdio") return runStdioRelay(command, args);
  if (argv[0] === "http") {
    const server = await startHttpRelay(Number(argv[1]), command, args);
    process.stdout.write(`listening ${argv[1]}\n`);
    process.once("SIGTERM", () => {
      server.closeAllConnections();
      server.close(() => process.exit(0));
    });
    return;
  }
  throw new Error(`relay-main: unknown mode \`${argv[0]}\``);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`relay-main: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

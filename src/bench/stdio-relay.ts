/**
 * The stdio floor of the bench: the least a process between an agent and an MCP server over
 * stdio can do. It spawns the upstream, and relays newline-delimited JSON both ways, parsing and
 * re-serialising every line (as any relay that looks at messages must), with no policy, no
 * correlation and no validation. toolgate's stdio path is compared with it in the same run.
 */
import { spawn } from "node:child_process";
import type { Readable, Writable } from "node:stream";

/** Calls `onLine` with every complete line of `input` (without its newline). */
export function readLines(input: Readable, onLine: (line: string) => void): void {
  let rest = "";
  input.setEncoding("utf8");
  input.on("data", (chunk: string) => {
    let text = rest + chunk;
    let nl = text.indexOf("\n");
    while (nl !== -1) {
      const line = text.slice(0, nl);
      if (line.trim() !== "") onLine(line);
      text = text.slice(nl + 1);
      nl = text.indexOf("\n");
    }
    rest = text;
  });
}

/** Parses a line and writes it back out re-serialised; a line that is not JSON is dropped. */
export function relayLine(line: string, out: Writable): void {
  let message: unknown;
  try {
    message = JSON.parse(line);
  } catch {
    return;
  }
  out.write(`${JSON.stringify(message)}\n`);
}

export function runStdioRelay(command: string, args: readonly string[]): Promise<void> {
  const child = spawn(command, [...args], { stdio: ["pipe", "pipe", "inherit"] });
  readLines(process.stdin, (line) => relayLine(line, child.stdin));
  readLines(child.stdout, (line) => relayLine(line, process.stdout));
  process.stdin.once("end", () => child.stdin.end());
  return new Promise((resolve) => {
    child.once("exit", () => {
      process.stdin.destroy();
      resolve();
    });
  });
}

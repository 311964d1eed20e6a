/**
 * One external gateway process: spawned from a filled command line, its stderr kept (the last
 * lines, for a mismatch when it breaks), its exit watched; over stdio, an SDK `Transport` on its
 * pipes (newline-delimited JSON-RPC), so an SDK 1.x client can talk to it and the harness still
 * knows the exit code. `describeBreak` turns an exit or a spawn failure into one readable line.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { ReadBuffer, serializeMessage } from "@modelcontextprotocol/sdk/shared/stdio.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { systemClock } from "../core/clock.js";
import { splitCommand } from "../transports/split-command.js";

const STDERR_TAIL_LINES = 20;

export interface ProcessExit {
  readonly code: number | null;
  readonly signal: string | null;
}

export class GatewayProcess {
  readonly child: ChildProcess;
  private stderrText = "";
  /** Characters written to stderr in all (the kept text is its last 16 KiB). */
  private stderrWritten = 0;
  private spawnError: string | undefined;
  exit: ProcessExit | undefined;
  readonly exited: Promise<ProcessExit>;

  constructor(
    readonly commandLine: string,
    options: { readonly cwd: string; readonly env: Record<string, string> },
  ) {
    const [command, ...args] = splitCommand(commandLine);
    this.child = spawn(command ?? "", args, { cwd: options.cwd, env: options.env, stdio: ["pipe", "pipe", "pipe"] });
    this.child.stderr!.setEncoding("utf8");
    this.child.stderr!.on("data", (chunk: string) => {
      this.stderrText = (this.stderrText + chunk).slice(-16_384);
      this.stderrWritten += chunk.length;
    });
    this.exited = new Promise((resolve) => {
      this.child.once("error", (error) => {
        this.spawnError = error.message;
        this.exit ??= { code: null, signal: null };
        resolve(this.exit);
      });
      this.child.once("exit", (code, signal) => {
        this.exit ??= { code, signal };
        resolve(this.exit);
      });
    });
  }

  /** How much stderr the process has written so far (to wait for a line after a signal). */
  get stderrLength(): number {
    return this.stderrWritten;
  }

  /** What stderr received after `stderrLength` was `mark` (as much of it as is kept). */
  stderrSince(mark: number): string {
    return this.stderrText.slice(Math.max(0, this.stderrText.length - (this.stderrWritten - mark)));
  }

  stderrTail(lines = STDERR_TAIL_LINES): string {
    return this.stderrText.trimEnd().split("\n").slice(-lines).join("\n");
  }

  /** One line (plus the stderr tail) saying how the process ended, or undefined while it runs. */
  describeBreak(): string | undefined {
    if (this.exit === undefined) return undefined;
    const how = this.spawnError !== undefined ? `could not start (${this.spawnError})` : this.exit.signal !== null ? `was killed by ${this.exit.signal}` : `exited with code ${this.exit.code}`;
    const tail = this.stderrTail();
    return `the gateway process \`${this.commandLine.slice(0, 200)}\` ${how}${tail ? `; the last lines of its stderr:\n${tail}` : " and wrote nothing on stderr"}`;
  }

  /** Sends a signal (`SIGHUP` for a reload); false when the process is gone. */
  signal(name: NodeJS.Signals): boolean {
    return this.exit === undefined && this.child.kill(name);
  }

  /** Resolves once stderr grew past `length`, or after `maxMs` real ms. */
  async stderrAfter(length: number, maxMs: number): Promise<void> {
    for (let waited = 0; waited < maxMs && this.stderrWritten <= length && this.exit === undefined; waited += 10) await systemClock.sleep(10);
  }

  async stop(): Promise<void> {
    if (this.exit !== undefined) return;
    this.child.stdin?.end();
    const gone = await Promise.race([this.exited.then(() => true), systemClock.sleep(2_000).then(() => false)]);
    if (!gone) {
      this.child.kill("SIGTERM");
      const ended = await Promise.race([this.exited.then(() => true), systemClock.sleep(2_000).then(() => false)]);
      if (!ended) this.child.kill("SIGKILL");
    }
  }
}

/** An SDK client transport over a `GatewayProcess`'s stdin and stdout. */
export class ProcessStdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  private readonly buffer = new ReadBuffer();

  constructor(private readonly process: GatewayProcess) {}

  async start(): Promise<void> {
    const { child } = this.process;
    child.stdout!.on("data", (chunk: Buffer) => {
      this.buffer.append(chunk);
      for (;;) {
        let message: JSONRPCMessage | null;
        try {
          message = this.buffer.readMessage();
        } catch (error) {
          this.onerror?.(error as Error);
          continue;
        }
        if (message === null) break;
        this.onmessage?.(message);
      }
    });
    child.stdin!.on("error", (error) => this.onerror?.(error));
    void this.process.exited.then(() => this.onclose?.());
  }

  async send(message: JSONRPCMessage): Promise<void> {
    const stdin = this.process.child.stdin;
    if (!stdin || this.process.exit !== undefined || stdin.destroyed) throw new Error(this.process.describeBreak() ?? "the gateway process's stdin is closed");
    await new Promise<void>((resolve) => (stdin.write(serializeMessage(message)) ? resolve() : stdin.once("drain", resolve)));
  }

  async close(): Promise<void> {
    await this.process.stop();
  }
}

/**
 * Newline-delimited JSON-RPC over a readable/writable pair (the gateway's own stdin/stdout) or
 * over a child process's pipes (a stdio upstream). A dumb pipe: it parses JSON and hands the
 * value on; classification and answers belong to the gateway.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { afterThisTurn, systemClock } from "../core/clock.js";
import { jsonSyntaxError } from "../core/json-text.js";
import type { JsonRpcMessage } from "../protocol/messages.js";
import { FrameError, type Transport } from "../protocol/transport.js";
import { LineFramer } from "./line-framer.js";

export const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

export interface StdioTransportOptions {
  readonly readable: NodeJS.ReadableStream;
  readonly writable: NodeJS.WritableStream;
  readonly maxMessageBytes?: number;
  /** End the writable side on close (true for a child's stdin, false for the process's stdout). */
  readonly endWritableOnClose?: boolean;
  /**
   * Keep `send` working after the readable side ends, until `close()` (the process's stdout: an agent
   * that closes stdin still reads the answers to what it sent). Default false.
   */
  readonly writableOutlivesReadable?: boolean;
}

type DrainableStream = NodeJS.WritableStream & { readonly writableNeedDrain?: boolean };

export class StdioTransport implements Transport {
  onmessage?: ((message: JsonRpcMessage) => void) | undefined;
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;

  private readonly framer: LineFramer;
  private started = false;
  private closed = false;
  /** True once `send` may no longer write (closed, or the input ended without `writableOutlivesReadable`). */
  private writeClosed = false;
  private readonly maxMessageBytes: number;
  /** The lines sent this turn, waiting for `afterThisTurn` to go out together, and their senders' promise. */
  private batch: { text: string; readonly handedOn: Promise<void>; readonly settle: () => void } | undefined;

  constructor(private readonly options: StdioTransportOptions) {
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.framer = new LineFramer(this.maxMessageBytes, (line) => this.receive(line), () =>
      this.onerror?.(new FrameError("too_large", `message too large: more than ${this.maxMessageBytes} bytes without a newline`)),
    );
  }

  async start(): Promise<void> {
    if (this.started) throw new Error("stdio transport already started");
    this.started = true;
    const { readable, writable } = this.options;
    readable.on("data", this.onData);
    readable.on("end", this.onEnd);
    readable.on("error", this.onStreamError);
    writable.on("error", this.onStreamError);
  }

  send(message: JsonRpcMessage): Promise<void> {
    if (this.writeClosed) return Promise.reject(new Error("transport closed"));
    let line: string;
    try {
      line = `${JSON.stringify(message)}\n`;
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    // Lines sent in one turn of the event loop (several answers from one upstream read, the
    // forwards of requests decided together) leave as one string in one write, and every sender
    // of that turn waits on the same promise: settled once the text is handed on (after the drain,
    // when one is needed). One string and one promise per turn, not one per line (docs/benchmarks.md).
    if (this.batch === undefined) {
      let settle!: () => void;
      const handedOn = new Promise<void>((resolve) => (settle = resolve));
      this.batch = { text: line, handedOn, settle };
      afterThisTurn(this.flushBatch);
    } else this.batch.text += line;
    return this.batch.handedOn;
  }

  private readonly flushBatch = (): void => {
    const batch = this.batch;
    if (batch === undefined) return;
    this.batch = undefined;
    const writable = this.options.writable as DrainableStream;
    if (!writable.write(batch.text) && writable.writableNeedDrain !== false) writable.once("drain", batch.settle);
    else batch.settle();
  };

  async close(): Promise<void> {
    if (this.writeClosed) return;
    const { readable, writable } = this.options;
    readable.off("data", this.onData);
    readable.off("end", this.onEnd);
    this.flushBatch(); // what was sent this turn goes out before the end
    this.writeClosed = true;
    if (this.options.endWritableOnClose ?? true) writable.end();
    this.finish();
  }

  /** Marks the transport closed and fires `onclose` once. */
  protected finish(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.options.writableOutlivesReadable !== true) this.writeClosed = true;
    this.onclose?.();
  }

  private readonly onData = (chunk: Buffer | string): void => {
    this.framer.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  };

  private readonly onEnd = (): void => this.finish();

  private readonly onStreamError = (error: Error): void => {
    this.onerror?.(error);
  };

  private receive(line: string): void {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      this.onerror?.(new FrameError("parse_error", jsonSyntaxError(line)));
      return;
    }
    this.onmessage?.(value as JsonRpcMessage);
  }
}

export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all (e.g. ENOENT). */
  readonly error?: Error;
}

export interface SpawnOptions {
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: Record<string, string | undefined>;
  readonly cwd?: string;
  readonly stderr?: "inherit" | "pipe" | "ignore";
  readonly maxMessageBytes?: number;
  /** How long `close()` waits after SIGTERM before SIGKILL (real time; default 2000 ms). */
  readonly killGraceMs?: number;
}

/** A stdio transport over a child process spawned without a shell. `onclose` fires when it exits. */
export class ChildProcessTransport extends StdioTransport {
  readonly child: ChildProcess;
  /** Resolves when the child has exited and its pipes are closed. */
  readonly exited: Promise<ChildExit>;
  private exitInfo: ChildExit | undefined;
  private readonly killGraceMs: number;

  constructor(options: SpawnOptions) {
    const child = spawn(options.command, [...options.args], {
      env: options.env as NodeJS.ProcessEnv | undefined,
      cwd: options.cwd,
      stdio: ["pipe", "pipe", options.stderr ?? "inherit"],
      shell: false,
      windowsHide: true,
    });
    super({ readable: child.stdout!, writable: child.stdin!, maxMessageBytes: options.maxMessageBytes, endWritableOnClose: true });
    this.child = child;
    this.killGraceMs = options.killGraceMs ?? 2000;
    let spawnError: Error | undefined;
    this.exited = new Promise((resolve) => {
      child.once("error", (error) => {
        spawnError = error;
        // A process that never started emits no `close` on some versions; settle here too.
        if (child.pid === undefined) {
          this.exitInfo = { code: null, signal: null, error };
          resolve(this.exitInfo);
        }
      });
      child.once("close", (code, signal) => {
        this.exitInfo ??= { code, signal, ...(spawnError ? { error: spawnError } : {}) };
        resolve(this.exitInfo);
      });
    });
    void this.exited.then(() => this.finish());
  }

  /** Exit status once known. */
  get exitStatus(): ChildExit | undefined {
    return this.exitInfo;
  }

  override async close(): Promise<void> {
    await super.close();
    if (this.exitInfo) return;
    this.child.kill("SIGTERM");
    const timer = systemClock.setTimer(() => this.child.kill("SIGKILL"), this.killGraceMs);
    await this.exited;
    timer.cancel();
  }
}

/**
 * A private `redis-server` for fault tests: loopback only, nothing on disk, on a free port picked
 * by the OS. Readiness is taken from the server's own log line, not from sleeping. Every wait is
 * bounded; `stop()` kills the process and is safe to call twice.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { freePort } from "../../src/bench/processes.js";

const READY_LINE = /Ready to accept connections/;
const START_TIMEOUT_MS = 5_000;

/** A TCP port on 127.0.0.1 that was free a moment ago (the OS picked it for a listener on port 0). */
export const freeLoopbackPort = freePort;

export class PrivateRedisServer {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}/0`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts a server on a fresh free port. */
  static async start(): Promise<PrivateRedisServer> {
    const server = new PrivateRedisServer(await freeLoopbackPort());
    await server.restart();
    return server;
  }

  /** Starts (again) on the same port; the previous process must be gone. */
  async restart(): Promise<void> {
    if (this.child !== undefined) throw new Error(`redis-server on port ${this.port} is still running (pid ${this.child.pid})`);
    const child = spawn("redis-server", ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "notice"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
    void this.exited.then(() => {
      if (this.child === child) this.child = undefined;
    });
    let log = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`redis-server on port ${this.port} did not become ready within ${START_TIMEOUT_MS} ms; log:\n${log}`)), START_TIMEOUT_MS);
      const onData = (chunk: Buffer): void => {
        log += chunk.toString("utf8");
        if (READY_LINE.test(log)) done();
      };
      const onExit = (code: number | null, signal: string | null): void => fail(new Error(`redis-server on port ${this.port} exited (code ${code}, signal ${signal}) before it was ready; log:\n${log}`));
      const onError = (error: Error): void => fail(error);
      const cleanup = (): void => {
        clearTimeout(timer);
        child.stdout?.off("data", onData);
        child.stderr?.off("data", onData);
        child.off("exit", onExit);
        child.off("error", onError);
      };
      const done = (): void => {
        cleanup();
        resolve();
      };
      const fail = (error: Error): void => {
        cleanup();
        child.kill("SIGKILL");
        reject(error);
      };
      child.stdout?.on("data", onData);
      child.stderr?.on("data", onData);
      child.once("exit", onExit);
      child.once("error", onError);
    });
    // Keep draining the pipes so that the server never blocks on a full log pipe.
    child.stdout?.resume();
    child.stderr?.resume();
  }

  /** Sends a signal: SIGKILL to crash it, SIGSTOP/SIGCONT to freeze and thaw it. */
  signal(signal: NodeJS.Signals): void {
    if (this.child === undefined) throw new Error(`redis-server on port ${this.port} is not running`);
    this.child.kill(signal);
  }

  /** SIGKILL and wait (bounded) for the process to be gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    child.kill("SIGCONT"); // a frozen process must run to die promptly
    child.kill("SIGKILL");
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.exited, new Promise((resolve) => (timer = setTimeout(resolve, 2_000)))]);
    clearTimeout(timer);
    this.child = undefined;
  }

  async stop(): Promise<void> {
    await this.kill();
  }
}

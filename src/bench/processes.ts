/**
 * Child processes of the bench: spawn, wait (bounded) for a line or a port, and stop a whole
 * process tree (SIGTERM, then SIGKILL after a bound; descendants that outlive their parent are
 * killed by pid). Nothing here waits without a bound.
 */
import { type ChildProcess, spawn, type SpawnOptions } from "node:child_process";
import { connect, createServer } from "node:net";
import { monotonicNs, systemClock } from "../core/clock.js";
import { descendantPids } from "./procfs.js";

export interface Tracked {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  /** Everything the process wrote to stdout and stderr so far (for error messages). */
  output(): string;
  /** What it wrote to stdout alone. */
  stdout(): string;
}

export function spawnTracked(command: string, args: readonly string[], options: SpawnOptions = {}): Tracked {
  const child = spawn(command, [...args], { stdio: ["ignore", "pipe", "pipe"], ...options });
  let out = "";
  let stdout = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    out = (out + chunk.toString("utf8")).slice(-200_000);
    stdout = (stdout + chunk.toString("utf8")).slice(-1_000_000);
  });
  child.stderr?.on("data", (chunk: Buffer) => (out = (out + chunk.toString("utf8")).slice(-200_000)));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
    child.once("error", () => resolve({ code: null, signal: null }));
  });
  if (child.pid === undefined) throw new Error(`could not start \`${command}\``);
  return { child, pid: child.pid, exited, output: () => out, stdout: () => stdout };
}

/** Resolves when `pattern` appears in the process's output; rejects on exit or after `timeoutMs`. */
export function waitForOutput(proc: Tracked, pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      const m = pattern.exec(proc.output());
      if (m) finish(() => resolve(m));
    };
    const timer = systemClock.setTimer(() => finish(() => reject(new Error(`pid ${proc.pid}: \`${pattern.source}\` did not appear within ${timeoutMs} ms; output:\n${proc.output().slice(-2_000)}`))), timeoutMs);
    const onExit = (): void => finish(() => reject(new Error(`pid ${proc.pid} exited before \`${pattern.source}\` appeared; output:\n${proc.output().slice(-2_000)}`)));
    const finish = (then: () => void): void => {
      timer.cancel();
      proc.child.stdout?.off("data", check);
      proc.child.stderr?.off("data", check);
      proc.child.off("exit", onExit);
      then();
    };
    proc.child.stdout?.on("data", check);
    proc.child.stderr?.on("data", check);
    proc.child.once("exit", onExit);
    check();
  });
}

/** Polls until a TCP connect to 127.0.0.1:port succeeds; bounded by `timeoutMs`. */
export async function waitForPort(port: number, timeoutMs: number, proc?: Tracked): Promise<number> {
  const startNs = monotonicNs();
  for (let attempt = 0; attempt < 10_000; attempt++) {
    const elapsedMs = Number(monotonicNs() - startNs) / 1e6;
    if (elapsedMs > timeoutMs) break;
    if (proc && proc.child.exitCode !== null) throw new Error(`pid ${proc.pid} exited before listening on ${port}; output:\n${proc.output().slice(-2_000)}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (ok) return elapsedMs;
    await systemClock.sleep(25);
  }
  throw new Error(`nothing listened on 127.0.0.1:${port} within ${timeoutMs} ms${proc ? `; output:\n${proc.output().slice(-2_000)}` : ""}`);
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("expected a TCP address");
  return address.port;
}

/**
 * Stops a process and everything it started: SIGTERM to the process, then after `graceMs` SIGKILL
 * to it and to every descendant seen before the stop. Returns the descendants still alive after.
 */
export async function stopTree(proc: Tracked, graceMs = 5_000): Promise<number[]> {
  const family = descendantPids(proc.pid);
  if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill("SIGTERM");
  let timer: { cancel(): void } | undefined;
  const timedOut = await Promise.race([proc.exited.then(() => false), new Promise<boolean>((resolve) => (timer = systemClock.setTimer(() => resolve(true), graceMs)))]);
  timer?.cancel();
  if (timedOut) proc.child.kill("SIGKILL");
  // Children of a shell wrapper (supergateway spawns `sh -c`) may outlive their parent: wait a
  // little for them to follow, then kill what is left.
  for (let i = 0; i < 20 && family.some(isAlive); i++) await systemClock.sleep(50);
  const left = family.filter(isAlive);
  for (const pid of left) killQuietly(pid);
  return left;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}

/** Runs a worker to completion and returns the parsed `BENCH-RESULT` line; bounded by `timeoutMs`. */
export async function runToResult<T>(command: string, args: readonly string[], timeoutMs: number, options: SpawnOptions = {}): Promise<T> {
  const proc = spawnTracked(command, args, options);
  let timer: { cancel(): void } | undefined;
  const outcome = await Promise.race([proc.exited, new Promise<"timeout">((resolve) => (timer = systemClock.setTimer(() => resolve("timeout"), timeoutMs)))]);
  timer?.cancel();
  if (outcome === "timeout") {
    await stopTree(proc, 1_000);
    throw new Error(`\`${[command, ...args].join(" ").slice(0, 200)}\` did not finish within ${timeoutMs} ms; output:\n${proc.output().slice(-2_000)}`);
  }
  const line = proc.stdout().split("\n").find((l) => l.startsWith("BENCH-RESULT "));
  if (outcome.code !== 0 || line === undefined) {
    throw new Error(`\`${[command, ...args].join(" ").slice(0, 200)}\` failed (code ${outcome.code}, signal ${outcome.signal}); output:\n${proc.output().slice(-2_000)}`);
  }
  return JSON.parse(line.slice("BENCH-RESULT ".length)) as T;
}

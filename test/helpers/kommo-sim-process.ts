/**
 * `toolgate kommo-sim` as a child process for integration tests: the command line to hand to a
 * stdio client transport, an HTTP launcher that waits (bounded) for the announced URL, and a
 * reader for the `--effects-file` JSON lines. Children are always killed by `stop()`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { readJsonLines } from "../fixtures/servers/gateway-process.js";

export const REPO_ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
export const TOOLGATE_BIN = join(REPO_ROOT, "bin", "toolgate.mjs");

/** `node bin/toolgate.mjs kommo-sim ARGS`, for `StdioClientTransport({command, args})`. */
export function kommoSimCommand(args: readonly string[]): { command: string; args: string[] } {
  return { command: process.execPath, args: [TOOLGATE_BIN, "kommo-sim", ...args] };
}

export function tempDir(prefix = "kommo-sim-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A TOOLGATE_CLOCK_FILE holding `epochMs`; rewrite it with `set` to move the child's clock. */
export function clockFile(dir: string, epochMs: number): { path: string; set(epochMs: number): void } {
  const path = join(dir, "clock");
  writeFileSync(path, String(epochMs));
  return { path, set: (ms) => writeFileSync(path, String(ms)) };
}

export interface EffectsFileLine {
  kind: "request" | "effect";
  [key: string]: unknown;
}

/** The lines `kommo-sim --effects-file` wrote so far (none yet: empty). */
export function readEffectsFile(path: string): EffectsFileLine[] {
  return readJsonLines<EffectsFileLine>(path);
}

export interface KommoSimHttpProcess {
  /** e.g. `http://127.0.0.1:39123/mcp` */
  readonly url: string;
  readonly child: ChildProcess;
  stderr(): string;
  stop(): Promise<void>;
}

/** Starts `kommo-sim --listen 127.0.0.1:0 ARGS` and resolves once it announces its URL (at most `timeoutMs`). */
export function startKommoSimHttp(args: readonly string[], env: Record<string, string> = {}, timeoutMs = 20_000): Promise<KommoSimHttpProcess> {
  const child = spawn(process.execPath, [TOOLGATE_BIN, "kommo-sim", "--listen", "127.0.0.1:0", ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 3_000);
      await exited;
      clearTimeout(killer);
    }
  };
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`kommo-sim did not announce its URL within ${timeoutMs} ms; stderr:\n${stderr}`));
    }, timeoutMs);
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (chunk: string) => {
      stderr += chunk;
      const match = /MCP Streamable HTTP on (http:\/\/\S+\/mcp)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolvePromise({ url: match[1]!, child, stderr: () => stderr, stop });
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`kommo-sim exited with ${code} before listening; stderr:\n${stderr}`));
    });
  });
}

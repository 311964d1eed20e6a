/** A `CommandIo` whose stdout and stderr are captured as text, for running a command in process. */
import { PassThrough } from "node:stream";
import type { CommandIo } from "../../src/cli/args.js";

export interface CapturedIo {
  readonly io: CommandIo;
  out(): string;
  err(): string;
}

export function capturedIo(cwd: string = process.cwd(), env: Record<string, string | undefined> = {}): CapturedIo {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (c: Buffer) => (out += c.toString()));
  stderr.on("data", (c: Buffer) => (err += c.toString()));
  return { io: { stdout, stderr, stdin: new PassThrough(), env, cwd }, out: () => out, err: () => err };
}

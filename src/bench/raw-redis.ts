/**
 * A few raw RESP commands over a plain socket, for the bench's own bookkeeping (PING round trip,
 * MONITOR). Only the Redis stores may import a Redis client; this is not one: it speaks just
 * enough of the protocol to read one simple reply.
 */
import { connect, type Socket } from "node:net";

export class RawRedis {
  private buffer = "";
  private waiting: ((reply: string) => void) | undefined;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      this.buffer += chunk;
      this.tryResolve();
    });
  }

  static open(host: string, port: number): Promise<RawRedis> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, host, () => resolve(new RawRedis(socket)));
      socket.once("error", reject);
    });
  }

  /** Sends one command; resolves to its reply as text (bulk and simple strings; errors reject). */
  command(...words: string[]): Promise<string> {
    const frame = `*${words.length}\r\n${words.map((w) => `$${Buffer.byteLength(w)}\r\n${w}\r\n`).join("")}`;
    return new Promise((resolve, reject) => {
      this.waiting = (reply) => (reply.startsWith("-") ? reject(new Error(reply.slice(1))) : resolve(reply));
      this.socket.write(frame);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private tryResolve(): void {
    const reply = takeReply(this.buffer);
    if (!reply || !this.waiting) return;
    this.buffer = this.buffer.slice(reply.length);
    const done = this.waiting;
    this.waiting = undefined;
    done(reply.value);
  }
}

/** One complete simple/error/integer/bulk reply at the start of `text`, or undefined. */
export function takeReply(text: string): { value: string; length: number } | undefined {
  const eol = text.indexOf("\r\n");
  if (eol === -1) return undefined;
  const kind = text[0];
  if (kind === "+" || kind === ":") return { value: text.slice(1, eol), length: eol + 2 };
  if (kind === "-") return { value: text.slice(0, eol), length: eol + 2 };
  if (kind === "$") {
    const size = Number(text.slice(1, eol));
    if (size < 0) return { value: "", length: eol + 2 };
    const bytes = Buffer.from(text.slice(eol + 2), "utf8");
    if (bytes.length < size + 2) return undefined;
    const value = bytes.subarray(0, size).toString("utf8");
    return { value, length: eol + 2 + value.length + 2 };
  }
  throw new Error(`raw redis: unexpected reply \`${text.slice(0, 40)}\``);
}

/** A MONITOR connection: every command Redis runs, one line each; script-issued ones say `lua]`. */
export async function startMonitor(host: string, port: number): Promise<{ stop(): Promise<string[]> }> {
  const socket = connect(port, host);
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  let text = "";
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => (text += chunk));
  socket.write("*1\r\n$7\r\nMONITOR\r\n");
  // MONITOR answers +OK first; commands are streamed only after it.
  for (let i = 0; i < 200 && !text.startsWith("+OK\r\n"); i++) await new Promise<void>((resolve) => socket.once("data", () => resolve()));
  return {
    async stop(): Promise<string[]> {
      // A PING on another connection marks the end; wait until it shows up in the stream.
      const marker = await RawRedis.open(host, port);
      await marker.command("PING");
      for (let i = 0; i < 200 && !/"ping"/i.test(text); i++) await new Promise<void>((resolve) => socket.once("data", () => resolve()));
      marker.close();
      socket.destroy();
      return text
        .split("\r\n")
        .slice(1)
        .filter((line) => line.startsWith("+") && !/"ping"/i.test(line));
    },
  };
}

/** Of MONITOR lines: commands sent by clients (round trips) and commands run inside scripts. */
export function classifyMonitorLines(lines: readonly string[]): { client: Map<string, number>; script: number } {
  const client = new Map<string, number>();
  let script = 0;
  for (const line of lines) {
    const m = /^\+\S+ \[\d+ ([^\]]+)\] "([^"]+)"/.exec(line);
    if (!m) continue;
    if (m[1] === "lua") script++;
    else client.set(m[2]!.toLowerCase(), (client.get(m[2]!.toLowerCase()) ?? 0) + 1);
  }
  return { client, script };
}

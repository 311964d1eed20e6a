/**
 * A few raw RESP commands over a plain socket, for the bench's own bookkeeping (PING round trip,
 * CONFIG RESETSTAT, INFO commandstats). Only the Redis stores may import a Redis client; this is
 * not one, it speaks just enough of the protocol to read one reply.
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

/** `cmdstat_<name>:calls=N,...` lines of INFO commandstats → calls by command name. */
export function commandCalls(info: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out.set(m[1]!, Number(m[2]));
  return out;
}

/**
 * `toolgate kommo-sim --effects-file FILE`: what the fake CRM recorded, as JSON lines appended to a
 * file, so tests and scenarios outside the process can see what really reached Kommo.
 *
 * Lines: `{"kind":"request","atMs","method","path","query","body","status"}` for every REST request
 * once answered, and `{"kind":"effect","effect":"run"|"stop","botId","entityId","entityType","atMs"}`
 * for every accepted Salesbot run/stop; over stdio also `{"kind":"call","tool","argsSha256","atMs"}` for
 * every `tools/call` that reached the simulator (`argsSha256`: SHA-256 of the arguments' canonical JSON). Lines are written synchronously before the REST answer
 * goes back to the tool, so a tool result is never seen before its lines.
 */
import { appendFileSync, writeFileSync } from "node:fs";
import type { Effect } from "./crm/effect-log.js";
import type { LoggedRequest } from "./rest-api/request-log.js";

export interface RecordingSource {
  readonly effects: { all(): readonly Effect[] };
  readonly requests: { all(): readonly LoggedRequest[] };
}

export interface EffectsFileWriter {
  /** Appends every request answered and every effect recorded since the last flush. */
  flush(): void;
  /** Appends what is left, including requests never answered (status 0). */
  close(): void;
}

export function createEffectsFileWriter(source: RecordingSource, file: string): EffectsFileWriter {
  writeFileSync(file, "", { flag: "a" });
  const writtenRequests = new WeakSet<LoggedRequest>();
  let writtenEffects = 0;
  const write = (lines: string[]): void => {
    if (lines.length > 0) appendFileSync(file, lines.map((l) => `${l}\n`).join(""));
  };
  const requestLine = (r: LoggedRequest): string =>
    JSON.stringify({ kind: "request", atMs: r.atMs, method: r.method, path: r.path, query: r.query, body: r.body ?? null, status: r.status });
  const flush = (includeUnanswered: boolean): void => {
    const lines: string[] = [];
    for (const request of source.requests.all()) {
      if (writtenRequests.has(request) || (request.status === 0 && !includeUnanswered)) continue;
      writtenRequests.add(request);
      lines.push(requestLine(request));
    }
    const effects = source.effects.all();
    for (const e of effects.slice(writtenEffects)) {
      lines.push(JSON.stringify({ kind: "effect", effect: e.kind, botId: e.botId, entityId: e.entityId, entityType: e.entityType, atMs: e.atMs }));
    }
    writtenEffects = effects.length;
    write(lines);
  };
  return { flush: () => flush(false), close: () => flush(true) };
}

/** Wraps `fake.handle` so that every answered request flushes the writer first. */
export function recordingHandle<F extends { handle(request: Request): Promise<Response> }>(fake: F, writer: EffectsFileWriter): F {
  const handle = async (request: Request): Promise<Response> => {
    try {
      return await fake.handle(request);
    } finally {
      writer.flush();
    }
  };
  return new Proxy(fake, {
    get: (target, key) => {
      if (key === "handle") return handle;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/**
 * Reading a POST body under the size limit. Past the limit nothing more is kept: the rest of the
 * stream is discarded and the answer is `too_large` at once, without waiting for the end (the
 * front answers 413 and closes the connection). A body within the limit is one UTF-8 string.
 */

/** The part of a request stream the reader needs (node:http's `IncomingMessage` has it). */
export interface BodySource {
  on(event: "data", listener: (chunk: Buffer) => void): unknown;
  on(event: "end", listener: () => void): unknown;
  resume(): unknown;
}

export type Body = { readonly kind: "text"; readonly text: string } | { readonly kind: "too_large" };

export function readBody(source: BodySource, maxBytes: number): Promise<Body> {
  return new Promise((resolve) => {
    let first: Buffer | undefined;
    let chunks: Buffer[] | undefined;
    let size = 0;
    let over = false;
    source.on("data", (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > maxBytes) {
        over = true;
        first = undefined;
        chunks = undefined;
        source.resume(); // discard the rest; the connection closes after the answer
        return resolve({ kind: "too_large" });
      }
      if (first === undefined) first = chunk;
      else (chunks ??= [first]).push(chunk);
    });
    source.on("end", () => {
      if (over) return;
      resolve({ kind: "text", text: chunks ? Buffer.concat(chunks).toString("utf8") : first ? first.toString("utf8") : "" });
    });
  });
}

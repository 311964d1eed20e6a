/**
 * Splits a byte stream into newline-delimited lines without ever holding more than
 * `maxLineBytes` of one line: a line that grows past the limit is reported once (as soon as it
 * crosses the limit) and its remaining bytes are skipped up to the next newline.
 */
const NEWLINE = 0x0a;

export class LineFramer {
  private chunks: Buffer[] = [];
  private bytes = 0;
  private skipping = false;

  constructor(
    private readonly maxLineBytes: number,
    private readonly onLine: (line: string) => void,
    private readonly onTooLarge: () => void,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const end = chunk.indexOf(NEWLINE, start);
      if (end === -1) {
        if (start < chunk.length) this.keep(chunk.subarray(start));
        return;
      }
      this.finish(chunk.subarray(start, end));
      start = end + 1;
    }
  }

  /** Bytes held for the current, unfinished line. */
  get bufferedBytes(): number {
    return this.bytes;
  }

  private keep(piece: Buffer): void {
    if (this.skipping) return;
    if (this.bytes + piece.length > this.maxLineBytes) {
      this.reset();
      this.skipping = true;
      this.onTooLarge();
      return;
    }
    this.chunks.push(piece);
    this.bytes += piece.length;
  }

  private finish(piece: Buffer): void {
    if (this.skipping) {
      this.skipping = false;
      return;
    }
    if (this.bytes + piece.length > this.maxLineBytes) {
      this.reset();
      this.onTooLarge();
      return;
    }
    const line = this.chunks.length === 0 ? piece : Buffer.concat([...this.chunks, piece]);
    this.reset();
    let text = line.toString("utf8");
    if (text.endsWith("\r")) text = text.slice(0, -1);
    if (text.trim() !== "") this.onLine(text);
  }

  private reset(): void {
    this.chunks = [];
    this.bytes = 0;
  }
}

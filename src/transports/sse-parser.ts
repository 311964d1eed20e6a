/**
 * Server-sent events (the `text/event-stream` format), incrementally: feed text chunks, get
 * complete events. One event's data is bounded by `maxEventBytes` (counted in UTF-16 units).
 */
export interface SseEvent {
  readonly event: string;
  readonly data: string;
  readonly id: string | undefined;
}

export class SseParser {
  private buffer = "";
  private data: string[] = [];
  private dataLength = 0;
  private event = "";
  private id: string | undefined;
  private skipping = false;

  constructor(
    private readonly maxEventBytes: number,
    private readonly onEvent: (event: SseEvent) => void,
    private readonly onTooLarge: () => void = () => {},
  ) {}

  push(chunk: string): void {
    this.buffer += chunk;
    let start = 0;
    for (;;) {
      const lf = this.buffer.indexOf("\n", start);
      if (lf === -1) break;
      let line = this.buffer.slice(start, lf);
      if (line.endsWith("\r")) line = line.slice(0, -1);
      start = lf + 1;
      this.line(line);
    }
    this.buffer = this.buffer.slice(start);
    if (this.buffer.length > this.maxEventBytes) {
      this.buffer = "";
      this.tooLarge();
    }
  }

  private line(line: string): void {
    if (line === "") return this.dispatch();
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "data":
        if (this.skipping) return;
        this.dataLength += value.length + 1;
        if (this.dataLength > this.maxEventBytes) return this.tooLarge();
        this.data.push(value);
        return;
      case "event":
        this.event = value;
        return;
      case "id":
        this.id = value;
        return;
    }
  }

  private tooLarge(): void {
    if (!this.skipping) this.onTooLarge();
    this.skipping = true;
    this.data = [];
    this.dataLength = 0;
  }

  private dispatch(): void {
    const skipped = this.skipping;
    const event: SseEvent = { event: this.event || "message", data: this.data.join("\n"), id: this.id };
    this.data = [];
    this.dataLength = 0;
    this.event = "";
    this.skipping = false;
    if (!skipped && event.data !== "") this.onEvent(event);
  }
}

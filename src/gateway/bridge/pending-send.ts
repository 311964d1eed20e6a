/**
 * The promise the era bridge's `send` gives for a message it holds back while it probes the
 * upstream: settled only once the message is really sent, or cannot be, so a message that then
 * cannot be sent is its caller's failed send — one answer, "not sent" — and never a silent loss
 * that the caller's deadline would answer a second time.
 */
export class PendingSend {
  readonly promise: Promise<void>;
  private resolve!: () => void;
  private reject!: (error: unknown) => void;

  constructor() {
    this.promise = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  done(): void {
    this.resolve();
  }

  failed(error: unknown): void {
    this.reject(error);
  }

  /** Sends now (a synchronous throw is a failed send too) and settles with the outcome; never rejects itself. */
  follow(send: () => Promise<void>): Promise<void> {
    let sending: Promise<void>;
    try {
      sending = send();
    } catch (error) {
      sending = Promise.reject(error);
    }
    return sending.then(
      () => this.resolve(),
      (error: unknown) => this.reject(error),
    );
  }
}

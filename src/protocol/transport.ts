/**
 * A transport moves JSON-RPC messages and nothing else. The shape is structurally compatible
 * with the MCP SDK's `Transport` (start, send, close, onmessage, onclose, onerror), so SDK
 * transports can be handed to the gateway and ours to SDK clients and servers.
 *
 * `onmessage` receives whatever parsed as JSON: the gateway classifies it (`classifyFrame`), so a
 * transport never drops or rewrites a frame. Framing failures (bad JSON, a line past the size
 * limit) are reported through `onerror` as a `FrameError`, so the receiver can answer them.
 */
import type { JsonRpcMessage } from "./messages.js";

export interface Transport {
  start(): Promise<void>;
  send(message: JsonRpcMessage): Promise<void>;
  close(): Promise<void>;
  // Method shorthand (bivariant), so that the SDK's transports, typed with its own message
  // union, fit this interface.
  onmessage?(message: JsonRpcMessage): void;
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  /** Called by the gateway with the negotiated 2025-era revision (HTTP transports send it as a header). */
  setProtocolVersion?: ((version: string) => void) | undefined;
}

export type FrameErrorKind = "parse_error" | "too_large";

/** A frame that could not be read; the transport keeps reading after it. */
export class FrameError extends Error {
  readonly kind: FrameErrorKind;

  constructor(kind: FrameErrorKind, message: string) {
    super(message);
    this.name = "FrameError";
    this.kind = kind;
  }
}

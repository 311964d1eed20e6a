/**
 * `--upstream-header "Name: value"` (repeatable), shared by `serve` and `init`: headers sent to an
 * HTTP upstream with every request, typically its credentials. Values are never echoed in errors.
 */
import { UsageError } from "./args.js";

/** Headers the gateway or the MCP client sets itself; a flag may not override them. */
const RESERVED = ["mcp-session-id", "mcp-protocol-version", "content-type", "content-length", "accept", "host"];

/** The flags' headers as a map keyed by lower-case name. */
export function parseUpstreamHeaders(values: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const h of values) {
    const m = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):\s*(.*)$/.exec(h);
    if (!m) throw new UsageError("flag `--upstream-header`: expected `Name: value` (the value is not shown here)");
    const name = m[1]!.toLowerCase();
    if (RESERVED.includes(name)) throw new UsageError(`flag \`--upstream-header\`: \`${m[1]}\` is set by the gateway itself`);
    headers[name] = m[2]!;
  }
  return headers;
}

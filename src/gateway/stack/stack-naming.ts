/**
 * The names an agent sees behind a stack, as a pure function of the config: a tool or prompt
 * `stop_salesbot` of the server `kommo` is `kommo__stop_salesbot` (separator configurable), a
 * resource `kommo://account` of the server `kommo` is `kommo+kommo://account`. Server names have
 * no `_` and no `+`, so every exposed name splits one way only; a server joining never renames
 * another's tools. Model APIs accept tool names of at most 128 characters of `[A-Za-z0-9_-]`: a
 * tool whose exposed name would break that is left out of the list (and logged), never renamed.
 */
import type { TargetKind } from "../../policy/decision.js";
import type { Routed, ServerNaming } from "../server-naming.js";

export const TOOL_NAME = /^[A-Za-z0-9_-]{1,128}$/;

export class StackNaming implements ServerNaming {
  readonly several = true;
  private readonly servers: ReadonlySet<string>;

  constructor(
    servers: readonly string[],
    readonly separator: string,
  ) {
    this.servers = new Set(servers);
  }

  /** The exposed name of a tool or prompt; undefined when it would not be a valid tool name. */
  exposeName(server: string, name: string): string | undefined {
    const exposed = `${server}${this.separator}${name}`;
    return TOOL_NAME.test(exposed) ? exposed : undefined;
  }

  exposeUri(server: string, uri: string): string {
    return `${server}+${uri}`;
  }

  split(kind: Exclude<TargetKind, "method">, exposed: string): Routed | undefined {
    const mark = kind === "resource" ? "+" : this.separator;
    const at = exposed.indexOf(mark);
    if (at <= 0) return undefined;
    const server = exposed.slice(0, at);
    const name = exposed.slice(at + mark.length);
    return this.servers.has(server) && name !== "" ? { server, name } : undefined;
  }
}

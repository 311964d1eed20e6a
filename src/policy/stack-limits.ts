/**
 * Stack-wide limits from a gateway config (`stack.limits`): a limit whose `tools` patterns name
 * tools of several servers as `server/tool` (`*` matches any run of characters, e.g.
 * `kommo/create_*` or `filesystem/write_file`), counted on one counter whose key carries no server.
 * Each server's compiled policy gets the list, so the one decision path applies them after the
 * tool's own limits and `all_tools` (`limits.ts`).
 */
import { compileLimit, type CompiledLimit, type CompiledPolicy, type StackLimit } from "./load-policy.js";
import type { Limit } from "./policy-schema.js";

export interface StackLimitSource {
  readonly limit: Limit;
  /** `server/tool` patterns. */
  readonly tools: readonly string[];
  /** The rule id reported in denials, e.g. `/stack/limits/0`. */
  readonly rule: string;
}

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${escaped.join(".*")}$`);
}

export function compileStackLimits(sources: readonly StackLimitSource[]): StackLimit[] {
  return sources.map((source) => {
    const patterns = source.tools.map(globToRegExp);
    const limit: CompiledLimit = { ...compileLimit(source.limit, source.rule), spansServers: true };
    return { matches: (server: string, tool: string) => patterns.some((p) => p.test(`${server}/${tool}`)), limit };
  });
}

/** `policy` with the stack's limits attached (the policy itself when there are none). */
export function withStackLimits(policy: CompiledPolicy, limits: readonly StackLimit[]): CompiledPolicy {
  return limits.length === 0 ? policy : { ...policy, stackLimits: limits };
}

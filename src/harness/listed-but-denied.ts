/**
 * What the agents' lists say against the answers they got: a tool the gateway listed in
 * `tools/list` and then denied as hidden or not allowed means the list is not filtered.
 */
/** A tool the gateway listed to an agent, then denied to it as hidden or not allowed: `tools/list` is not filtered. */
export function listedButDenied(calls: readonly { agent: string; tool: string; outcome: string; code?: string }[], listed: ReadonlyMap<string, ReadonlySet<string>>): string[] {
  const lines = new Set<string>();
  for (const call of calls) {
    if (call.outcome !== "deny" || (call.code !== "hidden" && call.code !== "default_deny")) continue;
    if (listed.get(call.agent)?.has(call.tool)) lines.add(`listed but denied: the gateway listed \`${call.tool}\` to agent \`${call.agent}\` in \`tools/list\`, then denied its call (${call.code}); a tool the policy hides or does not allow must not be listed`);
  }
  return [...lines];
}

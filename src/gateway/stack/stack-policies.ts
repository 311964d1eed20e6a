/**
 * The policy table of a stack: for every grant and every server it may use, the policy in force
 * (the grant's own for that server, else the server's), each with the stack's limits added; for
 * names no server has, the stack's default. A server a grant may not use gets no entry, so the
 * evaluator hides its tools, resources and prompts from that grant and denies its calls.
 *
 * Reloads go per policy file: every (grant, server) that uses a file is one reload target,
 * written `grant/server` (neither grant ids nor server names contain `/`).
 */
import type { CompiledPolicy } from "../../policy/load-policy.js";
import { withStackLimits } from "../../policy/stack-limits.js";
import { PolicyTable } from "../policy-source.js";
import type { WatchedPolicyFile } from "../reload.js";
import { NO_SERVER } from "../server-naming.js";
import type { StackConfig } from "./stack-config.js";
import type { ServerPolicy } from "./stack-grants.js";

/** What one grant sees of the stack. */
export interface GrantView {
  readonly id: string;
  readonly servers: readonly string[];
  readonly policies: ReadonlyMap<string, ServerPolicy>;
}

export interface StackPolicies {
  readonly table: PolicyTable;
  /** One entry per distinct policy file; its `grantIds` are the `grant/server` targets using it. */
  readonly sources: readonly WatchedPolicyFile[];
  /** Puts a reloaded policy in force for the given `grant/server` targets. */
  apply(targets: readonly string[], policy: CompiledPolicy): void;
}

/** A reload target `grant/server` as its two parts. */
export function splitTarget(target: string): { readonly grantId: string; readonly server: string } {
  const slash = target.lastIndexOf("/");
  return { grantId: target.slice(0, slash), server: target.slice(slash + 1) };
}

/** The view of a gateway without grants: one grant id, every server, each with its own policy. */
export function everyServer(stack: StackConfig, grantId: string): GrantView {
  return { id: grantId, servers: stack.servers.map((s) => s.name), policies: new Map() };
}

export function stackPolicies(stack: StackConfig, views: readonly GrantView[]): StackPolicies {
  const table = new PolicyTable();
  const byFile = new Map<string, { version: string; targets: string[] }>();
  for (const view of views) {
    table.set(view.id, stack.stackPolicy, NO_SERVER);
    for (const server of stack.servers) {
      if (!view.servers.includes(server.name)) continue;
      const own = view.policies.get(server.name) ?? { file: server.policyFile, policy: server.policy };
      table.set(view.id, withStackLimits(own.policy, stack.stackLimits), server.name);
      const entry = byFile.get(own.file) ?? { version: own.policy.version, targets: [] };
      entry.targets.push(`${view.id}/${server.name}`);
      byFile.set(own.file, entry);
    }
  }
  return {
    table,
    sources: [...byFile].map(([file, { version, targets }]) => ({ file, grantIds: targets, version })),
    apply: (targets, policy) => {
      const next = withStackLimits(policy, stack.stackLimits);
      for (const target of targets) {
        const { grantId, server } = splitTarget(target);
        table.set(grantId, next, server);
      }
    },
  };
}

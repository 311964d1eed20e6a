/**
 * Where a gateway finds the policy in force: it asks on every decision (`get(grant)`), so a hot
 * reload is one assignment in the table and no code pushes a policy into live gateways. A call
 * decided on the old policy finishes on it; the next one reads the new one. Keyed by grant and by
 * upstream server, so one process can hold a policy per (grant, server).
 */
import type { CompiledPolicy } from "../policy/load-policy.js";

/** The server name used when a gateway fronts a single upstream. */
export const SINGLE_SERVER = "";

export interface PolicySource {
  /** The policy for `grantId` on `server`; undefined when none is attached (the call is denied `no_policy`). */
  get(grantId: string | undefined, server?: string): CompiledPolicy | undefined;
}

/** A mutable table of policies by (grant, server): what `serve` and the harness reload into. */
export class PolicyTable implements PolicySource {
  private readonly byGrant = new Map<string, Map<string, CompiledPolicy>>();

  get(grantId: string | undefined, server: string = SINGLE_SERVER): CompiledPolicy | undefined {
    if (grantId === undefined) return undefined;
    return this.byGrant.get(grantId)?.get(server);
  }

  set(grantId: string, policy: CompiledPolicy, server: string = SINGLE_SERVER): void {
    let servers = this.byGrant.get(grantId);
    if (servers === undefined) this.byGrant.set(grantId, (servers = new Map()));
    servers.set(server, policy);
  }

  /** Every grant id with a policy on some server. */
  grants(): string[] {
    return [...this.byGrant.keys()];
  }
}

/** One policy for every grant and server (a harness run, a single-policy `serve`), replaceable in place. */
export class SharedPolicy implements PolicySource {
  constructor(private policy: CompiledPolicy | undefined) {}

  get(): CompiledPolicy | undefined {
    return this.policy;
  }

  set(policy: CompiledPolicy | undefined): void {
    this.policy = policy;
  }

  get current(): CompiledPolicy | undefined {
    return this.policy;
  }
}

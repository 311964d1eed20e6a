/**
 * What differs between `serve --listen` in front of one upstream and in front of a stack
 * (`--config`): where policies and grants come from, how a bearer token becomes a grant, which
 * upstream a session's gateway talks to, and what readiness and `/health` say about the upstream.
 * `serve-http.ts` runs either plan the same way.
 */
import type { ActivityHub } from "../../gateway/console/activity-hub.js";
import type { ConsoleServer } from "../../gateway/console/console-api.js";
import type { AuthOutcome } from "../../gateway/http/http-front.js";
import type { ProtectedResource } from "../../gateway/identity/protected-resource.js";
import type { PolicyTable } from "../../gateway/policy-source.js";
import type { ReadinessCheck } from "../../gateway/readiness.js";
import type { WatchedPolicyFile } from "../../gateway/reload.js";
import type { ServerNaming } from "../../gateway/server-naming.js";
import type { ServerStatus } from "../../gateway/server-status.js";
import type { CompiledPolicy } from "../../policy/load-policy.js";
import type { Transport } from "../../protocol/transport.js";

export interface HttpPlan {
  readonly policies: PolicyTable;
  /** Every policy file in force; `grantIds` are the targets `apply` takes. */
  readonly sources: readonly WatchedPolicyFile[];
  /** Puts a reloaded policy in force for a source's targets. */
  apply(targets: readonly string[], policy: CompiledPolicy): void;
  readonly authenticate: (authorization: string | undefined) => AuthOutcome | Promise<AuthOutcome>;
  readonly protectedResource?: ProtectedResource;
  /** True when requests need a bearer token (a grants file or the config's grants). */
  readonly hasGrants: boolean;
  /** The upstream of one session's gateway: on the shared connection, or one of its own. */
  upstreamFor(grantId: string, shares: boolean): Transport;
  readonly naming?: ServerNaming;
  /** False when the upstream bridges eras itself (a stack's servers each have a bridge). */
  readonly bridgeEras: boolean;
  readonly upstreamCheck: ReadinessCheck;
  /** Each upstream server's state, for `/health` and `/metrics` (a stack only). */
  readonly servers?: () => readonly ServerStatus[];
  readonly hub: ActivityHub;
  /** What the console shows (servers default to the one upstream). */
  readonly console: { readonly sources: readonly WatchedPolicyFile[]; readonly servers?: readonly ConsoleServer[] };
  /** How the started line names the upstream. */
  readonly label: string;
  close(): Promise<void>;
}

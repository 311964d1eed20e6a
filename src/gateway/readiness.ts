/**
 * Readiness for orchestrators (`GET /ready`), apart from liveness (`GET /health`): `/health`
 * answers 200 while the process serves HTTP at all (draining included, so a liveness probe never
 * kills a replica that is finishing its calls); `/ready` answers 200 only when a call could be
 * decided and forwarded now: the policy is loaded, the store answers (the counters' and the
 * approvals' keys, each through the store's own bounded command), the upstream can be reached,
 * and the process is not draining. Otherwise 503 with the reason of every failing check.
 *
 * Each check is bounded by `timeoutMs` on the injected clock; one that does not answer in time
 * fails with a reason saying so.
 */
import type { Clock } from "../core/clock.js";
import { messageOf } from "../core/errors.js";
import type { ApprovalStore } from "../stores/approval-store.js";
import type { CounterStore } from "../stores/counter-store.js";

/** One named check: resolves to undefined when ready, or to the reason it is not. */
export type ReadinessCheck = () => Promise<string | undefined>;

export interface ReadinessReport {
  readonly ready: boolean;
  readonly checks: Readonly<Record<string, { readonly ok: boolean; readonly reason?: string }>>;
}

export const DEFAULT_READINESS_TIMEOUT_MS = 2_000;
const PROBE_KEY = "readiness-probe";

export async function checkReadiness(checks: Readonly<Record<string, ReadinessCheck>>, clock: Clock, timeoutMs = DEFAULT_READINESS_TIMEOUT_MS): Promise<ReadinessReport> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      const reason = await bounded(check, clock, timeoutMs, name);
      return [name, reason === undefined ? { ok: true } : { ok: false, reason }] as const;
    }),
  );
  return { ready: entries.every(([, r]) => r.ok), checks: Object.fromEntries(entries) };
}

async function bounded(check: ReadinessCheck, clock: Clock, timeoutMs: number, name: string): Promise<string | undefined> {
  let timer: { cancel(): void } | undefined;
  const late = new Promise<string>((resolve) => (timer = clock.setTimer(() => resolve(`the ${name} check did not answer within ${timeoutMs} ms`), timeoutMs)));
  try {
    return await Promise.race([check().catch((error: unknown) => messageOf(error)), late]);
  } finally {
    timer?.cancel();
  }
}

/** The store answers for counters and for approvals (a read of a probe key each; nothing written). */
export function storeCheck(counters: CounterStore, approvals: ApprovalStore): ReadinessCheck {
  return async () => {
    await counters.peek(PROBE_KEY, 1_000);
    await approvals.get(PROBE_KEY);
    return undefined;
  };
}

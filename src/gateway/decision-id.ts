import { randomHex } from "../core/clock.js";

/** `dec_` + 16 random hex digits; the same id goes on the wire and into the audit line. */
export function newDecisionId(): string {
  return `dec_${randomHex(8)}`;
}

/** A downstream connection's key for `scope: "session"` when none is given. */
export function newConnectionKey(): string {
  return `conn_${randomHex(8)}`;
}

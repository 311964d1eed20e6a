/** What an agent's request in flight is, for its settlement: passed through, a list to filter, or a governed call. */
import type { ListKind } from "./governed-methods.js";
import type { InFlight } from "./in-flight.js";
import type { GovernedCall } from "./tool-call.js";
import type { OwnRequest } from "./upstream-exchange.js";

export type AgentRequest =
  | { readonly kind: "plain" }
  | { readonly kind: "list"; readonly list: ListKind; readonly fullListing: boolean }
  | { readonly kind: "call"; readonly call: GovernedCall };

/** A registry entry of one gateway connection: an agent's request or the gateway's own. */
export type Entry = InFlight<AgentRequest | OwnRequest>;

export const PLAIN: AgentRequest = { kind: "plain" };

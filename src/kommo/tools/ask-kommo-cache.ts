/** The `ask_kommo` leads cache: per server process, 5 minutes on the injected clock, kept only once non-empty. */
import type { Clock } from "../../core/clock.js";
import type { LeadFacts } from "../rest-client/kommo-api.js";

export const ASK_KOMMO_CACHE_MS = 5 * 60 * 1000;

export class AskKommoCache {
  private leads: LeadFacts[] = [];
  private expiresAtMs = 0;

  constructor(private readonly clock: Clock) {}

  /** The cached leads while fresh and non-empty, else undefined. */
  get(): LeadFacts[] | undefined {
    return this.clock.nowMs() < this.expiresAtMs && this.leads.length > 0 ? this.leads : undefined;
  }

  set(leads: LeadFacts[]): void {
    this.leads = leads;
    this.expiresAtMs = this.clock.nowMs() + ASK_KOMMO_CACHE_MS;
  }

  clear(): void {
    this.leads = [];
    this.expiresAtMs = 0;
  }
}

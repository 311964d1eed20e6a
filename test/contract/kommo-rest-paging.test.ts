/** Paging as a property: for any limit, walking pages while `_links.next` exists yields every lead once. */
import { fc, test } from "@fast-check/vitest";
import { expect } from "vitest";
import { VirtualClock } from "../../src/core/virtual-clock.js";
import { createFakeKommo } from "../../src/kommo/rest-api/fake-kommo.js";

const fake = createFakeKommo({ clock: new VirtualClock(), rateLimitPerSecond: 0 });

test.prop([fc.integer({ min: 1, max: 250 }), fc.constantFrom("leads", "contacts", "companies", "tasks")], { numRuns: 40 })(
  "walking pages until there is no next link returns every record exactly once, and the page after is a 204",
  async (limit, entity) => {
    const seen: number[] = [];
    let page = 1;
    for (; page <= 400; page++) {
      const response = await fake.handle(new Request(`${fake.baseUrl}/api/v4/${entity}?limit=${limit}&page=${page}`, { headers: { authorization: "Bearer sim-token" } }));
      expect(response.status).toBe(200);
      const body = (await response.json()) as { _page: number; _links: { next?: unknown }; _embedded: Record<string, { id: number }[]> };
      expect(body._page).toBe(page);
      seen.push(...body._embedded[entity]!.map((x) => x.id));
      if (!body._links.next) break;
    }
    const expected = { leads: fake.crm.leads(), contacts: fake.crm.contacts(), companies: fake.crm.companies(), tasks: fake.crm.tasks() }[entity]!.map((x) => x.id);
    expect(seen).toEqual([...expected].sort((a, b) => a - b));
    const after = await fake.handle(new Request(`${fake.baseUrl}/api/v4/${entity}?limit=${limit}&page=${page + 1}`, { headers: { authorization: "Bearer sim-token" } }));
    expect(after.status).toBe(204);
  },
);

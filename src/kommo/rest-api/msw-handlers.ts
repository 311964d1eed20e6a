/** msw handlers that answer `${baseUrl}/api/v4/*` (and the control routes) from a fake Kommo. */
import { http } from "msw";
import type { HttpHandler } from "msw";
import type { FakeKommo } from "../fake-kommo.js";

export function kommoRestHandlers(fake: FakeKommo): HttpHandler[] {
  const resolve = ({ request }: { request: Request }): Promise<Response> => fake.handle(request);
  return [
    http.all(`${fake.baseUrl}/api/v4/*`, resolve),
    ...["/__log", "/__reset", "/__faults", "/__effects"].map((path) => http.all(`${fake.baseUrl}${path}`, resolve)),
  ];
}

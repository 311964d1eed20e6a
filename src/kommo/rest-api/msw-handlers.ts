/** msw handlers that answer `${baseUrl}/api/v4/*` (and the control routes) from a fake Kommo. */
import { http } from "msw";
import type { HttpHandler } from "msw";
import type { FakeKommo } from "./fake-kommo.js";

export function kommoRestHandlers(fake: FakeKommo): HttpHandler[] {
  const resolve = async ({ request }: { request: Request }): Promise<Response> => {
    try {
      return await fake.handle(request);
    } catch (error) {
      // A timeout fault rejects once the client aborts; the fetch has already failed with the
      // abort reason, so answer with a network error instead of an msw "unhandled exception".
      if (request.signal.aborted) return Response.error();
      throw error;
    }
  };
  return [
    http.all(`${fake.baseUrl}/api/v4/*`, resolve),
    ...["/__log", "/__reset", "/__faults", "/__effects"].map((path) => http.all(`${fake.baseUrl}${path}`, resolve)),
  ];
}

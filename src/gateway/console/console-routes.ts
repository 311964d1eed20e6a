/**
 * The web console on the admin listener (docs/architecture.md#the-console): `GET /` and
 * `/console/` serve the page and its files; `/console/api/…` is its JSON API.
 *
 * Sign-in: `POST /console/api/sign-in {"token", "user"?}` (same-origin, rate limited) sets the
 * session cookie and answers the CSRF token; `GET /console/api/session` answers it again for a
 * signed-in page (`{"signedIn": false}` otherwise). Every other API route needs the session cookie; every state change (POST) also
 * needs `Origin` equal to this listener and `X-CSRF-Token`. A cross-origin `Origin` is refused on
 * every route. The bearer-token routes of `toolgate approvals` (`/approvals…`) are not touched.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import type { Asset } from "./console-assets.js";
import { consoleError, readJsonBody, sameOrigin, securityHeaders, sendJson } from "./console-http.js";
import { clearedCookie, csrfMatches, sessionCookie, type ConsoleSession, type ConsoleSessions } from "./console-sessions.js";
import { handleApi, type ConsoleDeps } from "./console-api.js";

const SignInSchema = z.strictObject({ token: z.string().max(4096), user: z.string().trim().min(1).max(64).regex(/^[\w .@-]+$/).optional() });

export interface ConsoleRoutes {
  /** True when the request was the console's (answered), false when it is not a console path. */
  handle(request: IncomingMessage, response: ServerResponse): Promise<boolean>;
}

export function consoleRoutes(deps: ConsoleDeps, sessions: ConsoleSessions, assets: ReadonlyMap<string, Asset>): ConsoleRoutes {
  return {
    async handle(request, response) {
      const url = new URL(request.url ?? "/", "http://console.invalid");
      const path = url.pathname;
      if (path !== "/" && path !== "/console" && !path.startsWith("/console/")) return false;
      const method = request.method ?? "GET";
      const origin = request.headers.origin;
      if (origin !== undefined && !sameOrigin(request)) {
        sendJson(response, 403, consoleError("forbidden_origin", `the console answers its own origin only; found \`Origin: ${origin}\``));
        return true;
      }
      if (path === "/" || path === "/console") {
        securityHeaders(response);
        response.writeHead(302, { Location: "/console/", "Content-Length": 0 });
        response.end();
        return true;
      }
      if (!path.startsWith("/console/api/")) {
        if (method !== "GET" && method !== "HEAD") {
          response.setHeader("Allow", "GET, HEAD");
          sendJson(response, 405, consoleError("method_not_allowed", "expected GET"));
          return true;
        }
        const name = path === "/console/" ? "index.html" : path.slice("/console/".length);
        const asset = assets.get(name);
        if (asset === undefined) sendJson(response, 404, consoleError("not_found", `no console file \`${path}\``));
        else {
          securityHeaders(response);
          response.writeHead(200, { "Content-Type": asset.contentType, "Content-Length": asset.body.length, "Cache-Control": "no-cache" });
          response.end(method === "HEAD" ? undefined : asset.body);
        }
        return true;
      }
      const route = path.slice("/console/api/".length);
      if (route === "sign-in") {
        await signIn(request, response, method, sessions);
        return true;
      }
      const session = sessions.fromCookie(request.headers.cookie);
      if (session === undefined && route === "session" && method === "GET") {
        sendJson(response, 200, { signedIn: false });
        return true;
      }
      if (session === undefined) {
        sendJson(response, 401, consoleError("signed_out", "sign in to the console first (POST /console/api/sign-in with the admin token)"));
        return true;
      }
      if (method !== "GET" && method !== "HEAD") {
        if (!sameOrigin(request)) {
          sendJson(response, 403, consoleError("forbidden_origin", "a state change needs the `Origin` of this console"));
          return true;
        }
        if (!csrfMatches(session, request.headers["x-csrf-token"])) {
          sendJson(response, 403, consoleError("csrf", "a state change needs the page's `X-CSRF-Token`"));
          return true;
        }
      }
      if (route === "session") {
        if (method !== "GET") return notAllowed(response, "GET");
        sendJson(response, 200, { signedIn: true, user: session.user, csrf: session.csrf });
        return true;
      }
      if (route === "sign-out") {
        if (method !== "POST") return notAllowed(response, "POST");
        sessions.signOut(session);
        response.setHeader("Set-Cookie", clearedCookie());
        sendJson(response, 200, { signedOut: true });
        return true;
      }
      await handleApi(deps, session, route, url, method, request, response);
      return true;
    },
  };
}

async function signIn(request: IncomingMessage, response: ServerResponse, method: string, sessions: ConsoleSessions): Promise<void> {
  if (method !== "POST") {
    notAllowed(response, "POST");
    return;
  }
  if (!sameOrigin(request)) return sendJson(response, 403, consoleError("forbidden_origin", "sign in from the console's own page (the `Origin` must be this listener)"));
  const body = await readJsonBody(request);
  if (!body.ok) return sendJson(response, body.status, consoleError(body.code, body.message));
  const parsed = SignInSchema.safeParse(body.value);
  if (!parsed.success) return sendJson(response, 400, consoleError("invalid_body", parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")));
  const result = sessions.signIn(parsed.data.token, parsed.data.user ?? "operator");
  switch (result.kind) {
    case "rate_limited":
      response.setHeader("Retry-After", String(Math.ceil(result.retryAfterMs / 1000)));
      return sendJson(response, 429, consoleError("rate_limited", `too many failed sign-ins; try again in ${Math.ceil(result.retryAfterMs / 1000)} s`));
    case "wrong_token":
      return sendJson(response, 401, consoleError("wrong_token", "that is not the admin token"));
    case "ok":
      response.setHeader("Set-Cookie", sessionCookie(result.session));
      return sendJson(response, 200, { user: result.session.user, csrf: result.session.csrf });
  }
}

function notAllowed(response: ServerResponse, allow: string): true {
  response.setHeader("Allow", allow);
  sendJson(response, 405, consoleError("method_not_allowed", `expected ${allow}`));
  return true;
}

export type { ConsoleSession };

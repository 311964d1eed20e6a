/**
 * The web console, assembled: its sessions (the admin token signs in), its files and its routes,
 * ready to mount on the admin listener (`AdminServer.mount`).
 */
import type { AdminRoutes } from "../approvals/admin-server.js";
import { loadConsoleAssets } from "./console-assets.js";
import type { ConsoleDeps } from "./console-api.js";
import { consoleRoutes } from "./console-routes.js";
import { ConsoleSessions } from "./console-sessions.js";

export type { ConsoleDeps } from "./console-api.js";

export function createConsole(deps: ConsoleDeps, token: string): AdminRoutes {
  return consoleRoutes(deps, new ConsoleSessions(token, deps.clock), loadConsoleAssets());
}

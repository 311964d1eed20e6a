/** `/api/v4/account` and `/api/v4/users`. */
import { pagedList, readPage } from "../pagination.js";
import { HttpAnswer, hal, problem } from "../problem.js";
import { renderUser, selfLink, withSet } from "../render.js";
import type { Route, RouteContext } from "../router.js";

function getAccount(ctx: RouteContext): Response {
  const { timezone, ...account } = ctx.crm.account;
  const include = withSet(ctx.url);
  const body: Record<string, unknown> = { ...account, _links: selfLink(ctx.url.origin, "/api/v4/account") };
  if (include.has("datetime_settings")) {
    body._embedded = { datetime_settings: { date_pattern: "d.m.Y H:i", short_date_pattern: "d.m.Y", short_time_pattern: "H:i", date_format: "d.m.Y", time_format: "H:i:s", timezone, timezone_offset: "-03:00" } };
  }
  return hal(body);
}

function listUsers(ctx: RouteContext): Response {
  const page = readPage(ctx.url.searchParams);
  return pagedList(ctx.url, "users", ctx.crm.users(), page, (u) => renderUser(u, ctx.url.origin), { totalItems: true, pageCount: true });
}

function getUser(ctx: RouteContext): Response {
  const user = ctx.crm.user(Number(ctx.params.id));
  if (!user) throw new HttpAnswer(problem(404, "User not found"));
  return hal(renderUser(user, ctx.url.origin));
}

export const accountUserRoutes: readonly Route[] = [
  { method: "GET", pattern: "/api/v4/account", handle: getAccount },
  { method: "GET", pattern: "/api/v4/users", handle: listUsers },
  { method: "GET", pattern: "/api/v4/users/:id", handle: getUser },
];

/**
 * Salesbot automation: `POST /api/v4/bots/run` (batch), `POST /api/v4/bots/{id}/run` and
 * `POST /api/v4/bots/{id}/stop`. Accepted requests answer 202 with an empty body and are recorded
 * in the effect log; a stop marks that bot's running runs on the entity stopped.
 */
import { checkChoice, checkInt, isObject } from "../body-checks.js";
import { HttpAnswer, empty, fieldProblem, problem, validationProblem } from "../problem.js";
import type { FieldError, RequestErrors } from "../problem.js";
import type { Route, RouteContext } from "../router.js";

const MAX_BOTS_PER_RUN = 100;
const RUN_ENTITY_TYPES = ["leads", "contacts"] as const;
const STOP_ENTITY_TYPES = ["leads"] as const;

interface Launch {
  botId: number;
  entityId: number;
  entityType: (typeof RUN_ENTITY_TYPES)[number];
}

function readLaunch(element: unknown, errors: FieldError[], botIdFromPath?: number): Launch | undefined {
  if (!isObject(element)) {
    errors.push({ code: "InvalidType", path: "", detail: "Each launch should be an object {bot_id, entity_id, entity_type}." });
    return undefined;
  }
  const botId = botIdFromPath ?? checkInt(errors, "bot_id", element.bot_id, { required: true, min: 1 });
  const entityId = checkInt(errors, "entity_id", element.entity_id, { required: true, min: 1 });
  const entityType = checkChoice(errors, "entity_type", element.entity_type, RUN_ENTITY_TYPES, { required: true });
  if (botId === undefined || entityId === undefined || entityType === undefined) return undefined;
  return { botId, entityId, entityType };
}

function launch(ctx: RouteContext, launches: readonly Launch[]): Response {
  for (const l of launches) {
    if (!ctx.crm.salesbot(l.botId)) return problem(404, `Salesbot ${l.botId} not found`);
  }
  for (const l of launches) {
    ctx.crm.startBotRun(l.botId, l.entityId, l.entityType);
    ctx.effects.record({ kind: "run", botId: l.botId, entityId: l.entityId, entityType: l.entityType, atMs: ctx.clock.nowMs() });
  }
  return empty(202);
}

function runBots(ctx: RouteContext): Response {
  const body = ctx.body;
  if (!Array.isArray(body) || body.length === 0) throw new HttpAnswer(fieldProblem({ code: "InvalidType", path: "", detail: "The request body should be a non-empty array of {bot_id, entity_id, entity_type}." }));
  if (body.length > MAX_BOTS_PER_RUN) throw new HttpAnswer(fieldProblem({ code: "TooMany", path: "", detail: `At most ${MAX_BOTS_PER_RUN} bots per request.` }));
  const launches: Launch[] = [];
  const failures: RequestErrors[] = [];
  body.forEach((element, index) => {
    const errors: FieldError[] = [];
    const parsed = readLaunch(element, errors);
    if (errors.length > 0) failures.push({ request_id: String(index), errors });
    if (parsed) launches.push(parsed);
  });
  if (failures.length > 0) return validationProblem(failures);
  return launch(ctx, launches);
}

function runOneBot(ctx: RouteContext): Response {
  const errors: FieldError[] = [];
  const parsed = readLaunch(ctx.body ?? {}, errors, Number(ctx.params.id));
  if (!parsed || errors.length > 0) return fieldProblem(...errors);
  return launch(ctx, [parsed]);
}

function stopBot(ctx: RouteContext): Response {
  const botId = Number(ctx.params.id);
  const errors: FieldError[] = [];
  const body = ctx.body ?? {};
  if (!isObject(body)) return fieldProblem({ code: "InvalidType", path: "", detail: "The request body should be an object {entity_id, entity_type}." });
  const entityId = checkInt(errors, "entity_id", body.entity_id, { required: true, min: 1 });
  const entityType = checkChoice(errors, "entity_type", body.entity_type, STOP_ENTITY_TYPES, { required: true });
  if (errors.length > 0 || entityId === undefined || entityType === undefined) return fieldProblem(...errors);
  if (!ctx.crm.salesbot(botId)) return problem(404, `Salesbot ${botId} not found`);
  ctx.crm.stopBotRuns(botId, entityId, entityType);
  ctx.effects.record({ kind: "stop", botId, entityId, entityType, atMs: ctx.clock.nowMs() });
  return empty(202);
}

export const botRoutes: readonly Route[] = [
  { method: "POST", pattern: "/api/v4/bots/run", handle: runBots },
  { method: "POST", pattern: "/api/v4/bots/:id/run", handle: runOneBot },
  { method: "POST", pattern: "/api/v4/bots/:id/stop", handle: stopBot },
];

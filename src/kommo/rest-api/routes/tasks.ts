/** `/api/v4/tasks`: list (filters, order) and create (batch; `text` and `complete_till` required). */
import type { NewTask } from "../../crm/crm-inputs.js";
import { checkChoice, checkInt, checkString, isObject } from "../body-checks.js";
import { applyCommonFilters, applyOrder, numberListParam, queryMatcher } from "../list-filters.js";
import { pagedList, readPage } from "../pagination.js";
import { HttpAnswer, fieldProblem, hal, problem, validationProblem } from "../problem.js";
import type { FieldError, RequestErrors } from "../problem.js";
import { listParam, scalarParam } from "../query.js";
import { renderTask, selfLink } from "../render.js";
import type { Route, RouteContext } from "../router.js";

const MAX_BATCH = 250;
const TASK_ENTITY_TYPES = ["leads", "contacts", "companies", "customers"] as const;

function listTasks(ctx: RouteContext): Response {
  const { crm, url } = ctx;
  const params = url.searchParams;
  const page = readPage(params);
  let tasks = applyCommonFilters(crm.tasks(), params);
  const completed = scalarParam(params, "filter[is_completed]");
  if (completed !== undefined) tasks = tasks.filter((t) => t.is_completed === (completed === "1" || completed === "true"));
  const entityTypes = listParam(params, "filter[entity_type]");
  if (entityTypes.length > 0) tasks = tasks.filter((t) => t.entity_type !== null && entityTypes.includes(t.entity_type));
  const entityIds = numberListParam(params, "filter[entity_id]");
  if (entityIds.length > 0) tasks = tasks.filter((t) => t.entity_id !== null && entityIds.includes(t.entity_id));
  const types = numberListParam(params, "filter[task_type]");
  if (types.length > 0) tasks = tasks.filter((t) => types.includes(t.task_type_id));
  const match = queryMatcher(params);
  if (match) tasks = tasks.filter((t) => match([t.text]));
  tasks = applyOrder(tasks, params, ["created_at", "complete_till", "id"]);
  return pagedList(url, "tasks", tasks, page, (t) => renderTask(crm, t, url.origin));
}

function getTask(ctx: RouteContext): Response {
  const task = ctx.crm.task(Number(ctx.params.id));
  if (!task) throw new HttpAnswer(problem(404, "Task not found"));
  return hal(renderTask(ctx.crm, task, ctx.url.origin));
}

function readTask(element: Record<string, unknown>, errors: FieldError[]): NewTask | undefined {
  const text = checkString(errors, "text", element.text, { required: true });
  const completeTill = checkInt(errors, "complete_till", element.complete_till, { required: true, min: 0 });
  const entityId = checkInt(errors, "entity_id", element.entity_id, { min: 1 });
  const entityType = checkChoice(errors, "entity_type", element.entity_type, TASK_ENTITY_TYPES);
  if ((entityId === undefined) !== (entityType === undefined) && errors.length === 0) {
    errors.push({ code: "NotBlank", path: entityId === undefined ? "entity_id" : "entity_type", detail: "entity_id and entity_type go together." });
  }
  const userId = checkInt(errors, "responsible_user_id", element.responsible_user_id, { min: 1 });
  const typeId = checkInt(errors, "task_type_id", element.task_type_id, { min: 1 });
  const duration = checkInt(errors, "duration", element.duration, { min: 0 });
  if (text === undefined || completeTill === undefined || errors.length > 0) return undefined;
  const task: NewTask = { text, complete_till: completeTill };
  if (entityId !== undefined) task.entity_id = entityId;
  if (entityType !== undefined) task.entity_type = entityType;
  if (userId !== undefined) task.responsible_user_id = userId;
  if (typeId !== undefined) task.task_type_id = typeId;
  if (duration !== undefined) task.duration = duration;
  if (typeof element.is_completed === "boolean") task.is_completed = element.is_completed;
  return task;
}

function createTasks(ctx: RouteContext): Response {
  const { crm, url, body } = ctx;
  if (!Array.isArray(body) || body.length === 0) throw new HttpAnswer(fieldProblem({ code: "InvalidType", path: "", detail: "The request body should be a non-empty array of tasks." }));
  if (body.length > MAX_BATCH) throw new HttpAnswer(fieldProblem({ code: "TooMany", path: "", detail: `At most ${MAX_BATCH} tasks per request.` }));
  const inputs: { task: NewTask; requestId: string }[] = [];
  const failures: RequestErrors[] = [];
  body.forEach((element, index) => {
    const errors: FieldError[] = [];
    const requestId = isObject(element) && typeof element.request_id === "string" ? element.request_id : String(index);
    if (!isObject(element)) errors.push({ code: "InvalidType", path: "", detail: "Each task should be an object." });
    const task = isObject(element) ? readTask(element, errors) : undefined;
    if (errors.length > 0 || !task) failures.push({ request_id: requestId, errors });
    else inputs.push({ task, requestId });
  });
  if (failures.length > 0) return validationProblem(failures);
  const created = inputs.map(({ task, requestId }) => {
    const record = crm.createTask(task);
    return { id: record.id, request_id: requestId, _links: selfLink(url.origin, `/api/v4/tasks/${record.id}`) };
  });
  return hal({ _links: selfLink(url.origin, "/api/v4/tasks"), _embedded: { tasks: created } });
}

export const taskRoutes: readonly Route[] = [
  { method: "GET", pattern: "/api/v4/tasks", handle: listTasks },
  { method: "POST", pattern: "/api/v4/tasks", handle: createTasks },
  { method: "GET", pattern: "/api/v4/tasks/:id", handle: getTask },
];

/**
 * Notes of leads, contacts and companies: `GET|POST /api/v4/{entity}/{id}/notes`,
 * `GET|POST /api/v4/{entity}/notes`, `POST /api/v4/{entity}/notes/{id}/pin|unpin` (204).
 */
import type { NewNote } from "../../crm/crm-inputs.js";
import type { NoteEntityType } from "../../crm/entities.js";
import { checkChoice, checkInt, isObject } from "../body-checks.js";
import { applyOrder, numberListParam, rangeFilter } from "../list-filters.js";
import { pagedList, readPage } from "../pagination.js";
import { HttpAnswer, empty, fieldProblem, hal, problem, validationProblem } from "../problem.js";
import type { FieldError, RequestErrors } from "../problem.js";
import { listParam } from "../query.js";
import { renderNote, selfLink, withSet } from "../render.js";
import type { Route, RouteContext } from "../router.js";

const MAX_BATCH = 250;
export const NOTE_TYPES = ["common", "call_in", "call_out", "service_message", "extended_service_message", "message_cashier", "invoice_paid", "geolocation", "sms_in", "sms_out", "attachment"] as const;
const SINGULAR: Record<NoteEntityType, string> = { leads: "Lead", contacts: "Contact", companies: "Company" };

function entityTypeOf(ctx: RouteContext): NoteEntityType {
  return ctx.params.entity as NoteEntityType;
}

function entityOr404(ctx: RouteContext): { type: NoteEntityType; id: number } {
  const type = entityTypeOf(ctx);
  const id = Number(ctx.params.id);
  if (!ctx.crm.hasEntity(type, id)) throw new HttpAnswer(problem(404, `${SINGULAR[type]} not found`));
  return { type, id };
}

function listNotes(ctx: RouteContext, type: NoteEntityType, entityId: number | undefined): Response {
  const { crm, url } = ctx;
  const params = url.searchParams;
  const page = readPage(params);
  let notes = [...crm.notes(type, entityId)];
  const ids = numberListParam(params, "filter[id]");
  if (ids.length > 0) notes = notes.filter((n) => ids.includes(n.id));
  const entityIds = numberListParam(params, "filter[entity_id]");
  if (entityIds.length > 0) notes = notes.filter((n) => entityIds.includes(n.entity_id));
  const noteTypes = listParam(params, "filter[note_type]");
  if (noteTypes.length > 0) notes = notes.filter((n) => noteTypes.includes(n.note_type));
  const updated = rangeFilter(params, "updated_at");
  if (updated) notes = notes.filter((n) => updated(n.updated_at));
  notes = applyOrder(notes, params, ["updated_at", "id"]);
  const include = withSet(url);
  return pagedList(url, "notes", notes, page, (n) => renderNote(crm, n, url.origin, include));
}

function readNote(ctx: RouteContext, type: NoteEntityType, element: unknown, errors: FieldError[], entityIdFromPath?: number): NewNote | undefined {
  if (!isObject(element)) {
    errors.push({ code: "InvalidType", path: "", detail: "Each note should be an object." });
    return undefined;
  }
  const entityId = entityIdFromPath ?? checkInt(errors, "entity_id", element.entity_id, { required: true, min: 1 });
  const noteType = checkChoice(errors, "note_type", element.note_type, NOTE_TYPES, { required: true });
  const params = element.params;
  if (!isObject(params)) errors.push({ code: "InvalidType", path: "params", detail: "This value should be an object." });
  else if (noteType === "common" && (typeof params.text !== "string" || params.text.trim() === "")) errors.push({ code: "NotBlank", path: "params.text", detail: "This value should not be blank." });
  if (entityId !== undefined && entityIdFromPath === undefined && !ctx.crm.hasEntity(type, entityId)) errors.push({ code: "NotFound", path: "entity_id", detail: `${SINGULAR[type]} \`${entityId}\` not found.` });
  const userId = checkInt(errors, "responsible_user_id", element.responsible_user_id, { min: 1 });
  if (errors.length > 0 || entityId === undefined || noteType === undefined || !isObject(params)) return undefined;
  const note: NewNote = { entity_type: type, entity_id: entityId, note_type: noteType, params };
  if (userId !== undefined) note.responsible_user_id = userId;
  return note;
}

function createNotes(ctx: RouteContext, type: NoteEntityType, entityIdFromPath: number | undefined): Response {
  const { crm, url, body } = ctx;
  if (!Array.isArray(body) || body.length === 0) throw new HttpAnswer(fieldProblem({ code: "InvalidType", path: "", detail: "The request body should be a non-empty array of notes." }));
  if (body.length > MAX_BATCH) throw new HttpAnswer(fieldProblem({ code: "TooMany", path: "", detail: `At most ${MAX_BATCH} notes per request.` }));
  const inputs: { note: NewNote; requestId: string }[] = [];
  const failures: RequestErrors[] = [];
  body.forEach((element, index) => {
    const errors: FieldError[] = [];
    const requestId = isObject(element) && typeof element.request_id === "string" ? element.request_id : String(index);
    const note = readNote(ctx, type, element, errors, entityIdFromPath);
    if (errors.length > 0 || !note) failures.push({ request_id: requestId, errors });
    else inputs.push({ note, requestId });
  });
  if (failures.length > 0) return validationProblem(failures);
  const created = inputs.map(({ note, requestId }) => {
    const record = crm.createNote(note);
    return { id: record.id, entity_id: record.entity_id, request_id: requestId, _links: selfLink(url.origin, `/api/v4/${type}/${record.entity_id}/notes/${record.id}`) };
  });
  return hal({ _links: selfLink(url.origin, `/api/v4/${type}/notes`), _embedded: { notes: created } });
}

function getNote(ctx: RouteContext): Response {
  const { type, id } = entityOr404(ctx);
  const note = ctx.crm.note(Number(ctx.params.note_id));
  if (!note || note.entity_type !== type || note.entity_id !== id) throw new HttpAnswer(problem(404, "Note not found"));
  return hal(renderNote(ctx.crm, note, ctx.url.origin, withSet(ctx.url)));
}

function pin(pinned: boolean) {
  return (ctx: RouteContext): Response => {
    if (!ctx.crm.setNotePinned(entityTypeOf(ctx), Number(ctx.params.id), pinned)) return problem(404, "Note not found");
    return empty(204);
  };
}

export const noteRoutes: readonly Route[] = [
  { method: "GET", pattern: "/api/v4/:entity/notes", handle: (ctx) => listNotes(ctx, entityTypeOf(ctx), undefined) },
  { method: "POST", pattern: "/api/v4/:entity/notes", handle: (ctx) => createNotes(ctx, entityTypeOf(ctx), undefined) },
  { method: "POST", pattern: "/api/v4/:entity/notes/:id/pin", handle: pin(true) },
  { method: "POST", pattern: "/api/v4/:entity/notes/:id/unpin", handle: pin(false) },
  { method: "GET", pattern: "/api/v4/:entity/:id/notes", handle: (ctx) => listNotes(ctx, entityOr404(ctx).type, entityOr404(ctx).id) },
  { method: "POST", pattern: "/api/v4/:entity/:id/notes", handle: (ctx) => createNotes(ctx, entityOr404(ctx).type, entityOr404(ctx).id) },
  { method: "GET", pattern: "/api/v4/:entity/:id/notes/:note_id", handle: getNote },
];

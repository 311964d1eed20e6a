/**
 * The in-memory CRM: every record of one Kommo account, loaded from a seed and changed by the
 * fake REST API. The store applies already-validated changes; validating request bodies is the
 * REST layer's job. Times are Unix seconds taken from the injected clock.
 */
import type { Clock } from "../../core/clock.js";
import { isClosedStatus } from "./entities.js";
import type { Account, BotRun, Company, Contact, Lead, LossReason, Note, NoteEntityType, Pipeline, Salesbot, Status, Task, User } from "./entities.js";
import type { BotRunFilter, LeadPatch, NewLead, NewNote, NewTask } from "./crm-inputs.js";
import type { CrmSeed } from "./seed-schema.js";

function clone<T>(value: T): T {
  return structuredClone(value);
}

function nextId(items: Iterable<{ id: number }>): number {
  let max = 0;
  for (const item of items) max = Math.max(max, item.id);
  return max + 1;
}

function indexById<T extends { id: number }>(items: readonly T[]): Map<number, T> {
  return new Map(items.map((x) => [x.id, x]));
}

export class CrmStore {
  private readonly clock: Clock;
  private seed: CrmSeed;
  private state!: CrmSeed;
  private readonly byId = {
    leads: new Map<number, Lead>(),
    contacts: new Map<number, Contact>(),
    companies: new Map<number, Company>(),
    tasks: new Map<number, Task>(),
    notes: new Map<number, Note>(),
  };

  constructor(seed: CrmSeed, clock: Clock) {
    this.clock = clock;
    this.seed = clone(seed);
    this.reset();
  }

  /** Back to the seed (or to a new seed). */
  reset(seed?: CrmSeed): void {
    if (seed) this.seed = clone(seed);
    this.state = clone(this.seed);
    this.byId.leads = indexById(this.state.leads);
    this.byId.contacts = indexById(this.state.contacts);
    this.byId.companies = indexById(this.state.companies);
    this.byId.tasks = indexById(this.state.tasks);
    this.byId.notes = indexById(this.state.notes);
  }

  /** A deep copy of the current state, in seed shape (so it can seed another store). */
  snapshot(): CrmSeed {
    return clone(this.state);
  }

  nowSeconds(): number {
    return Math.floor(this.clock.nowMs() / 1000);
  }

  get account(): Account {
    return this.state.account;
  }

  users(): readonly User[] {
    return this.state.users;
  }
  user(id: number): User | undefined {
    return this.state.users.find((u) => u.id === id);
  }

  pipelines(): readonly Pipeline[] {
    return this.state.pipelines;
  }
  pipeline(id: number): Pipeline | undefined {
    return this.state.pipelines.find((p) => p.id === id);
  }
  mainPipeline(): Pipeline {
    return this.state.pipelines.find((p) => p.is_main) ?? this.state.pipelines[0]!;
  }
  /** The first status a new lead lands in: the first non-closed status by sort order. */
  firstStatus(pipeline: Pipeline): Status {
    const open = [...pipeline.statuses].sort((a, b) => a.sort - b.sort).filter((s) => !isClosedStatus(s.id));
    return open[0] ?? pipeline.statuses[0]!;
  }
  /** The pipelines holding a status id (142/143 are in every pipeline). */
  pipelinesWithStatus(statusId: number): Pipeline[] {
    return this.state.pipelines.filter((p) => p.statuses.some((s) => s.id === statusId));
  }

  lossReasons(): readonly LossReason[] {
    return this.state.loss_reasons;
  }
  lossReason(id: number): LossReason | undefined {
    return this.state.loss_reasons.find((r) => r.id === id);
  }

  leads(): readonly Lead[] {
    return this.state.leads;
  }
  lead(id: number): Lead | undefined {
    return this.byId.leads.get(id);
  }
  contacts(): readonly Contact[] {
    return this.state.contacts;
  }
  contact(id: number): Contact | undefined {
    return this.byId.contacts.get(id);
  }
  companies(): readonly Company[] {
    return this.state.companies;
  }
  company(id: number): Company | undefined {
    return this.byId.companies.get(id);
  }
  tasks(): readonly Task[] {
    return this.state.tasks;
  }
  task(id: number): Task | undefined {
    return this.byId.tasks.get(id);
  }
  notes(entityType?: NoteEntityType, entityId?: number): readonly Note[] {
    return this.state.notes.filter((n) => (entityType === undefined || n.entity_type === entityType) && (entityId === undefined || n.entity_id === entityId));
  }
  note(id: number): Note | undefined {
    return this.byId.notes.get(id);
  }
  salesbots(): readonly Salesbot[] {
    return this.state.salesbots;
  }
  salesbot(id: number): Salesbot | undefined {
    return this.state.salesbots.find((b) => b.id === id);
  }
  botRuns(filter: BotRunFilter = {}): readonly BotRun[] {
    return this.state.bot_runs.filter(
      (r) =>
        (filter.botId === undefined || r.bot_id === filter.botId) &&
        (filter.entityId === undefined || r.entity_id === filter.entityId) &&
        (filter.entityType === undefined || r.entity_type === filter.entityType) &&
        (filter.state === undefined || r.state === filter.state),
    );
  }

  /** Whether a lead, contact or company with this id exists. */
  hasEntity(entityType: NoteEntityType, id: number): boolean {
    switch (entityType) {
      case "leads":
        return this.byId.leads.has(id);
      case "contacts":
        return this.byId.contacts.has(id);
      case "companies":
        return this.byId.companies.has(id);
    }
  }

  /** Creates a lead; pipeline and status default to the main pipeline's first status. */
  createLead(input: NewLead): Lead {
    const now = this.nowSeconds();
    const id = nextId(this.state.leads);
    const pipeline = (input.pipeline_id !== undefined ? this.pipeline(input.pipeline_id) : undefined) ?? this.mainPipeline();
    const statusId = input.status_id ?? this.firstStatus(pipeline).id;
    const userId = input.responsible_user_id ?? this.account.current_user_id;
    const lead: Lead = {
      id,
      name: input.name ?? `Lead #${id}`,
      price: input.price ?? 0,
      responsible_user_id: userId,
      group_id: 0,
      status_id: statusId,
      pipeline_id: pipeline.id,
      loss_reason_id: input.loss_reason_id ?? null,
      created_by: this.account.current_user_id,
      updated_by: this.account.current_user_id,
      created_at: now,
      updated_at: now,
      closed_at: isClosedStatus(statusId) ? now : null,
      closest_task_at: null,
      is_deleted: false,
      custom_fields_values: input.custom_fields_values ?? null,
      score: null,
      labor_cost: null,
      tags: [],
      contact_ids: [],
      company_id: null,
    };
    if (input.extra && Object.keys(input.extra).length > 0) lead.extra = clone(input.extra);
    this.state.leads.push(lead);
    this.byId.leads.set(id, lead);
    return lead;
  }

  /** Applies a patch; entering 142/143 sets `closed_at`, leaving them clears it. */
  updateLead(id: number, patch: LeadPatch): Lead | undefined {
    const lead = this.byId.leads.get(id);
    if (!lead) return undefined;
    const now = this.nowSeconds();
    if (patch.name !== undefined) lead.name = patch.name;
    if (patch.price !== undefined) lead.price = patch.price;
    if (patch.responsible_user_id !== undefined) lead.responsible_user_id = patch.responsible_user_id;
    if (patch.loss_reason_id !== undefined) lead.loss_reason_id = patch.loss_reason_id;
    if (patch.custom_fields_values !== undefined) lead.custom_fields_values = patch.custom_fields_values;
    if (patch.pipeline_id !== undefined && patch.pipeline_id !== lead.pipeline_id) {
      const pipeline = this.pipeline(patch.pipeline_id);
      if (pipeline) {
        lead.pipeline_id = pipeline.id;
        if (patch.status_id === undefined) lead.status_id = this.firstStatus(pipeline).id;
      }
    }
    if (patch.status_id !== undefined) lead.status_id = patch.status_id;
    if (isClosedStatus(lead.status_id)) lead.closed_at ??= now;
    else lead.closed_at = null;
    if (patch.extra && Object.keys(patch.extra).length > 0) lead.extra = { ...(lead.extra ?? {}), ...clone(patch.extra) };
    lead.updated_at = now;
    lead.updated_by = this.account.current_user_id;
    return lead;
  }

  createTask(input: NewTask): Task {
    const now = this.nowSeconds();
    const task: Task = {
      id: nextId(this.state.tasks),
      created_by: this.account.current_user_id,
      updated_by: this.account.current_user_id,
      created_at: now,
      updated_at: now,
      responsible_user_id: input.responsible_user_id ?? this.account.current_user_id,
      group_id: 0,
      entity_id: input.entity_id ?? null,
      entity_type: input.entity_type ?? null,
      is_completed: input.is_completed ?? false,
      task_type_id: input.task_type_id ?? 1,
      text: input.text,
      duration: input.duration ?? 0,
      complete_till: input.complete_till,
      result: null,
    };
    this.state.tasks.push(task);
    this.byId.tasks.set(task.id, task);
    return task;
  }

  createNote(input: NewNote): Note {
    const now = this.nowSeconds();
    const note: Note = {
      id: nextId(this.state.notes),
      entity_type: input.entity_type,
      entity_id: input.entity_id,
      created_by: this.account.current_user_id,
      updated_by: this.account.current_user_id,
      created_at: now,
      updated_at: now,
      responsible_user_id: input.responsible_user_id ?? this.account.current_user_id,
      group_id: 0,
      note_type: input.note_type,
      params: clone(input.params),
      is_pinned: false,
    };
    this.state.notes.push(note);
    this.byId.notes.set(note.id, note);
    return note;
  }

  /** Pins or unpins a note; returns false when no note of that entity type has the id. */
  setNotePinned(entityType: NoteEntityType, id: number, pinned: boolean): boolean {
    const note = this.byId.notes.get(id);
    if (!note || note.entity_type !== entityType) return false;
    note.is_pinned = pinned;
    note.updated_at = this.nowSeconds();
    return true;
  }

  startBotRun(botId: number, entityId: number, entityType: BotRun["entity_type"]): BotRun {
    const run: BotRun = { id: nextId(this.state.bot_runs), bot_id: botId, entity_id: entityId, entity_type: entityType, state: "running", started_at: this.nowSeconds(), stopped_at: null };
    this.state.bot_runs.push(run);
    return run;
  }

  /** Marks the running runs of a bot on an entity stopped; returns how many were running. */
  stopBotRuns(botId: number, entityId: number, entityType: BotRun["entity_type"]): number {
    const running = this.botRuns({ botId, entityId, entityType, state: "running" });
    for (const run of running) {
      run.state = "stopped";
      run.stopped_at = this.nowSeconds();
    }
    return running.length;
  }
}

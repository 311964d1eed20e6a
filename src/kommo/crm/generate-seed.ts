/**
 * Generates the default CRM seed deterministically (fixed PRNG seed), Brazilian flavour:
 *
 *   npx tsx src/kommo/crm/generate-seed.ts > fixtures/crm/seed.json
 *
 * Ids are small and stable so scenarios can name them: users 8100001.., pipelines 7001..7004,
 * leads 101..400, contacts 501..650, companies 801..860, salesbots 1..8, loss reasons 1..6.
 * Lead times lie in 2025-10-01 .. 2025-12-31 (Unix seconds), all before 2026-01-01T00:00Z (the
 * VirtualClock default "now"); tasks due after that are open, earlier unfinished ones are overdue.
 */
import { formatIssues } from "../../core/errors.js";
import type { BotRun, Company, Contact, CustomFieldValue, Lead, LossReason, Note, Pipeline, Salesbot, Status, Tag, Task, User } from "./entities.js";
import { LOST_STATUS_ID, WON_STATUS_ID } from "./entities.js";
import { parseCrmSeed } from "./seed-schema.js";
import { CITIES, COMPANY_KINDS, COMPANY_SUFFIXES, DDD, FIRST_NAMES, LAST_NAMES, TAGS, USERS } from "./seed-names.js";
import type { CrmSeed } from "./seed-schema.js";

const PRNG_SEED = 20260101;

/** mulberry32: a small, fast, deterministic PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rand = prng(PRNG_SEED);
const int = (min: number, max: number): number => min + Math.floor(rand() * (max - min + 1));
const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
const chance = (p: number): boolean => rand() < p;
const utc = (y: number, m: number, d: number, h = 0): number => Date.UTC(y, m - 1, d, h) / 1000;

const DAY = 86_400;
const START = utc(2025, 10, 1);
const END = utc(2025, 12, 31, 23);
/** VirtualClock's default start: every seeded time is before it; tasks due later are in the future. */
const REFERENCE = utc(2026, 1, 1);
const ACCOUNT_ID = 31_415_926;

const userIds = USERS.map((u) => u.id);
const ADMIN_ID = USERS[0]!.id;

function pipeline(id: number, name: string, sort: number, isMain: boolean, stages: readonly string[]): Pipeline {
  const statuses: Status[] = [
    { id: id * 100 + 1, name: "Leads de entrada", sort: 10, is_editable: false, color: "#c1c1c1", type: 1 },
    ...stages.map((stage, i) => ({ id: id * 100 + 2 + i, name: stage, sort: 20 + i * 10, is_editable: true, color: pick(["#99ccff", "#ffff99", "#ffcc66", "#ccff66", "#fffeb2", "#deff81"]), type: 0 as const })),
    { id: WON_STATUS_ID, name: "Venda ganha", sort: 10_000, is_editable: false, color: "#CCFF66", type: 0 },
    { id: LOST_STATUS_ID, name: "Venda perdida", sort: 11_000, is_editable: false, color: "#D5D8DB", type: 0 },
  ];
  return { id, name, sort, is_main: isMain, is_unsorted_on: true, is_archive: false, statuses };
}

const PIPELINES: Pipeline[] = [
  pipeline(7001, "Funil de Vendas", 1, true, ["Primeiro contato", "Qualificação", "Proposta enviada", "Negociação"]),
  pipeline(7002, "Pós-venda", 2, false, ["Onboarding", "Acompanhamento", "Renovação"]),
  pipeline(7003, "Parcerias", 3, false, ["Prospecção", "Reunião agendada", "Contrato em análise"]),
  pipeline(7004, "Licitações", 4, false, ["Edital em análise", "Documentação", "Proposta técnica", "Resultado"]),
];

const LOSS_REASONS: LossReason[] = ["Preço alto", "Escolheu concorrente", "Sem resposta do cliente", "Sem orçamento", "Momento inadequado", "Produto não atende"].map((name, i) => ({
  id: i + 1,
  name,
  sort: (i + 1) * 10,
  created_at: utc(2025, 6, 1) + i * 60,
  updated_at: utc(2025, 6, 1) + i * 60,
}));

const SALESBOTS: Salesbot[] = ["Boas-vindas WhatsApp", "Qualificação de lead", "Lembrete de proposta", "Pesquisa de satisfação", "Reativação de clientes", "Cobrança amigável", "Agendamento de demonstração", "Pós-venda NPS"].map((name, i) => ({
  id: i + 1,
  name,
  is_active: i !== 7,
}));

function phone(): string {
  return `+55 ${pick(DDD)} 9${int(1000, 9999)}-${int(1000, 9999)}`;
}

function field(id: number, name: string, code: string, value: string, enumCode: string): CustomFieldValue {
  return { field_id: id, field_name: name, field_code: code, field_type: "multitext", values: [{ value, enum_code: enumCode }] };
}

function plain(text: string): string {
  return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/[^a-z0-9]+/g, "");
}

function someTags(p: number): Tag[] {
  if (!chance(p)) return [];
  const first = pick(TAGS);
  const second = pick(TAGS);
  return first.id === second.id ? [{ ...first }] : [{ ...first }, { ...second }];
}

function generate(): CrmSeed {
  const companies: Company[] = [];
  for (let i = 0; i < 60; i++) {
    const created = int(utc(2025, 3, 1), START);
    const name = `${pick(COMPANY_KINDS)} ${pick(LAST_NAMES)} ${pick(COMPANY_SUFFIXES)}`;
    companies.push({
      id: 801 + i,
      name,
      responsible_user_id: pick(userIds),
      group_id: 0,
      created_by: ADMIN_ID,
      updated_by: ADMIN_ID,
      created_at: created,
      updated_at: created + int(0, 30) * DAY,
      closest_task_at: null,
      custom_fields_values: [
        field(900_001, "Telefone", "PHONE", phone(), "WORK"),
        { field_id: 900_003, field_name: "Cidade", field_code: null, field_type: "text", values: [{ value: pick(CITIES) }] },
      ],
      tags: someTags(0.2),
    });
  }

  const contacts: Contact[] = [];
  for (let i = 0; i < 150; i++) {
    const first = pick(FIRST_NAMES);
    const last = pick(LAST_NAMES);
    const created = int(utc(2025, 6, 1), END - 10 * DAY);
    const company = chance(0.7) ? pick(companies) : undefined;
    contacts.push({
      id: 501 + i,
      name: `${first} ${last}`,
      first_name: first,
      last_name: last,
      responsible_user_id: pick(userIds),
      group_id: 0,
      created_by: ADMIN_ID,
      updated_by: ADMIN_ID,
      created_at: created,
      updated_at: created + int(0, 20) * DAY,
      closest_task_at: null,
      custom_fields_values: [
        field(900_001, "Telefone", "PHONE", phone(), "MOB"),
        field(900_002, "E-mail", "EMAIL", `${plain(first)}.${plain(last)}${i}@${pick(["gmail.com", "hotmail.com", "outlook.com", "uol.com.br"])}`, "WORK"),
      ],
      tags: someTags(0.25),
      company_id: company?.id ?? null,
    });
  }

  const leads: Lead[] = [];
  for (let i = 0; i < 300; i++) {
    const pipe = rand() < 0.55 ? PIPELINES[0]! : pick(PIPELINES.slice(1));
    const created = int(START, END);
    const roll = rand();
    const open = pipe.statuses.filter((s) => s.id !== WON_STATUS_ID && s.id !== LOST_STATUS_ID);
    const statusId = roll < 0.22 ? WON_STATUS_ID : roll < 0.38 ? LOST_STATUS_ID : pick(open).id;
    const closed = statusId === WON_STATUS_ID || statusId === LOST_STATUS_ID ? Math.min(END, created + int(1, 45) * DAY + int(0, DAY - 1)) : null;
    const contact = pick(contacts);
    const second = chance(0.2) ? pick(contacts) : undefined;
    const company = contact.company_id;
    const title = pick(["Proposta", "Pedido", "Orçamento", "Renovação", "Projeto", "Consultoria"]);
    const subject = company !== null ? companies.find((c) => c.id === company)!.name.split(" ").slice(0, 2).join(" ") : contact.name;
    leads.push({
      id: 101 + i,
      name: `${title} ${subject}`,
      price: int(50, 5000) * 10,
      responsible_user_id: pick(userIds),
      group_id: 0,
      status_id: statusId,
      pipeline_id: pipe.id,
      loss_reason_id: statusId === LOST_STATUS_ID && chance(0.9) ? pick(LOSS_REASONS).id : null,
      created_by: ADMIN_ID,
      updated_by: ADMIN_ID,
      created_at: created,
      updated_at: Math.min(END, (closed ?? created) + int(0, 5) * DAY),
      closed_at: closed,
      closest_task_at: null,
      is_deleted: false,
      custom_fields_values: chance(0.5) ? [{ field_id: 900_010, field_name: "Origem", field_code: null, field_type: "select", values: [{ value: pick(["Site", "WhatsApp", "Instagram", "Indicação", "Feira"]), enum_id: int(1, 5) }] }] : null,
      score: null,
      labor_cost: null,
      tags: someTags(0.3),
      contact_ids: second && second.id !== contact.id ? [contact.id, second.id] : [contact.id],
      company_id: company,
    });
  }

  const tasks: Task[] = [];
  for (let i = 0; i < 120; i++) {
    const lead = pick(leads);
    const due = int(START, REFERENCE + 45 * DAY);
    const completed = due < REFERENCE && chance(0.65);
    const type = chance(0.7) ? 1 : 2;
    tasks.push({
      id: 1 + i,
      created_by: ADMIN_ID,
      updated_by: ADMIN_ID,
      // Set up before the seed's "now" even when due well after it (no record comes from the future).
      created_at: Math.min(END, Math.max(lead.created_at, due - int(1, 10) * DAY)),
      updated_at: Math.min(END, Math.max(lead.created_at, due - int(0, 1) * DAY)),
      responsible_user_id: lead.responsible_user_id,
      group_id: 0,
      entity_id: lead.id,
      entity_type: "leads",
      is_completed: completed,
      task_type_id: type,
      text: type === 1 ? pick(["Ligar para o cliente", "Enviar proposta atualizada", "Follow-up por WhatsApp", "Confirmar recebimento do contrato", "Cobrar retorno do orçamento"]) : pick(["Reunião de apresentação", "Demonstração do produto", "Visita técnica"]),
      duration: type === 2 ? 3600 : 0,
      complete_till: due,
      result: completed ? { text: pick(["Cliente atendeu, seguir com proposta", "Sem resposta, tentar novamente", "Reunião realizada"]) } : null,
    });
  }

  const notes: Note[] = [];
  for (let i = 0; i < 90; i++) {
    const onContact = i % 6 === 5;
    const entity = onContact ? pick(contacts) : pick(leads);
    const created = Math.min(END, entity.created_at + int(0, 20) * DAY);
    const call = !onContact && chance(0.2);
    notes.push({
      id: 1 + i,
      entity_type: onContact ? "contacts" : "leads",
      entity_id: entity.id,
      created_by: pick(userIds),
      updated_by: ADMIN_ID,
      created_at: created,
      updated_at: created,
      responsible_user_id: pick(userIds),
      group_id: 0,
      note_type: call ? "call_in" : "common",
      params: call
        ? { uniq: `call-${i}`, duration: int(30, 900), source: "Telefonia", link: "", phone: phone() }
        : { text: pick(["Cliente pediu desconto de 10% para fechar este mês.", "Enviado catálogo atualizado por e-mail.", "Prefere contato por WhatsApp à tarde.", "Aguardando aprovação do financeiro.", "Concorrente ofereceu prazo maior de pagamento.", "Reunião remarcada para a próxima semana."]) },
      is_pinned: chance(0.1),
    });
  }

  const runs: BotRun[] = [];
  const addRun = (botId: number, leadId: number, state: BotRun["state"]): void => {
    const started = int(utc(2025, 12, 1), END - 4 * DAY);
    runs.push({ id: runs.length + 1, bot_id: botId, entity_id: leadId, entity_type: "leads", state, started_at: started, stopped_at: state === "running" ? null : Math.min(END, started + int(1, 3) * DAY) });
  };
  // Runs scenarios can rely on: bot 7 is running on lead 101, bot 1 on leads 101..105, bot 3 on 110..114.
  addRun(7, 101, "running");
  for (let id = 101; id <= 105; id++) addRun(1, id, "running");
  for (let id = 110; id <= 114; id++) addRun(3, id, "running");
  for (let i = 0; i < 14; i++) addRun(pick([1, 2, 3, 4, 5, 6, 7]), pick(leads).id, pick(["running", "stopped", "finished"] as const));

  return {
    account: {
      id: ACCOUNT_ID,
      name: "Sol Nascente Distribuidora",
      subdomain: "solnascente",
      created_at: utc(2024, 3, 12),
      created_by: 0,
      updated_at: utc(2025, 9, 30),
      updated_by: ADMIN_ID,
      current_user_id: ADMIN_ID,
      country: "BR",
      currency: "BRL",
      currency_symbol: "R$",
      customers_mode: "disabled",
      is_unsorted_on: true,
      mobile_feature_version: 0,
      is_loss_reason_enabled: true,
      is_helpbot_enabled: false,
      is_technical_account: false,
      contact_name_display_order: 1,
      timezone: "America/Sao_Paulo",
    },
    users: USERS,
    pipelines: PIPELINES,
    loss_reasons: LOSS_REASONS,
    leads,
    contacts,
    companies,
    tasks,
    notes,
    salesbots: SALESBOTS,
    bot_runs: runs,
  };
}

/** One record per line: diff-friendly and still valid JSON. */
export function formatSeed(seed: CrmSeed): string {
  const parts = Object.entries(seed).map(([key, value]) => {
    if (!Array.isArray(value)) return `  ${JSON.stringify(key)}: ${JSON.stringify(value)}`;
    return `  ${JSON.stringify(key)}: [\n${value.map((v) => `    ${JSON.stringify(v)}`).join(",\n")}\n  ]`;
  });
  return `{\n${parts.join(",\n")}\n}\n`;
}

const seed = generate();
const parsed = parseCrmSeed(seed, "(generated seed)");
if (!parsed.ok) {
  process.stderr.write(`${formatIssues("(generated seed)", parsed.issues)}\n`);
  process.exit(1);
}
process.stdout.write(formatSeed(parsed.value));

/**
 * The keyword rules behind `ask_kommo` (no LLM, as in the real server): intent, period, month and
 * category detection in Portuguese. Periods are computed in UTC on the injected clock (the real
 * server uses the process's local time).
 */

export type Period = "today" | "yesterday" | "week" | "last_week" | "month" | "last_month" | "year" | "last_year";

export interface SemanticAnalysis {
  intent: string;
  entities: Array<{ type: string; value: string; confidence: number }>;
  context: string;
  confidence: number;
}

export const PERIOD_NAMES: Record<Period, string> = {
  today: "Hoje",
  yesterday: "Ontem",
  week: "Esta semana",
  last_week: "Semana passada",
  month: "Este mês",
  last_month: "Mês passado",
  year: "Este ano",
  last_year: "Ano passado",
};

export const MONTH_NAMES = ["Janeiro", "Fevereiro", "Março", "Abril", "Maio", "Junho", "Julho", "Agosto", "Setembro", "Outubro", "Novembro", "Dezembro"];

/** First match wins, most specific phrases first. */
const PERIOD_RULES: ReadonlyArray<readonly [Period, readonly string[]]> = [
  ["today", ["hoje"]],
  ["yesterday", ["ontem"]],
  ["last_week", ["semana passada", "semana anterior"]],
  ["last_month", ["mês passado", "mes passado"]],
  ["last_year", ["ano passado", "ano anterior"]],
  ["week", ["esta semana"]],
  ["month", ["este mês", "este mes"]],
  ["year", ["este ano"]],
  ["week", ["semana"]],
  ["month", ["mês", "mes"]],
  ["year", ["ano"]],
];

export function detectPeriod(questionLower: string): Period | null {
  for (const [period, words] of PERIOD_RULES) if (words.some((w) => questionLower.includes(w))) return period;
  return null;
}

const CATEGORY_RULES: ReadonlyArray<readonly [string, readonly string[]]> = [
  ["tráfego", ["trafego", "tráfego", "traffic", "ads", "anúncios", "facebook", "google", "instagram"]],
  ["design", ["design", "logo", "identidade", "visual", "criativo"]],
  ["marketing", ["marketing", "digital", "social", "redes sociais", "conteúdo"]],
  ["suporte", ["suporte", "atendimento", "help", "ajuda", "técnico"]],
  ["contatos", ["contato", "contatos", "telefone", "telefones", "nome", "nomes", "cliente", "clientes"]],
  ["status", ["status", "estado", "situação", "situacao", "andamento", "fechado", "perdido", "ganho"]],
  ["valores", ["valor", "valores", "preço", "preco", "ticket", "faturamento", "receita"]],
  ["origem", ["origem", "fonte", "canal", "utm", "facebook", "google", "instagram"]],
  ["produtos", ["produto", "produtos", "item", "items", "serviço", "servico", "t-shirt", "camiseta"]],
];

export function detectCategory(questionLower: string): string | null {
  for (const [category, words] of CATEGORY_RULES) if (words.some((w) => questionLower.includes(w))) return category;
  return null;
}

const MONTH_WORDS: ReadonlyArray<readonly [string, number]> = [
  ["janeiro", 0], ["jan", 0], ["fevereiro", 1], ["fev", 1], ["março", 2], ["mar", 2], ["abril", 3], ["abr", 3],
  ["maio", 4], ["mai", 4], ["junho", 5], ["jun", 5], ["julho", 6], ["jul", 6], ["agosto", 7], ["ago", 7],
  ["setembro", 8], ["set", 8], ["outubro", 9], ["out", 9], ["novembro", 10], ["nov", 10], ["dezembro", 11], ["dez", 11],
];

/** Month index (0–11) named in the question, by substring as the real server does. */
export function detectMonth(questionLower: string): number | null {
  for (const [word, month] of MONTH_WORDS) if (questionLower.includes(word)) return month;
  return null;
}

export function analyzeSemantics(questionLower: string): SemanticAnalysis {
  let intent = "general_query";
  let confidence = 0.8;
  const has = (...words: string[]): boolean => words.some((w) => questionLower.includes(w));
  if (has("quantas", "quantos")) [intent, confidence] = ["count_query", 0.9];
  else if (has("qual", "quais")) [intent, confidence] = ["detail_query", 0.9];
  else if (has("mostre", "analise")) [intent, confidence] = ["analysis_query", 0.9];
  else if (has("compare", "versus")) [intent, confidence] = ["comparison_query", 0.8];
  const entities: SemanticAnalysis["entities"] = [];
  if (has("hoje")) entities.push({ type: "date", value: "today", confidence: 0.95 });
  if (has("ontem")) entities.push({ type: "date", value: "yesterday", confidence: 0.95 });
  if (has("semana")) entities.push({ type: "date", value: "week", confidence: 0.9 });
  if (has("mês", "mes")) entities.push({ type: "date", value: "month", confidence: 0.9 });
  if (has("ano")) entities.push({ type: "date", value: "year", confidence: 0.9 });
  if (has("vendas")) entities.push({ type: "metric", value: "sales", confidence: 0.9 });
  if (has("leads")) entities.push({ type: "metric", value: "leads", confidence: 0.9 });
  return { intent, entities, context: "sales_analysis", confidence };
}

/** [startMs, endMs] inclusive, in UTC days around `nowMs`. */
export function periodRangeMs(period: Period, nowMs: number): { startMs: number; endMs: number } {
  const now = new Date(nowMs);
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  const d = now.getUTCDate();
  const day = (dy: number, dm: number, dd: number): number => Date.UTC(dy, dm, dd);
  const endOf = (startOfNextDayMs: number): number => startOfNextDayMs - 1;
  switch (period) {
    case "today":
      return { startMs: day(y, m, d), endMs: endOf(day(y, m, d + 1)) };
    case "yesterday":
      return { startMs: day(y, m, d - 1), endMs: endOf(day(y, m, d)) };
    case "week":
      return { startMs: day(y, m, d - 7), endMs: endOf(day(y, m, d + 1)) };
    case "last_week":
      return { startMs: day(y, m, d - 14), endMs: endOf(day(y, m, d - 7)) };
    case "month":
      return { startMs: day(y, m, d - 30), endMs: endOf(day(y, m, d + 1)) };
    case "last_month":
      return { startMs: day(y, m - 1, 1), endMs: endOf(day(y, m, 1)) };
    case "year":
      return { startMs: day(y, 0, 1), endMs: endOf(day(y + 1, 0, 1)) };
    case "last_year":
      return { startMs: day(y - 1, 0, 1), endMs: endOf(day(y, 0, 1)) };
  }
}

export function formatReais(value: number): string {
  return `R$ ${value.toLocaleString("pt-BR", { minimumFractionDigits: 2 })}`;
}

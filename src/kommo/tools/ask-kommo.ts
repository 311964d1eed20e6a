/**
 * `ask_kommo`: answers Portuguese questions from every lead (cached 5 minutes once non-empty) and,
 * for contact/client questions, one page of contacts. The answer is a Portuguese markdown summary
 * wrapped as `{agent_response:{response, metadata}, user_message}`.
 */
import { embeddedList, type LeadFacts } from "../rest-client/kommo-api.js";
import { WON_STATUS_ID, sumPrices } from "../report-sales.js";
import {
  analyzeSemantics,
  detectCategory,
  detectMonth,
  detectPeriod,
  formatReais,
  MONTH_NAMES,
  PERIOD_NAMES,
  periodRangeMs,
  type Period,
} from "./ask-kommo-rules.js";
import { textResult, type KommoToolDefinition, type ToolContext } from "./tool.js";

export const askKommo: KommoToolDefinition = {
  name: "ask_kommo",
  title: "Perguntar ao Kommo",
  description: "Fazer perguntas inteligentes sobre dados do Kommo CRM usando IA conversacional",
  inputSchema: {
    type: "object",
    properties: { question: { type: "string", description: "Pergunta sobre dados do Kommo CRM" } },
    required: ["question"],
    additionalProperties: false,
  },
  write: false,
  handler: async (args, context) => textResult(await answer(typeof args.question === "string" ? args.question : "", context)),
};

async function answer(question: string, { api, clock, askCache }: ToolContext): Promise<unknown> {
  const startMs = clock.nowMs();
  const q = question.toLowerCase();
  const cached = askCache.get();
  const leads = cached ?? (await api.getAllLeads());
  if (!cached) askCache.set(leads);
  const period = detectPeriod(q);
  const category = detectCategory(q);
  const month = detectMonth(q);
  const year = new Date(startMs).getUTCFullYear();
  const has = (...words: string[]): boolean => words.some((w) => q.includes(w));
  const inRange = (seconds: number | null | undefined, p: Period): boolean => {
    const { startMs: from, endMs: to } = periodRangeMs(p, startMs);
    const atMs = (seconds ?? 0) * 1000;
    return atMs >= from && atMs <= to;
  };
  const byPeriodAndMonth = (list: LeadFacts[]): LeadFacts[] =>
    list
      .filter((lead) => !period || inRange(lead.created_at, period))
      .filter((lead) => {
        if (month === null) return true;
        const created = new Date((lead.created_at ?? 0) * 1000);
        return created.getUTCMonth() === month && created.getUTCFullYear() === year;
      });
  const byCategory = (list: LeadFacts[]): LeadFacts[] => (category ? list.filter((lead) => (lead.name || "").toLowerCase().includes(category)) : list);

  let response: string;
  const insights: string[] = [];
  const suggestions: string[] = [];
  if (has("venda", "vendas", "fechado", "ganho")) {
    const sales = byCategory(leads.filter((lead) => lead.status_id === WON_STATUS_ID).filter((lead) => !period || inRange(lead.closed_at, period)));
    const total = sumPrices(sales);
    response = `💰 **Análise de Vendas**\n\n`;
    response += `📊 **Total de vendas:** ${sales.length}\n`;
    response += `💵 **Valor total:** ${formatReais(total)}\n`;
    response += `📈 **Ticket médio:** ${formatReais(sales.length > 0 ? total / sales.length : 0)}\n`;
    if (period) response += `\n⏰ **Período:** ${PERIOD_NAMES[period]}\n`;
    if (month !== null) response += `\n📅 **Mês:** ${MONTH_NAMES[month]} de ${year}\n`;
    if (category) response += `\n🏷️ **Categoria:** ${category}\n`;
  } else if (category === "contatos" || has("contato", "cliente")) {
    const filtered = byPeriodAndMonth(leads);
    const contacts = embeddedList<{ name?: string }>(await api.getContacts({ limit: 250 }), "contacts");
    const withContact = filtered.filter((lead) =>
      contacts.some((contact) => contact.name && lead.name && contact.name.toLowerCase().includes(lead.name.toLowerCase().split(" ")[0]!)),
    );
    response = `📞 **Análise de Contatos**\n\n`;
    response += `📊 **Total de leads:** ${filtered.length}\n`;
    response += `👥 **Leads com contatos:** ${withContact.length}\n`;
    if (period) response += `⏰ **Período:** ${PERIOD_NAMES[period]}\n`;
  } else if (has("lead")) {
    const filtered = byCategory(byPeriodAndMonth(leads));
    response = `📋 **Análise de Leads**\n\n`;
    response += `📊 **Total de leads:** ${filtered.length}\n`;
    response += `💵 **Valor total:** ${formatReais(sumPrices(filtered))}\n`;
    if (period) response += `\n⏰ **Período:** ${PERIOD_NAMES[period]}\n`;
    if (category) response += `\n🏷️ **Categoria:** ${category}\n`;
  } else if (has("ajuda", "help", "comandos")) {
    response = `🤖 **Como posso ajudar você:**\n\n`;
    insights.push("📊 Pergunte sobre leads criados hoje, ontem ou este mês", "💰 Solicite valores totais, médias e faturamento", "🔄 Analise funis de vendas e conversões");
    suggestions.push('"Quantos leads foram criados hoje?"', '"Quantas vendas tivemos este mês?"');
  } else {
    response = `🤔 Entendi sua mensagem: "${question}"\n\n`;
    response += `📊 **Resumo geral:**\n`;
    response += `• Total de leads: ${leads.length}\n`;
    response += `• Valor total: ${formatReais(sumPrices(leads))}\n\n`;
    response += `💡 **Sugestões:**\n`;
    response += `• "Quantos leads foram criados hoje?"\n`;
    response += `• "Quantas vendas tivemos este mês?"\n`;
    suggestions.push("Pergunte sobre vendas específicas", "Analise leads por período");
  }
  if (insights.length > 0) response += `\n\n🔍 **Insights:**\n${insights.map((i) => `• ${i}\n`).join("")}`;
  if (suggestions.length > 0) response += `\n\n💡 **Sugestões:**\n${suggestions.map((s) => `• ${s}\n`).join("")}`;
  const endMs = clock.nowMs();
  const responseTimeSeconds = (endMs - startMs) / 1000;
  response += `\n\n⚡ **Performance:** ${cached ? "✅ Cache ativo" : "🔄 Dados atualizados"} (${responseTimeSeconds.toFixed(2)}s)`;
  return {
    agent_response: {
      response,
      metadata: {
        total_leads_analyzed: leads.length,
        temporal_filter: period,
        category_filter: category,
        month_filter: month,
        cache_hit: cached !== undefined,
        response_time_seconds: responseTimeSeconds,
        ai_analysis: analyzeSemantics(q),
        timestamp: new Date(endMs).toISOString(),
      },
    },
    user_message: question,
  };
}

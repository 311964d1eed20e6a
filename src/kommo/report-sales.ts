/**
 * `get_sales_report` / `kommo://reports/sales`: computed client-side from every lead, the
 * pipelines and the users, as the real v3 server does. A lead created in [from, to] counts as new;
 * one closed in the window with status 142 as won, 143 as lost. Days are in the business time
 * zone: the configured one, else `account.timezone`, else UTC.
 */
import type { Clock } from "../core/clock.js";
import { embeddedList, isRecord, type KommoApi, type LeadFacts, type Named } from "./rest-client/kommo-api.js";
import { addDays, assertTimeZone, formatCalendarDate, parseCalendarDate, ReportInputError, zonedStartOfDaySeconds } from "./report-calendar.js";

export const WON_STATUS_ID = 142;
export const LOST_STATUS_ID = 143;

export interface SalesReport {
  period: { from: string; to: string };
  leads: { total: number; new: number; won: number; lost: number };
  revenue: { total: number; average: number; conversion_rate: number };
  performance: {
    by_user: Array<{ user_id: number; user_name: string; leads_count: number; revenue: number }>;
    by_pipeline: Array<{ pipeline_id: number; pipeline_name: string; leads_count: number; revenue: number }>;
  };
}

/** The default period: one calendar month ago through today, as UTC dates on `clock`. */
export function defaultSalesPeriod(clock: Clock): { dateFrom: string; dateTo: string } {
  const now = new Date(clock.nowMs());
  const monthAgo = new Date(now.getTime());
  monthAgo.setUTCMonth(monthAgo.getUTCMonth() - 1);
  return { dateFrom: monthAgo.toISOString().slice(0, 10), dateTo: now.toISOString().slice(0, 10) };
}

export function businessTimeZone(account: unknown, configured: string | undefined): string {
  const fromAccount = isRecord(account) && typeof account.timezone === "string" ? account.timezone : undefined;
  const timeZone = configured ?? fromAccount ?? "UTC";
  assertTimeZone(timeZone);
  return timeZone;
}

export async function computeSalesReport(api: KommoApi, dateFrom: string, dateTo: string, timeZone?: string): Promise<SalesReport> {
  const fromDate = parseCalendarDate(dateFrom);
  const toDate = parseCalendarDate(dateTo);
  const [account, leads, pipelines, users] = await Promise.all([api.getAccount(), api.getAllLeads(), api.getPipelines(), api.getUsers()]);
  const zone = businessTimeZone(account, timeZone);
  const fromS = zonedStartOfDaySeconds(fromDate, zone);
  const toExclusiveS = zonedStartOfDaySeconds(addDays(toDate, 1), zone);
  if (fromS >= toExclusiveS) throw new ReportInputError("Período inválido. Use datas no formato YYYY-MM-DD.");
  const inWindow = (s: number | null | undefined): boolean => typeof s === "number" && s >= fromS && s < toExclusiveS;
  const created = leads.filter((lead) => inWindow(lead.created_at));
  const closed = leads.filter((lead) => inWindow(lead.closed_at));
  const won = closed.filter((lead) => lead.status_id === WON_STATUS_ID);
  const lost = closed.filter((lead) => lead.status_id === LOST_STATUS_ID);
  const revenue = sumPrices(won);
  const pipelineNames = namesById(embeddedList<Named>(pipelines, "pipelines"));
  const userNames = namesById(embeddedList<Named>(users, "users"));
  return {
    period: { from: dateFrom, to: dateTo },
    leads: { total: created.length, new: created.length, won: won.length, lost: lost.length },
    revenue: {
      total: revenue,
      average: won.length > 0 ? revenue / won.length : 0,
      conversion_rate: won.length + lost.length > 0 ? (won.length / (won.length + lost.length)) * 100 : 0,
    },
    performance: {
      by_user: groupBy(won, (lead) => lead.responsible_user_id).map((g) => ({
        user_id: g.id,
        user_name: nameOf(userNames, g.id),
        leads_count: g.count,
        revenue: g.revenue,
      })),
      by_pipeline: groupBy(won, (lead) => lead.pipeline_id).map((g) => ({
        pipeline_id: g.id,
        pipeline_name: nameOf(pipelineNames, g.id),
        leads_count: g.count,
        revenue: g.revenue,
      })),
    },
  };
}

export function sumPrices(leads: readonly LeadFacts[]): number {
  return leads.reduce((sum, lead) => sum + (lead.price || 0), 0);
}

export function namesById(items: readonly Named[]): Map<number, string | undefined> {
  return new Map(items.map((item) => [item.id, item.name]));
}

export function nameOf(names: Map<number, string | undefined>, id: number): string {
  return names.get(id) ?? String(id);
}

function groupBy(leads: readonly LeadFacts[], key: (lead: LeadFacts) => number | undefined): Array<{ id: number; count: number; revenue: number }> {
  const groups = new Map<number, { id: number; count: number; revenue: number }>();
  for (const lead of leads) {
    const id = key(lead) as number;
    const group = groups.get(id) ?? { id, count: 0, revenue: 0 };
    group.count += 1;
    group.revenue += lead.price || 0;
    groups.set(id, group);
  }
  return [...groups.values()];
}

export { formatCalendarDate };

/**
 * `get_dashboard` / `kommo://dashboard`: computed client-side from every lead and task, the
 * account and the pipelines, as the real v3 server does. "Today" and "this month" are in the
 * business time zone; "now" comes from the injected clock.
 */
import type { Clock } from "../core/clock.js";
import { embeddedList, type KommoApi, type Named } from "./rest-client/kommo-api.js";
import { zonedDate, zonedStartOfDaySeconds } from "./report-calendar.js";
import { businessTimeZone, LOST_STATUS_ID, namesById, nameOf, WON_STATUS_ID } from "./report-sales.js";

export interface Dashboard {
  leads: { total: number; new_today: number; won_today: number; lost_today: number };
  tasks: { total: number; completed_today: number; overdue: number };
  revenue: { this_month: number; last_month: number; growth_percentage: number };
  top_pipelines: Array<{ id: number; name: string; leads_count: number; revenue: number }>;
}

export async function computeDashboard(api: KommoApi, clock: Clock, timeZone?: string): Promise<Dashboard> {
  const [account, leads, tasks, pipelines] = await Promise.all([api.getAccount(), api.getAllLeads(), api.getAllTasks(), api.getPipelines()]);
  const nowMs = clock.nowMs();
  const nowS = Math.floor(nowMs / 1000);
  const zone = businessTimeZone(account, timeZone);
  const today = zonedDate(nowMs, zone);
  const todayStartS = zonedStartOfDaySeconds(today, zone);
  const monthStartS = zonedStartOfDaySeconds({ ...today, day: 1 }, zone);
  const previous = new Date(Date.UTC(today.year, today.month - 2, 1));
  const lastMonthStartS = zonedStartOfDaySeconds({ year: previous.getUTCFullYear(), month: previous.getUTCMonth() + 1, day: 1 }, zone);
  const won = leads.filter((lead) => lead.status_id === WON_STATUS_ID);
  const revenueBetween = (fromS: number, toS: number): number =>
    won.filter((lead) => typeof lead.closed_at === "number" && lead.closed_at >= fromS && lead.closed_at < toS).reduce((sum, lead) => sum + (lead.price || 0), 0);
  const thisMonth = revenueBetween(monthStartS, nowS + 1);
  const lastMonth = revenueBetween(lastMonthStartS, monthStartS);
  const names = namesById(embeddedList<Named>(pipelines, "pipelines"));
  const totals = new Map<number, { leads_count: number; revenue: number }>();
  for (const lead of leads) {
    const id = lead.pipeline_id as number;
    const total = totals.get(id) ?? { leads_count: 0, revenue: 0 };
    total.leads_count += 1;
    if (lead.status_id === WON_STATUS_ID) total.revenue += lead.price || 0;
    totals.set(id, total);
  }
  return {
    leads: {
      total: leads.length,
      new_today: leads.filter((lead) => (lead.created_at ?? 0) >= todayStartS).length,
      won_today: won.filter((lead) => (lead.closed_at ?? 0) >= todayStartS).length,
      lost_today: leads.filter((lead) => lead.status_id === LOST_STATUS_ID && (lead.closed_at ?? 0) >= todayStartS).length,
    },
    tasks: {
      total: tasks.length,
      completed_today: tasks.filter((task) => task.is_completed && (task.updated_at ?? 0) >= todayStartS).length,
      overdue: tasks.filter((task) => !task.is_completed && typeof task.complete_till === "number" && task.complete_till < nowS).length,
    },
    revenue: {
      this_month: thisMonth,
      last_month: lastMonth,
      growth_percentage: lastMonth > 0 ? ((thisMonth - lastMonth) / lastMonth) * 100 : 0,
    },
    top_pipelines: [...totals]
      .map(([id, total]) => ({ id, name: nameOf(names, id), ...total }))
      .sort((a, b) => b.revenue - a.revenue)
      .slice(0, 5),
  };
}

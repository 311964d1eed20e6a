/** Account and computed reports: get_account, get_sales_report, get_dashboard. */
import { computeDashboard } from "../report-dashboard.js";
import { computeSalesReport, defaultSalesPeriod } from "../report-sales.js";
import { textResult, type KommoToolDefinition } from "./tool.js";

export const getAccount: KommoToolDefinition = {
  name: "get_account",
  title: "Informações da conta",
  description: "Obter informações da conta Kommo",
  inputSchema: { type: "object", properties: {}, additionalProperties: false },
  write: false,
  handler: async (_args, { api }) => textResult(await api.getAccount()),
};

export const getSalesReport: KommoToolDefinition = {
  name: "get_sales_report",
  title: "Relatório de vendas",
  description: "Obter relatório de vendas do Kommo CRM",
  inputSchema: {
    type: "object",
    properties: {
      dateFrom: { type: "string", description: "Data inicial (YYYY-MM-DD)" },
      dateTo: { type: "string", description: "Data final (YYYY-MM-DD)" },
    },
    additionalProperties: false,
  },
  write: false,
  handler: async (args, { api, clock, timeZone }) => {
    const defaults = defaultSalesPeriod(clock);
    const dateFrom = (typeof args.dateFrom === "string" && args.dateFrom) || defaults.dateFrom;
    const dateTo = (typeof args.dateTo === "string" && args.dateTo) || defaults.dateTo;
    return textResult(await computeSalesReport(api, dateFrom, dateTo, timeZone));
  },
};

export const getDashboard: KommoToolDefinition = {
  name: "get_dashboard",
  title: "Dashboard",
  description: "Obter dados do dashboard do Kommo CRM",
  inputSchema: { type: "object", properties: {}, additionalProperties: false },
  write: false,
  handler: async (_args, { api, clock, timeZone }) => textResult(await computeDashboard(api, clock, timeZone)),
};

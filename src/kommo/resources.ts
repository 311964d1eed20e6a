/**
 * The 5 resources of the real server, each read with the same Kommo calls as its matching tool.
 * A failed read is a read error with one Portuguese text; the cause is not passed through.
 */
import type { Clock } from "../core/clock.js";
import { computeDashboard } from "./report-dashboard.js";
import { computeSalesReport, defaultSalesPeriod } from "./report-sales.js";
import type { KommoApi } from "./rest-client/kommo-api.js";

export interface KommoResourceDefinition {
  readonly uri: string;
  readonly name: string;
  readonly description: string;
  readonly mimeType: "application/json";
  readonly read: (context: { api: KommoApi; clock: Clock; timeZone: string | undefined }) => Promise<unknown>;
}

export const RESOURCE_READ_ERROR_TEXT = "Não foi possível carregar este resource do Kommo.";

export const KOMMO_RESOURCES: readonly KommoResourceDefinition[] = [
  {
    uri: "kommo://reports/sales",
    name: "Relatório de vendas",
    description: "Resumo de vendas do Kommo CRM",
    mimeType: "application/json",
    read: ({ api, clock, timeZone }) => {
      const { dateFrom, dateTo } = defaultSalesPeriod(clock);
      return computeSalesReport(api, dateFrom, dateTo, timeZone);
    },
  },
  {
    uri: "kommo://pipelines",
    name: "Pipelines",
    description: "Lista de pipelines de vendas",
    mimeType: "application/json",
    read: ({ api }) => api.getPipelines(),
  },
  {
    uri: "kommo://loss_reasons",
    name: "Motivos da perda de leads",
    description: "Lista de motivos da perda de leads (API 2026)",
    mimeType: "application/json",
    read: ({ api }) => api.getLossReasons(),
  },
  {
    uri: "kommo://dashboard",
    name: "Dashboard",
    description: "Dados do dashboard do Kommo CRM",
    mimeType: "application/json",
    read: ({ api, clock, timeZone }) => computeDashboard(api, clock, timeZone),
  },
  {
    uri: "kommo://account",
    name: "Conta",
    description: "Informações da conta Kommo",
    mimeType: "application/json",
    read: ({ api }) => api.getAccount(),
  },
];

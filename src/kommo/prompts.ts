/** The 4 prompts of the real server: fixed single user messages in Portuguese, no Kommo call. */

export interface KommoPromptDefinition {
  readonly name: string;
  readonly description: string;
  readonly arguments: ReadonlyArray<{ name: string; description: string; required: boolean }>;
  readonly text: string;
}

export const KOMMO_PROMPTS: readonly KommoPromptDefinition[] = [
  {
    name: "analisar_vendas_mes",
    description: "Analisar vendas do mês",
    arguments: [],
    text: "Quantas vendas tivemos este mês? Mostre valor total e ticket médio.",
  },
  {
    name: "resumo_leads_status",
    description: "Resumo de leads por status",
    arguments: [],
    text: "Mostre um resumo de leads por status.",
  },
  {
    name: "analise_pipeline",
    description: "Analisar performance de um pipeline",
    // Accepted and ignored, as in the real server.
    arguments: [{ name: "pipeline_id", description: "ID do pipeline", required: false }],
    text: "Analise a performance do pipeline de vendas, incluindo conversão e gargalos.",
  },
  {
    name: "motivos_perda",
    description: "Analisar motivos de perda de leads",
    arguments: [],
    text: "Liste os motivos de perda de leads e sugira ações para reduzir perdas.",
  },
];

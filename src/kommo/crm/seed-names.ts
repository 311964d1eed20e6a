/**
 * The fixed cast of the default CRM seed: people's and companies' names, cities and their phone
 * area codes, tags and the account's users. No randomness here; generate-seed.ts draws from these
 * lists with its fixed PRNG, so the generated seed stays byte-for-byte stable.
 */
import type { Tag, User } from "./entities.js";

export const FIRST_NAMES = ["Ana", "Bruno", "Camila", "Diego", "Eduarda", "Felipe", "Gabriela", "Henrique", "Isabela", "João", "Larissa", "Marcos", "Natália", "Otávio", "Patrícia", "Rafael", "Sofia", "Thiago", "Vanessa", "Wagner", "Beatriz", "Carlos", "Fernanda", "Gustavo", "Juliana", "Lucas", "Mariana", "Pedro", "Renata", "Tiago"];
export const LAST_NAMES = ["Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira", "Lima", "Gomes", "Costa", "Ribeiro", "Martins", "Carvalho", "Almeida", "Lopes", "Soares", "Fernandes", "Vieira", "Barbosa", "Rocha", "Dias", "Nascimento", "Andrade", "Moreira"];
export const COMPANY_KINDS = ["Padaria", "Transportes", "Construtora", "Clínica", "Tecnologia", "Agropecuária", "Distribuidora", "Academia", "Escola", "Restaurante", "Farmácia", "Imobiliária", "Contabilidade", "Metalúrgica", "Confecções"];
export const COMPANY_SUFFIXES = ["Ltda", "S.A.", "ME", "EIRELI", "Comércio Ltda"];
export const CITIES = ["São Paulo", "Rio de Janeiro", "Belo Horizonte", "Curitiba", "Porto Alegre", "Recife", "Salvador", "Fortaleza", "Campinas", "Florianópolis"];
export const DDD = [11, 21, 31, 41, 51, 81, 71, 85, 19, 48];
export const TAGS: Tag[] = [
  { id: 1, name: "quente", color: null },
  { id: 2, name: "indicação", color: null },
  { id: 3, name: "whatsapp", color: null },
  { id: 4, name: "instagram", color: null },
  { id: 5, name: "site", color: null },
  { id: 6, name: "recompra", color: null },
];

export const USERS: User[] = [
  ["Mariana Costa", "mariana.costa", true],
  ["Rafael Almeida", "rafael.almeida", false],
  ["Juliana Ribeiro", "juliana.ribeiro", false],
  ["Thiago Martins", "thiago.martins", false],
  ["Fernanda Lopes", "fernanda.lopes", false],
  ["Carlos Nascimento", "carlos.nascimento", false],
].map(([name, login, admin], i) => ({
  id: 8_100_001 + i,
  name: name as string,
  email: `${login as string}@solnascente.com.br`,
  lang: "pt" as const,
  rights: {
    leads: { view: "A", edit: "A", add: "A", delete: admin ? "A" : "D", export: admin ? "A" : "D" },
    contacts: { view: "A", edit: "A", add: "A", delete: admin ? "A" : "D", export: admin ? "A" : "D" },
    companies: { view: "A", edit: "A", add: "A", delete: admin ? "A" : "D", export: admin ? "A" : "D" },
    tasks: { edit: "A", delete: "A" },
    mail_access: true,
    catalog_access: Boolean(admin),
    status_rights: [],
    is_admin: Boolean(admin),
    is_free: false,
    is_active: true,
    group_id: null,
    role_id: null,
  },
}));

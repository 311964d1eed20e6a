export { CrmStore } from "./crm-store.js";
export type { BotRunFilter, LeadPatch, NewLead, NewNote, NewTask } from "./crm-inputs.js";
export { EffectLog } from "./effect-log.js";
export type { Effect, EffectFilter, EffectKind } from "./effect-log.js";
export * from "./entities.js";
export { DEFAULT_SEED_PATH, loadCrmSeedFile, loadDefaultSeed } from "./load-seed.js";
export { CrmSeedSchema, parseCrmSeed } from "./seed-schema.js";
export type { CrmSeed } from "./seed-schema.js";

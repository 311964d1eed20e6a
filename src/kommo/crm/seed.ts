/** Seed parsing and loading in one import (`parseCrmSeed`, `loadCrmSeedFile`, `loadDefaultSeed`). */
export { CrmSeedSchema, parseCrmSeed } from "./seed-schema.js";
export type { CrmSeed } from "./seed-schema.js";
export { DEFAULT_SEED_PATH, loadCrmSeedFile, loadDefaultSeed } from "./load-seed.js";

/** Reading CRM seeds from disk: the default fixture, or a `--seed FILE`. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../../core/package-root.js";
import { formatIssues, GatewayError, messageOf } from "../../core/errors.js";
import { parseCrmSeed } from "./seed-schema.js";
import type { CrmSeed } from "./seed-schema.js";

/** `fixtures/crm/seed.json` in this checkout. */
export const DEFAULT_SEED_PATH = join(packageRoot(import.meta.url), "fixtures", "crm", "seed.json");

let defaultSeed: CrmSeed | undefined;

/** Reads and validates a seed file; throws `GatewayError("CONFIG_INVALID")` listing every issue as `file: path: message`. */
export function loadCrmSeedFile(file: string): CrmSeed {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (cause) {
    throw new GatewayError("CONFIG_INVALID", `${file}: cannot read the seed file (${messageOf(cause)})`, { cause });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new GatewayError("CONFIG_INVALID", `${file}: (root): found invalid JSON (${messageOf(cause)}); expected a CRM seed object`, { cause });
  }
  const parsed = parseCrmSeed(value, file);
  if (!parsed.ok) throw new GatewayError("CONFIG_INVALID", formatIssues(file, parsed.issues));
  return parsed.value;
}

/** The committed default seed (parsed once per process; stores copy it, so sharing is safe). */
export function loadDefaultSeed(): CrmSeed {
  defaultSeed ??= loadCrmSeedFile(DEFAULT_SEED_PATH);
  return defaultSeed;
}

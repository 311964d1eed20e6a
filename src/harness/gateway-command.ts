/**
 * The command lines of an external run: the `--gateway-cmd` template with `{policy}`, `{upstream}`,
 * `{grant}` and `{audit}` filled in, and the `toolgate kommo-sim` child it puts in `{upstream}`,
 * started from the scenario's world spec.
 */
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { WorldSpec } from "./scenario-world.js";

/** This checkout's `bin/toolgate.mjs`. */
export const DEFAULT_TOOLGATE_BIN = resolve(dirname(fileURLToPath(import.meta.url)), "../../bin/toolgate.mjs");

/** POSIX single-quoting, understood by `splitCommand`. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

export function fillTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{(policy|upstream|grant|audit)\}/g, (_, key: string) => shellQuote(values[key] ?? ""));
}

/** `node toolgate.mjs kommo-sim …` over the seed file, writing what reached the CRM to the effects file. */
export function kommoSimCommand(kommo: WorldSpec["kommo"], files: { readonly seed: string; readonly effects: string }, toolgateBin = DEFAULT_TOOLGATE_BIN): string {
  const rps = kommo.rateLimitPerSecond;
  return [
    process.execPath,
    toolgateBin,
    "kommo-sim",
    "--seed",
    files.seed,
    "--effects-file",
    files.effects,
    ...(rps !== undefined ? ["--kommo-rps", String(rps)] : []),
    ...(kommo.schema ? ["--schema", kommo.schema] : []),
    ...(kommo.confirmWrites ? ["--confirm-writes"] : []),
  ]
    .map(shellQuote)
    .join(" ");
}

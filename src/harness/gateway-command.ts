/**
 * The command lines of an external run: the `--gateway-cmd` template with its placeholders filled
 * in, and the `toolgate kommo-sim` child it puts in `{upstream}`, started from the scenario's world
 * spec. A placeholder is quoted for where it stands: as its own word outside quotes, escaped for
 * the quotes around it inside `"…"` or `'…'` — so `--upstream-cmd "{upstream}"` and
 * `--upstream-cmd {upstream}` both pass the same one word.
 */
import { join } from "node:path";
import { packageRoot } from "../core/package-root.js";
import type { WorldSpec } from "./scenario-world.js";

/** This checkout's `bin/toolgate.mjs`. */
export const DEFAULT_TOOLGATE_BIN = join(packageRoot(import.meta.url), "bin", "toolgate.mjs");

/** Every placeholder a template may use; `settings` is filled with flags, unquoted. */
export const PLACEHOLDERS = ["policy", "upstream", "config", "grant", "audit", "port", "grants", "admin", "settings"] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

/** POSIX single-quoting, understood by `splitCommand`. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

function escapeFor(quote: "'" | '"' | undefined, value: string): string {
  switch (quote) {
    case undefined:
      return shellQuote(value);
    case '"':
      return value.replace(/["\\$`]/g, (c) => `\\${c}`);
    case "'":
      return value.replaceAll("'", `'\\''`);
  }
}

/** The template with each `{name}` filled for its quoting context (unknown `{…}` are left alone). */
export function fillTemplate(template: string, values: Partial<Record<Placeholder, string>>): string {
  let out = "";
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    const match = c === "{" ? /^\{([a-z]+)\}/.exec(template.slice(i)) : null;
    if (match && (PLACEHOLDERS as readonly string[]).includes(match[1]!)) {
      const name = match[1] as Placeholder;
      const value = values[name] ?? "";
      out += name === "settings" ? value : escapeFor(quote, value);
      i += match[0].length - 1;
      continue;
    }
    if (quote === undefined && (c === "'" || c === '"')) quote = c;
    else if (quote === c) quote = undefined;
    else if (quote === '"' && c === "\\") {
      out += c + (template[i + 1] ?? "");
      i++;
      continue;
    } else if (quote === undefined && c === "\\") {
      out += c + (template[i + 1] ?? "");
      i++;
      continue;
    }
    out += c;
  }
  return out;
}

export interface SimFiles {
  readonly seed: string;
  readonly effects: string;
  /** The harness's clock file (epoch ms); absent on the real clock. */
  readonly clock?: string;
}

/**
 * `env -u LD_PRELOAD [TOOLGATE_CLOCK_FILE=…] node toolgate.mjs kommo-sim …` over the seed file,
 * writing what reached the CRM to the effects file and serving its control routes on a free port
 * it appends to `restPortFile` (a gateway may start several: one per HTTP session).
 * The simulator keeps the harness's clock whatever the gateway's environment holds (libfaketime
 * is removed from it).
 */
export function kommoSimCommand(kommo: WorldSpec["kommo"], files: SimFiles, options: { readonly restPortFile?: string; readonly toolgateBin?: string } = {}): string {
  return kommoSimArgv(kommo, files, options).map(shellQuote).join(" ");
}

/** The words of `kommoSimCommand`, for a gateway config's `command` and `args`. */
export function kommoSimArgv(kommo: WorldSpec["kommo"], files: SimFiles, options: { readonly restPortFile?: string; readonly toolgateBin?: string } = {}): string[] {
  const rps = kommo.rateLimitPerSecond;
  return [
    "env",
    "-u",
    "LD_PRELOAD",
    ...(files.clock !== undefined ? [`TOOLGATE_CLOCK_FILE=${files.clock}`] : []),
    process.execPath,
    options.toolgateBin ?? DEFAULT_TOOLGATE_BIN,
    "kommo-sim",
    "--seed",
    files.seed,
    "--effects-file",
    files.effects,
    ...(options.restPortFile !== undefined ? ["--rest", "127.0.0.1:0", "--rest-port-file", options.restPortFile] : []),
    ...(rps !== undefined ? ["--kommo-rps", String(rps)] : []),
    ...(kommo.schema ? ["--schema", kommo.schema] : []),
    ...(kommo.confirmWrites ? ["--confirm-writes"] : []),
  ];
}

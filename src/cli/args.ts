/**
 * Strict flag parsing for every command: unknown flags, missing values and stray arguments are
 * usage errors (exit code 2) that say what was found and what was expected.
 */

export type FlagKind = "string" | "boolean" | "strings";

export interface FlagSpec {
  readonly kind: FlagKind;
  /** Number of values a `string`/`strings` flag takes (default 1), e.g. 2 for `--rest-tls CERT KEY`. */
  readonly arity?: number;
}

export type FlagSpecs = Record<string, FlagSpec>;

export interface ParsedArgs {
  readonly flags: Record<string, string | boolean | string[] | undefined>;
  readonly positionals: string[];
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export function parseArgs(argv: readonly string[], specs: FlagSpecs, options: { positionals?: boolean } = {}): ParsedArgs {
  const flags: ParsedArgs["flags"] = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("--")) {
      if (!options.positionals) throw new UsageError(`unexpected argument \`${arg}\``);
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    const spec = specs[name];
    if (!spec) {
      const known = Object.keys(specs).map((k) => `--${k}`).join(", ");
      throw new UsageError(`unknown flag \`--${name}\`; expected one of: ${known || "(none)"}`);
    }
    if (spec.kind === "boolean") {
      if (eq !== -1) throw new UsageError(`flag \`--${name}\` takes no value`);
      flags[name] = true;
      continue;
    }
    const arity = spec.arity ?? 1;
    const values: string[] = [];
    if (eq !== -1) values.push(arg.slice(eq + 1));
    while (values.length < arity) {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith("--") && next.length > 2)) {
        throw new UsageError(`flag \`--${name}\` expects ${arity === 1 ? "a value" : `${arity} values`}`);
      }
      values.push(next);
      i++;
    }
    const value = arity === 1 ? values[0]! : values.join("\u0000");
    if (spec.kind === "strings") {
      const list = (flags[name] as string[] | undefined) ?? [];
      list.push(value);
      flags[name] = list;
    } else {
      if (flags[name] !== undefined) throw new UsageError(`flag \`--${name}\` given twice`);
      flags[name] = value;
    }
  }
  return { flags, positionals };
}

/** `HOST:PORT` → parts; the host defaults to 127.0.0.1 when only a port is given. */
export function parseHostPort(value: string, flag: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(value) ?? /^()()(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !Number.isInteger(port) || port > 65535) {
    throw new UsageError(`flag \`--${flag}\`: expected HOST:PORT, found \`${value}\``);
  }
  return { host: m[1] || m[2] || "127.0.0.1", port };
}

export interface CommandIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly stdin: NodeJS.ReadableStream;
  readonly env: Record<string, string | undefined>;
  readonly cwd: string;
}

export type CommandRun = (argv: readonly string[], io: CommandIo) => Promise<number>;

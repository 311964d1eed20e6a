/**
 * `toolgate approvals list|approve ID|deny ID`: a human's side of approvals, against the loopback
 * admin API of a running `toolgate serve --admin-listen HOST:PORT`.
 *
 *   toolgate approvals list [--state STATE] [--json]
 *   toolgate approvals approve ID [--by NAME]
 *   toolgate approvals deny ID [--by NAME]
 *   common: [--admin-url URL] (else TOOLGATE_ADMIN_URL, else http://127.0.0.1:7410)
 *           [--admin-token-file FILE] (else TOOLGATE_ADMIN_TOKEN)
 *
 * Exit codes: 0 done, 1 the API refused or could not be reached (unknown id, already decided,
 * expired, bad token), 2 usage error.
 */
import { processClock } from "../core/clock.js";
import { AdminClient, ADMIN_URL_ENV, DEFAULT_ADMIN_URL, type AdminResult } from "../gateway/approvals/admin-client.js";
import { readAdminToken } from "../gateway/approvals/admin-token.js";
import type { ApprovalWire } from "../gateway/approvals/approval-wire.js";
import { parseArgs, UsageError, type CommandIo, type CommandRun, type FlagSpecs } from "./args.js";

const FLAGS: FlagSpecs = {
  "admin-url": { kind: "string" },
  "admin-token-file": { kind: "string" },
  state: { kind: "string" },
  json: { kind: "boolean" },
  by: { kind: "string" },
};

const USAGE = "expected `toolgate approvals list`, `toolgate approvals approve ID` or `toolgate approvals deny ID`";

export const run: CommandRun = async (argv, io) => {
  const { flags, positionals } = parseArgs(argv, FLAGS, { positionals: true });
  const [action, id, ...extra] = positionals;
  if (action === undefined) throw new UsageError(USAGE);
  if (action !== "list" && action !== "approve" && action !== "deny") throw new UsageError(`unknown action \`${action}\`; ${USAGE}`);
  if (action === "list" ? id !== undefined : id === undefined || extra.length > 0) {
    throw new UsageError(action === "list" ? `\`list\` takes no argument, found \`${id}\`` : `\`${action}\` takes exactly one approval id`);
  }
  if (action === "list" && flags.by !== undefined) throw new UsageError("flag `--by` applies to `approve` and `deny` only");
  if (action !== "list" && (flags.state !== undefined || flags.json !== undefined)) throw new UsageError("flags `--state` and `--json` apply to `list` only");
  const url = (flags["admin-url"] as string | undefined) ?? io.env[ADMIN_URL_ENV] ?? DEFAULT_ADMIN_URL;
  if (!/^https?:\/\//.test(url)) throw new UsageError(`flag \`--admin-url\`: expected an http URL such as ${DEFAULT_ADMIN_URL}, found \`${url}\``);
  const token = readAdminToken(flags["admin-token-file"] as string | undefined, io.env);
  if (!token.ok) throw new UsageError(token.message);
  const client = new AdminClient({ url, token: token.token, clock: processClock(io.env) });

  if (action === "list") {
    const result = await client.list(flags.state as string | undefined);
    if (!result.ok) return failed(io, result);
    if (flags.json === true) io.stdout.write(`${JSON.stringify({ approvals: result.value }, null, 2)}\n`);
    else io.stdout.write(formatList(result.value));
    return 0;
  }
  const by = (flags.by as string | undefined) ?? (io.env.USER ? `cli:${io.env.USER}` : "cli");
  const result = await client.decide(id!, action, by);
  if (!result.ok) return failed(io, result);
  io.stdout.write(`${action === "approve" ? "approved" : "denied"} ${result.value.id} (${result.value.tool} for grant ${result.value.grant}, expires ${result.value.expiresAt})\n`);
  return 0;
};

function failed(io: CommandIo, result: Extract<AdminResult<unknown>, { ok: false }>): number {
  const hint = result.status === 401 ? " (check --admin-token-file or TOOLGATE_ADMIN_TOKEN)" : "";
  io.stderr.write(`toolgate approvals: ${result.message}${hint}\n`);
  return 1;
}

function formatList(approvals: readonly ApprovalWire[]): string {
  if (approvals.length === 0) return "no approvals\n";
  const rows = [["ID", "STATE", "GRANT", "TOOL", "CREATED", "EXPIRES", "ARGS SHA-256"], ...approvals.map((a) => [a.id, a.state, a.grant, a.tool, a.createdAt, a.expiresAt, a.argsSha256.slice(0, 12)])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ")).join("\n") + "\n";
}

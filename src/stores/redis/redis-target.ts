/**
 * Where a Redis-backed store lives, parsed from the `--store` text:
 *
 * - `redis://[user:password@]HOST:PORT[/DB]` (or `rediss://`): one server;
 * - `redis-cluster://[user:password@]HOST:PORT,HOST:PORT,…`: a Redis Cluster, the listed nodes used
 *   only to discover the others (any one reachable node is enough);
 * - `redis-sentinel://[user:password@]HOST:PORT,HOST:PORT,…/MASTER[/DB]`: the primary that the
 *   Sentinels at those addresses name MASTER; the credentials are the data nodes', the Sentinels
 *   themselves are reached without a password.
 *
 * Each takes `?wait=N`: after every script, `WAIT N` in the same pipeline (one round trip), and a
 * call fails `store_unavailable` unless N replicas acknowledged the write. Default 1 for cluster
 * and Sentinel (deployments that fail over: an admission is only answered once it would survive
 * the promotion of a replica), 0 for `redis://`.
 */

export interface RedisNodeAddress {
  readonly host: string;
  readonly port: number;
}

export type RedisTarget =
  | { readonly mode: "standalone"; readonly url: string; readonly wait: number }
  | { readonly mode: "cluster"; readonly nodes: readonly RedisNodeAddress[]; readonly username?: string; readonly password?: string; readonly wait: number }
  | {
      readonly mode: "sentinel";
      readonly sentinels: readonly RedisNodeAddress[];
      readonly masterName: string;
      readonly db: number;
      readonly username?: string;
      readonly password?: string;
      readonly wait: number;
    };

export type ParsedRedisTarget = { readonly ok: true; readonly target: RedisTarget } | { readonly ok: false; readonly message: string };

export const REDIS_URL_FORMS = "`redis://HOST:PORT/DB`, `redis-cluster://HOST:PORT,HOST:PORT` or `redis-sentinel://HOST:PORT,HOST:PORT/MASTER`";

const MAX_WAIT_REPLICAS = 16;

/** Parses one `--store` Redis text; the message names what was found and what was expected. */
export function parseRedisTarget(text: string): ParsedRedisTarget {
  const shown = redactTarget(text);
  const m = /^([a-z-]+):\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/?]*)(\/[^?]*)?(?:\?(.*))?$/.exec(text);
  if (m === null) return fail(`expected \`memory\`, ${REDIS_URL_FORMS}, found \`${shown}\``);
  const [, scheme, user, password, hostList, path = "", query] = m;
  const credentials = { ...(user ? { username: decodeURIComponent(user) } : {}), ...(password !== undefined ? { password: decodeURIComponent(password) } : {}) };
  const options = parseQuery(query, shown, scheme === "redis-cluster" || scheme === "redis-sentinel" ? 1 : 0);
  if (!options.ok) return options;
  const wait = options.wait;
  switch (scheme) {
    case "redis":
    case "rediss": {
      if (!/^[^,\s]+:\d+$/.test(hostList!) && !/^[^,:\s]+$/.test(hostList!)) return fail(`\`${shown}\`: expected one HOST:PORT after \`${scheme}://\`, found \`${hostList}\``);
      if (!/^(\/\d+)?$/.test(path)) return fail(`\`${shown}\`: expected \`/DB\` (a database number) after the address, found \`${path}\``);
      const url = query === undefined ? text : text.slice(0, text.indexOf("?"));
      return { ok: true, target: { mode: "standalone", url, wait } };
    }
    case "redis-cluster": {
      const nodes = parseNodes(hostList!, shown);
      if (!nodes.ok) return nodes;
      if (path !== "" && path !== "/") return fail(`\`${shown}\`: a cluster has no database number or path (cluster mode uses database 0), found \`${path}\``);
      return { ok: true, target: { mode: "cluster", nodes: nodes.nodes, ...credentials, wait } };
    }
    case "redis-sentinel": {
      const nodes = parseNodes(hostList!, shown);
      if (!nodes.ok) return nodes;
      const pm = /^\/([A-Za-z0-9._-]+)(?:\/(\d+))?$/.exec(path);
      if (pm === null) return fail(`\`${shown}\`: expected \`/MASTER\` or \`/MASTER/DB\` after the Sentinel addresses (the name the Sentinels monitor), found \`${path || "nothing"}\``);
      return { ok: true, target: { mode: "sentinel", sentinels: nodes.nodes, masterName: pm[1]!, db: Number(pm[2] ?? 0), ...credentials, wait } };
    }
    default:
      return fail(`expected \`memory\`, ${REDIS_URL_FORMS}, found the scheme \`${scheme}://\` in \`${shown}\``);
  }
}

/** The text for messages and logs: any password replaced by `***`. */
export function redactTarget(text: string): string {
  return text.replace(/^([a-z-]+:\/\/[^:@/]*):[^@/]*@/, "$1:***@");
}

/** A short description of the target without secrets, e.g. `redis-cluster://127.0.0.1:7000,127.0.0.1:7001`. */
export function describeTarget(target: RedisTarget): string {
  const list = (nodes: readonly RedisNodeAddress[]): string => nodes.map((n) => `${n.host}:${n.port}`).join(",");
  switch (target.mode) {
    case "standalone":
      return redactTarget(target.url);
    case "cluster":
      return `redis-cluster://${list(target.nodes)}`;
    case "sentinel":
      return `redis-sentinel://${list(target.sentinels)}/${target.masterName}/${target.db}`;
  }
}

function parseNodes(hostList: string, shown: string): { ok: true; nodes: RedisNodeAddress[] } | { ok: false; message: string } {
  if (hostList === "") return fail(`\`${shown}\`: expected at least one HOST:PORT, found none`);
  const nodes: RedisNodeAddress[] = [];
  for (const item of hostList.split(",")) {
    const nm = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/.exec(item);
    const port = nm === null ? Number.NaN : Number(nm[2]);
    if (nm === null || !(port >= 1 && port <= 65_535)) return fail(`\`${shown}\`: expected HOST:PORT with a port from 1 to 65535, found \`${item}\``);
    nodes.push({ host: nm[1]!.replace(/^\[|\]$/g, ""), port });
  }
  return { ok: true, nodes };
}

function parseQuery(query: string | undefined, shown: string, defaultWait: number): { ok: true; wait: number } | { ok: false; message: string } {
  let wait = defaultWait;
  if (query === undefined || query === "") return { ok: true, wait };
  for (const pair of query.split("&")) {
    const [name, value = ""] = pair.split("=", 2) as [string, string?];
    if (name !== "wait") return fail(`\`${shown}\`: unknown option \`${name}\`; expected \`wait=N\` (replicas that must acknowledge each write)`);
    if (!/^\d+$/.test(value) || Number(value) > MAX_WAIT_REPLICAS) return fail(`\`${shown}\`: option \`wait\`: expected a whole number of replicas from 0 to ${MAX_WAIT_REPLICAS}, found \`${value}\``);
    wait = Number(value);
  }
  return { ok: true, wait };
}

function fail(message: string): { ok: false; message: string } {
  return { ok: false, message };
}

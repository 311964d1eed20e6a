/**
 * What the end checks (`expect` at the top of a scenario) look at: what really reached the CRM
 * (Salesbot stops and runs, Kommo requests answered 2xx), the audit, the approvals. In process they
 * come from the world; against an external gateway from the `kommo-sim --effects-file` and the
 * gateway's `--audit` file (sim-effects-file.ts describes the lines).
 */
import { readFileSync } from "node:fs";
import { pathMatches } from "../kommo/rest-api/request-log.js";
import type { EndFacts } from "./expectations.js";
import type { ScenarioWorld } from "./scenario-world.js";

interface AnsweredRequest {
  readonly method: string;
  readonly path: string;
  readonly status: number;
}

/** How many requests matching `METHOD /path` (`:param` matches one segment) were answered 2xx. */
export function answered2xx(requests: readonly AnsweredRequest[], route: string): number {
  const [method, path] = route.split(" ");
  return requests.filter((r) => (method === "*" || r.method === method) && pathMatches(path!, r.path) && r.status >= 200 && r.status < 300).length;
}

export async function worldEndFacts(world: ScenarioWorld): Promise<EndFacts> {
  const { fake } = world;
  return {
    stops: fake.effects.stops(),
    runs: fake.effects.runs().length,
    requests: (route) => answered2xx(fake.requests.all(), route),
    audit: world.audit,
    approvalLines: world.approvalLines,
    approvals: await world.approvals.list(),
  };
}

export type JsonLine = Record<string, unknown>;

/** The end facts from an effects file's lines and, when the gateway wrote one, its audit file's lines. */
export function fileEndFacts(effectLines: readonly JsonLine[], auditLines: readonly JsonLine[] | undefined): EndFacts {
  const effects = effectLines.filter((l) => l.kind === "effect");
  const requests = effectLines
    .filter((l) => l.kind === "request")
    .map((l) => ({ method: String(l.method), path: String(l.path), status: Number(l.status) }));
  return {
    stops: effects.filter((l) => l.effect === "stop").map((l) => ({ botId: Number(l.botId), entityId: Number(l.entityId), entityType: String(l.entityType) })),
    runs: effects.filter((l) => l.effect === "run").length,
    requests: (route) => answered2xx(requests, route),
    audit: auditLines
      ?.filter((r) => r.event === undefined)
      .map((r) => ({ decision: String(r.decision), code: (r.code as string | null) ?? null, ...(Array.isArray(r.wouldDeny) ? { wouldDeny: r.wouldDeny as { code: string; rule: string }[] } : {}) })),
    ...(auditLines ? { approvalLines: auditLines.filter((r) => r.event === "approval").map((r) => ({ step: String(r.step) })) } : {}),
  };
}

/** A JSON-lines file's records; none when the file is missing. */
export function readJsonLines(file: string): JsonLine[] {
  let text = "";
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as JsonLine);
}

/**
 * What the agent cannot see, checked from outside: the calls that reached the simulator (its
 * `kind: "call"` effects lines) against the answers the agents got, by tool and arguments. A call
 * answered "denied" that still reached Kommo is a failure whatever the scenario expects; so is a
 * call answered "allowed" that never reached it (an answer made up by the gateway).
 */
import { canonicalJson } from "../core/canonical-json.js";
import { sha256Hex } from "../core/sha256.js";
import type { CallOutcome } from "./result.js";
import type { JsonLine } from "./end-facts.js";

export interface AnswerFact {
  readonly tool: string;
  readonly argsSha256: string;
  readonly outcome: CallOutcome;
  readonly code?: string | undefined;
}

export function argsDigest(args: unknown): string {
  return sha256Hex(canonicalJson(args ?? {}));
}

export function answersVsEffects(answers: readonly AnswerFact[], effectLines: readonly JsonLine[]): string[] {
  const key = (tool: string, digest: string): string => `${tool}\u0000${digest}`;
  const reached = new Map<string, number>();
  for (const line of effectLines) if (line.kind === "call") reached.set(key(String(line.tool), String(line.argsSha256)), (reached.get(key(String(line.tool), String(line.argsSha256))) ?? 0) + 1);
  const groups = new Map<string, AnswerFact[]>();
  for (const a of answers) groups.set(key(a.tool, a.argsSha256), [...(groups.get(key(a.tool, a.argsSha256)) ?? []), a]);
  const lines: string[] = [];
  for (const [k, group] of groups) {
    const tool = group[0]!.tool;
    const got = reached.get(k) ?? 0;
    const denied = group.filter((a) => a.outcome === "deny");
    const mayRun = group.length - denied.length;
    const allowed = group.filter((a) => a.outcome === "allow").length;
    if (got > mayRun) {
      const codes = [...new Set(denied.map((a) => a.code ?? "(no code)"))].join(", ");
      lines.push(`answered denied but reached Kommo: ${got - mayRun} of ${denied.length} calls of \`${tool}\` answered denied (${codes}) reached the simulator anyway (it received ${got}, only ${mayRun} were answered allowed or failed)`);
    }
    if (allowed > got) lines.push(`answered allowed but never reached Kommo: ${allowed} calls of \`${tool}\` were answered allowed, the simulator received ${got}`);
  }
  return lines;
}

/**
 * `toolgate validate FILE… [--policy FILE]`: checks every file a user writes, each recognised by its content and
 * checked with its own schema: a policy (`version` + `default`), a grants file (`grants`, or `oauth` with
 * `claimGrants`), a
 * scenario (`agents`), a gateway config (`servers`), a recording (JSON lines, as `serve --record` writes them). Every problem of
 * every file is printed on stderr as `file: path: message`; each valid file gets `file: ok (…)` on
 * stdout. Exit 0 when all are valid, 1 when any is invalid, 2 on usage errors (no file, unreadable file).
 */
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { formatIssues, messageOf } from "../core/errors.js";
import { parseJsonText } from "../core/json-text.js";
import { formatGrantsIssues, loadGrantsText } from "../gateway/grants.js";
import { formatConfigIssues, loadStackConfigText } from "../gateway/stack/stack-config.js";
import { loadStackGrants } from "../gateway/stack/stack-grants.js";
import { loadScenarioFile } from "../harness/load-scenario.js";
import { readRecordedCalls } from "../harness/replay/recording-file.js";
import { parsePolicyText, type CompiledPolicy } from "../policy/load-policy.js";
import { parseArgs, UsageError, type CommandIo } from "./args.js";

/** What a file is, from its content (the same guess a reader would make). */
export type FileKind = "policy" | "grants" | "stack-grants" | "scenario" | "recording" | "config";

export function recognise(text: string): FileKind {
  const json = parseJsonText(text);
  if (!json.ok) {
    // Several JSON values one per line: a recording.
    const lines = text.split("\n").filter((l) => l.trim() !== "");
    if (lines.length > 1 && lines.every((l) => l.trim().startsWith("{"))) return "recording";
    return "policy";
  }
  const value = json.value;
  if (value === null || typeof value !== "object" || Array.isArray(value)) return "policy";
  const keys = new Set(Object.keys(value));
  if (keys.has("agents")) return "scenario";
  if (keys.has("servers") && !keys.has("tools")) return "config";
  const grants = (value as { grants?: unknown }).grants;
  // A stack's grants name servers or per-server policies, which a single-server grant cannot.
  if (Array.isArray(grants) && grants.some((g) => g !== null && typeof g === "object" && ("servers" in g || "policies" in g))) return "stack-grants";
  if ((keys.has("grants") || keys.has("claimGrants") || keys.has("oauth")) && !keys.has("tools")) return "grants";
  if (keys.has("decisionId") && keys.has("method")) return "recording";
  return "policy";
}

export async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const { positionals: files, flags } = parseArgs(argv, { policy: { kind: "string" } }, { positionals: true });
  // `--policy FILE`: the policy of grants that name none (as `serve --policy` gives them).
  const defaultPolicy = flags.policy === undefined ? undefined : resolve(io.cwd, flags.policy as string);
  if (files.length === 0) throw new UsageError("expected at least one file: toolgate validate FILE… (policies, grants files, scenarios, recordings)");
  const texts: string[] = [];
  for (const file of files) {
    try {
      texts.push(await readFile(resolve(io.cwd, file), "utf8"));
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : messageOf(error);
      throw new UsageError(`cannot read \`${file}\`: ${reason}`);
    }
  }
  let invalid = 0;
  files.forEach((file, i) => {
    const problems = check(file, resolve(io.cwd, file), texts[i]!, defaultPolicy);
    if (problems.ok) io.stdout.write(`${file}: ok (${problems.summary})\n`);
    else {
      invalid++;
      io.stderr.write(`${problems.text}\n`);
    }
  });
  return invalid === 0 ? 0 : 1;
}

type Checked = { readonly ok: true; readonly summary: string } | { readonly ok: false; readonly text: string };

function check(shown: string, path: string, text: string, defaultPolicy: string | undefined): Checked {
  const kind = recognise(text);
  switch (kind) {
    case "policy": {
      const parsed = parsePolicyText(text);
      return parsed.ok ? { ok: true, summary: policySummary(parsed.value) } : { ok: false, text: formatIssues(shown, parsed.issues) };
    }
    case "grants": {
      // Policy paths in a grants file are relative to it; the named policies are checked too.
      const loaded = loadGrantsText(text, path, defaultPolicy);
      if (!loaded.ok) return { ok: false, text: formatGrantsIssues(loaded.issues).replaceAll(path, shown) };
      const rules = loaded.identity?.rules.length ?? 0;
      const claimRules = loaded.identity === undefined ? "" : `, ${rules} claim grant rule${rules === 1 ? "" : "s"}, ${loaded.identity.oauth.issuers.length} issuer${loaded.identity.oauth.issuers.length === 1 ? "" : "s"}`;
      return { ok: true, summary: `grants file, ${loaded.value.length} grant${loaded.value.length === 1 ? "" : "s"}${claimRules}` };
    }
    case "stack-grants": {
      // Alone, the servers it names cannot be checked against a config: every name it uses is taken.
      const entries = (JSON.parse(text) as { grants: Array<{ servers?: unknown; policies?: unknown }> }).grants;
      const names = [...new Set(entries.flatMap((g) => [...(Array.isArray(g?.servers) ? g.servers.map(String) : []), ...(g?.policies !== null && typeof g?.policies === "object" ? Object.keys(g.policies) : [])]))];
      const absolute = resolve(path);
      const loaded = loadStackGrants(absolute, absolute, names, (file) => readFileSync(file, "utf8"));
      if (!loaded.ok) return { ok: false, text: formatConfigIssues(loaded.issues.map((i) => ({ ...i, file: i.file === absolute ? shown : i.file }))) };
      return { ok: true, summary: `a stack's grants file, ${loaded.grants.length} grant${loaded.grants.length === 1 ? "" : "s"} (their server names are checked with the gateway config that names it)` };
    }
    case "scenario": {
      const loaded = loadScenarioFile(path);
      if (!loaded.ok) return { ok: false, text: formatIssues(shown, loaded.issues) };
      const agents = loaded.value.scenario.agents.length;
      return { ok: true, summary: `scenario, ${agents} agent${agents === 1 ? "" : "s"}` };
    }
    case "config": {
      // A gateway config names each server's policy relative to itself; those are checked too.
      const loaded = loadStackConfigText(text, path);
      if (!loaded.ok) return { ok: false, text: formatConfigIssues(loaded.issues).replaceAll(path, shown) };
      const servers = loaded.value.servers.length;
      const grants = loaded.value.grants === undefined ? "" : `, ${loaded.value.grants.length} grant${loaded.value.grants.length === 1 ? "" : "s"}`;
      return { ok: true, summary: `gateway config, ${servers} server${servers === 1 ? "" : "s"} (${loaded.value.servers.map((s) => s.name).join(", ")}), ${loaded.value.stackLimits.length} stack limit${loaded.value.stackLimits.length === 1 ? "" : "s"}${grants}` };
    }
    case "recording": {
      const problems: string[] = [];
      let calls = 0;
      for (const _call of readRecordedCalls([path], problems)) calls++;
      if (problems.length > 0) return { ok: false, text: problems.map((p) => p.replace(path, shown)).join("\n") };
      return { ok: true, summary: `recording, ${calls} call${calls === 1 ? "" : "s"}` };
    }
  }
}

function policySummary(policy: CompiledPolicy): string {
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;
  const rules = [...policy.tools.values(), ...policy.resources.values(), ...policy.resourceTemplates.map((t) => t.rule), ...policy.prompts.values(), ...policy.methods.values()];
  const limits = policy.allToolsLimits.length + rules.reduce((n, r) => n + r.limits.length, 0);
  const resources = policy.resources.size + policy.resourceTemplates.length;
  const beyondTools = [resources > 0 ? plural(resources, "resource") : "", policy.prompts.size > 0 ? plural(policy.prompts.size, "prompt") : "", policy.methods.size > 0 ? plural(policy.methods.size, "method") : ""].filter((x) => x !== "");
  const hidden = policy.hideAll ? "all tools hidden" : `${policy.hidden.size} hidden`;
  return [plural(policy.tools.size, "tool"), ...beyondTools, plural(limits, "limit"), hidden, `default ${policy.defaultDecision}`, `version ${policy.version}`].join(", ");
}

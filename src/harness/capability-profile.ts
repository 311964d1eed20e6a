/**
 * What the gateway under test declares it supports (`--profile FILE`), and how the harness reaches
 * each part of it:
 *
 *   {"version": "1",
 *    "capabilities": ["stdio", "http", "approvals", "shadow", "reload", "audit"],
 *    "settings": {"shadow": "--shadow", "upstreamTimeoutMs": "--upstream-timeout-ms {value}", …}}
 *
 * `settings` says how a scenario's `gateway` settings become flags: the `{settings}` placeholder of
 * the template is filled with the flags of the settings the scenario sets. A scenario step is
 * skipped only for a capability (or setting) the profile does not declare; a declared capability
 * whose steps are still skipped fails the run. Without a profile the harness declares what the
 * template and flags show: `stdio` or `http` (`{port}`), `audit` (`{audit}`), `approvals` (`{admin}`
 * or `--approve-cmd`), `reload` (`--reload-cmd`), `stack` (`{config}`).
 *
 * `stack` runs scenarios with `servers`: their template is the profile's `stackTemplate`, or the
 * `--gateway-cmd` template when it has `{config}` (a gateway config the harness writes).
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { messageOf, type Issue } from "../core/errors.js";
import { parseJsonText } from "../core/json-text.js";
import { issuesFromZod } from "../core/schema-issues.js";
import { DEFAULT_TOOLGATE_BIN, shellQuote } from "./gateway-command.js";

export const CAPABILITIES = ["stdio", "http", "approvals", "shadow", "reload", "audit", "stack"] as const;
export type Capability = (typeof CAPABILITIES)[number];

export const GATEWAY_SETTINGS = ["upstreamTimeoutMs", "maxMessageBytes", "approvalMode", "approvalTimeoutMs", "shadow"] as const;
export type GatewaySettingName = (typeof GATEWAY_SETTINGS)[number];

const ProfileSchema = z.strictObject({
  version: z.literal("1"),
  capabilities: z.array(z.enum(CAPABILITIES)),
  settings: z.partialRecord(z.enum(GATEWAY_SETTINGS), z.string().min(1, "expected a flag template such as `--upstream-timeout-ms {value}`")).optional(),
  /** `stack`: the command template for scenarios with `servers`, with `{config}` (a generated gateway config). */
  stackTemplate: z.string().regex(/\{config\}/, "expected a command template containing `{config}`").optional(),
});

export interface CapabilityProfile {
  readonly capabilities: ReadonlySet<Capability>;
  readonly settings: Partial<Record<GatewaySettingName, string>>;
  /** The template for scenarios with `servers` (`{config}`); default the `--gateway-cmd` template when it has `{config}`. */
  readonly stackTemplate?: string;
  /** Where the profile came from (`--profile FILE`, or `inferred from the template`). */
  readonly source: string;
}

/** The profile toolgate itself declares (`--profile toolgate`). */
export const TOOLGATE_PROFILE: CapabilityProfile = {
  capabilities: new Set(CAPABILITIES),
  settings: {
    shadow: "--shadow",
    upstreamTimeoutMs: "--upstream-timeout-ms {value}",
    maxMessageBytes: "--max-message-bytes {value}",
    approvalMode: "--approval-mode {value}",
    approvalTimeoutMs: "--approval-timeout-ms {value}",
  },
  // Over stdio; `serve --config` over HTTP would be `… --grants {grants} --listen 127.0.0.1:{port} …` here.
  stackTemplate: `${shellQuote(process.execPath)} ${shellQuote(DEFAULT_TOOLGATE_BIN)} serve --config {config} --grant {grant} --audit {audit} --admin-listen {admin} {settings}`,
  source: "the built-in `toolgate` profile",
};

export function parseProfileText(text: string, file: string): { ok: true; value: CapabilityProfile } | { ok: false; issues: Issue[] } {
  const json = parseJsonText(text);
  if (!json.ok) return { ok: false, issues: [...json.issues] };
  const parsed = ProfileSchema.safeParse(json.value);
  if (!parsed.success) return { ok: false, issues: issuesFromZod(parsed.error.issues) };
  const { stackTemplate } = parsed.data;
  return { ok: true, value: { capabilities: new Set(parsed.data.capabilities), settings: parsed.data.settings ?? {}, ...(stackTemplate !== undefined ? { stackTemplate } : {}), source: file } };
}

/** `--profile toolgate` or a profile file; a message naming the file and path when it is bad. */
export function loadProfile(nameOrFile: string): { ok: true; value: CapabilityProfile } | { ok: false; message: string } {
  if (nameOrFile === "toolgate") return { ok: true, value: TOOLGATE_PROFILE };
  let text: string;
  try {
    text = readFileSync(nameOrFile, "utf8");
  } catch (error) {
    return { ok: false, message: `${nameOrFile}: cannot read the capability profile: ${messageOf(error)}` };
  }
  const parsed = parseProfileText(text, nameOrFile);
  if (parsed.ok) return parsed;
  return { ok: false, message: parsed.issues.map((i) => `${nameOrFile}: ${i.path === "" ? "(root)" : i.path}: ${i.message}`).join("\n") };
}

export interface InferenceHints {
  readonly template: string;
  readonly approveCmd?: string | undefined;
  readonly reloadCmd?: string | undefined;
}

/** What the template and the flags show, when no profile is given. */
export function inferredProfile({ template, approveCmd, reloadCmd }: InferenceHints): CapabilityProfile {
  const caps = new Set<Capability>([template.includes("{port}") ? "http" : "stdio"]);
  if (template.includes("{audit}")) caps.add("audit");
  if (template.includes("{admin}") || approveCmd !== undefined) caps.add("approvals");
  if (reloadCmd !== undefined) caps.add("reload");
  if (template.includes("{config}")) caps.add("stack");
  return { capabilities: caps, settings: {}, source: "inferred from the template and flags" };
}

/** The `{settings}` flags for a scenario's gateway settings, or the settings the profile cannot express. */
export function settingsFlags(profile: CapabilityProfile, settings: Partial<Record<GatewaySettingName, unknown>>): { ok: true; flags: string } | { ok: false; missing: GatewaySettingName[] } {
  const flags: string[] = [];
  const missing: GatewaySettingName[] = [];
  for (const name of GATEWAY_SETTINGS) {
    const value = settings[name];
    if (value === undefined || value === false) continue;
    const template = profile.settings[name];
    if (template === undefined) missing.push(name);
    else flags.push(template.replaceAll("{value}", String(value)));
  }
  return missing.length > 0 ? { ok: false, missing } : { ok: true, flags: flags.join(" ") };
}

/** The web console of `toolgate serve`, mounted on the admin listener when `--admin-listen` is given. */
import type { Clock } from "../../core/clock.js";
import type { ServeApprovals } from "../../gateway/approvals/serve-approvals.js";
import type { ActivityHub } from "../../gateway/console/activity-hub.js";
import type { AuditLine } from "../../gateway/audit-log.js";
import type { ConsoleServer } from "../../gateway/console/console-api.js";
import { createConsole } from "../../gateway/console/console.js";
import { PolicyEditor } from "../../gateway/console/policy-editor.js";
import { probeUpstream } from "../../gateway/console/upstream-probe.js";
import type { PolicySource } from "../../gateway/policy-source.js";
import type { PolicySetWatcher, WatchedPolicyFile } from "../../gateway/reload.js";
import type { CommandIo } from "../args.js";
import type { ServeConfig } from "./serve-config.js";
import { openUpstream, upstreamLabel } from "./serve-shared.js";
import { keyMatcher, parseRedactList, redactArguments, type RecordingInput, type RecordingWriter } from "../../gateway/recording.js";

/** Keys whose values the console never shows, on top of `--record-redact`. */
export const CONSOLE_REDACT = "token,*token,password,*password,secret,*secret,*_key,authorization,cookie";
/** Longer strings are cut in the console's view. */
const CONSOLE_MAX_VALUE_CHARS = 200;

/**
 * The audit sink: the audit file and the console's activity. Undefined when neither is on, so the
 * gateway builds no audit record that nothing reads.
 */
export function auditSink(config: ServeConfig, hub: ActivityHub, file: { write(line: AuditLine): void } | undefined): ((line: AuditLine) => void) | undefined {
  if (config.admin === undefined) return file === undefined ? undefined : (line) => file.write(line);
  return (line) => {
    file?.write(line);
    hub.publish(line);
  };
}

/**
 * The gateway's `record` hook: the `--record` file's writer and, with `--console-show-args`, the
 * argument values of calls that asked for an approval (redacted and cut) for the console's queue.
 */
export function recordHook(config: ServeConfig, hub: ActivityHub, recording: RecordingWriter | undefined): ((input: RecordingInput) => void) | undefined {
  if (!config.consoleShowArgs) return recording?.write;
  const redact = keyMatcher([...parseRedactList(CONSOLE_REDACT), ...(config.recording?.redact ?? [])]);
  return (input) => {
    recording?.write(input);
    const approvalId = input.audit.approvalId;
    if (approvalId !== undefined && input.audit.code === "approval_required") hub.rememberArgs(approvalId, redactArguments(input.args, redact, CONSOLE_MAX_VALUE_CHARS).args);
  };
}

export interface ConsoleParts {
  readonly approvals: ServeApprovals;
  /** The upstream servers as the console shows them; default: the one upstream of `--upstream-cmd|url`. */
  readonly servers?: readonly ConsoleServer[];
  readonly hub: ActivityHub;
  readonly policies: PolicySource;
  readonly grants: () => readonly string[];
  readonly sources: readonly WatchedPolicyFile[];
  readonly watcher: PolicySetWatcher;
}

/** The one upstream of a single-server gateway, named by its command line or URL origin. */
function singleServer(config: ServeConfig, io: CommandIo, clock: Clock): ConsoleServer {
  const label = config.upstream.kind === "cmd" ? [config.upstream.command, ...config.upstream.args].join(" ") : upstreamLabel(config);
  return { name: "", label, probe: () => probeUpstream(() => openUpstream(config, io), clock) };
}

export function mountConsole(config: ServeConfig, io: CommandIo, clock: Clock, parts: ConsoleParts): void {
  const { approvals } = parts;
  if (approvals.admin === undefined || config.admin === undefined) return;
  const editor = new PolicyEditor(
    parts.sources.map((s) => ({ file: s.file, grantIds: s.grantIds })),
    (file) => parts.watcher.reloadFile(file),
  );
  approvals.admin.mount(
    createConsole(
      {
        clock,
        gate: approvals.gate,
        hub: parts.hub,
        counters: approvals.counters,
        policies: parts.policies,
        grants: parts.grants,
        servers: parts.servers ?? [singleServer(config, io, clock)],
        editor,
        showArgs: config.consoleShowArgs,
      },
      config.admin.token,
    ),
  );
}

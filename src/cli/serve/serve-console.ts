/** The web console of `toolgate serve`, mounted on the admin listener when `--admin-listen` is given. */
import type { Clock } from "../../core/clock.js";
import type { ServeApprovals } from "../../gateway/approvals/serve-approvals.js";
import type { ActivityHub } from "../../gateway/console/activity-hub.js";
import { createConsole } from "../../gateway/console/console.js";
import { PolicyEditor } from "../../gateway/console/policy-editor.js";
import { probeUpstream } from "../../gateway/console/upstream-probe.js";
import type { PolicySource } from "../../gateway/policy-source.js";
import type { PolicySetWatcher, WatchedPolicyFile } from "../../gateway/reload.js";
import type { CommandIo } from "../args.js";
import type { ServeConfig } from "./serve-config.js";
import { openUpstream, upstreamLabel } from "./serve-shared.js";

export interface ConsoleParts {
  readonly approvals: ServeApprovals;
  readonly hub: ActivityHub;
  readonly policies: PolicySource;
  readonly grants: () => readonly string[];
  readonly sources: readonly WatchedPolicyFile[];
  readonly watcher: PolicySetWatcher;
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
        server: { name: config.upstream.kind === "cmd" ? [config.upstream.command, ...config.upstream.args].join(" ") : upstreamLabel(config), probe: () => probeUpstream(() => openUpstream(config, io), clock) },
        editor,
      },
      config.admin.token,
    ),
  );
}

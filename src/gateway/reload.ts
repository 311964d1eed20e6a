/**
 * Hot reload of the policy file (docs/architecture.md#grants-approvals-and-audit): on a change to the file (fs.watch on its directory,
 * so editors that write a new file and rename it over the old one are seen too) and on demand
 * (`reload()`, e.g. on SIGHUP). Changes are debounced on the clock; reloads run one at a time.
 * A valid file with a new version is handed to `onPolicy` (which applies it to every gateway:
 * counters live in the store and are kept, calls being decided finish on the policy they started
 * with); a file with the same version changes nothing; an invalid or unreadable file goes to
 * `onInvalid` with every issue (file, JSON path, message) and the old policy stays.
 */
import { watch, type FSWatcher } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, dirname, resolve } from "node:path";
import { systemClock, type Clock, type TimerHandle } from "../core/clock.js";
import { formatIssues, messageOf, type Issue } from "../core/errors.js";
import { parsePolicyText, type CompiledPolicy } from "../policy/load-policy.js";

export const DEFAULT_RELOAD_DEBOUNCE_MS = 150;

export interface InvalidPolicy {
  readonly file: string;
  readonly issues: readonly Issue[];
  /** `file: path: message` lines, one per issue (what `toolgate validate` prints). */
  readonly message: string;
}

/** What started a reload: a change seen on the file, or a call to `reload()` (SIGHUP). */
export type ReloadTrigger = "watch" | "request";

export type ReloadResult =
  | { readonly kind: "applied"; readonly policy: CompiledPolicy; readonly previousVersion: string | undefined }
  | { readonly kind: "unchanged"; readonly version: string }
  | { readonly kind: "invalid"; readonly invalid: InvalidPolicy };

export interface PolicyWatchOptions {
  readonly onPolicy: (policy: CompiledPolicy, trigger: ReloadTrigger) => void;
  readonly onInvalid: (invalid: InvalidPolicy, trigger: ReloadTrigger) => void;
  readonly clock?: Clock;
  readonly debounceMs?: number;
  /** The version already in force (a reload of the same content then changes nothing). */
  readonly currentVersion?: string;
  /** Watch errors (the directory went away, too many watches); the watcher keeps serving `reload()`. */
  readonly log?: (line: object) => void;
}

export interface PolicyWatcher {
  /** Reads and applies the file now (after any reload already running). */
  reload(): Promise<ReloadResult>;
  /** Stops watching; pending debounced reloads are dropped. */
  close(): void;
}

export function watchPolicyFile(path: string, options: PolicyWatchOptions): PolicyWatcher {
  const file = resolve(path);
  const name = basename(file);
  const clock = options.clock ?? systemClock;
  const debounceMs = options.debounceMs ?? DEFAULT_RELOAD_DEBOUNCE_MS;
  let currentVersion = options.currentVersion;
  let timer: TimerHandle | undefined;
  let chain: Promise<unknown> = Promise.resolve();
  let closed = false;

  const load = async (trigger: ReloadTrigger): Promise<ReloadResult> => {
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      return rejected([{ path: "", message: `cannot read the policy file: ${messageOf(error)}` }], trigger);
    }
    const parsed = parsePolicyText(text);
    if (!parsed.ok) return rejected(parsed.issues, trigger);
    const policy = parsed.value;
    if (policy.version === currentVersion) return { kind: "unchanged", version: policy.version };
    const previousVersion = currentVersion;
    currentVersion = policy.version;
    options.onPolicy(policy, trigger);
    return { kind: "applied", policy, previousVersion };
  };

  const rejected = (issues: readonly Issue[], trigger: ReloadTrigger): ReloadResult => {
    const invalid: InvalidPolicy = { file, issues, message: formatIssues(file, issues) };
    options.onInvalid(invalid, trigger);
    return { kind: "invalid", invalid };
  };

  const reload = (trigger: ReloadTrigger = "request"): Promise<ReloadResult> => {
    const next = chain.then(() => load(trigger));
    chain = next.catch(() => undefined);
    return next;
  };

  const schedule = (): void => {
    if (closed) return;
    timer?.cancel();
    timer = clock.setTimer(() => {
      timer = undefined;
      if (closed) return;
      reload("watch").catch((error: unknown) => options.log?.({ level: "error", event: "policy_reload_failed", file, message: messageOf(error) }));
    }, debounceMs);
  };

  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(file), { persistent: false }, (_event, changed) => {
      if (changed === null || changed === name) schedule();
    });
    watcher.on("error", (error) => options.log?.({ level: "error", event: "policy_watch_failed", file, message: error.message }));
  } catch (error) {
    options.log?.({ level: "error", event: "policy_watch_failed", file, message: `cannot watch the policy file's directory (reload with SIGHUP instead): ${messageOf(error)}` });
  }

  return {
    reload: () => reload("request"),
    close() {
      closed = true;
      timer?.cancel();
      watcher?.close();
    },
  };
}

/** Reloads on SIGHUP; returns the function that stops listening. */
export function reloadOnSighup(watcher: { reload(): Promise<unknown> }, onError: (error: unknown) => void = () => {}): () => void {
  const handler = (): void => void watcher.reload().catch(onError);
  process.on("SIGHUP", handler);
  return () => process.off("SIGHUP", handler);
}

/** One policy file and the grants that use it (with the version they use now). */
export interface WatchedPolicyFile {
  readonly file: string;
  readonly grantIds: readonly string[];
  readonly version: string;
}

export interface PolicySetWatcher {
  /** Reloads every file (SIGHUP). */
  reload(): Promise<readonly ReloadResult[]>;
  /** Reloads one watched file now (the console after a save); undefined when it is not watched. */
  reloadFile(file: string): Promise<ReloadResult | undefined>;
  close(): void;
}

/**
 * Watches every policy file of a gateway process (one for `--policy`, one per distinct file of a
 * grants file). `apply` receives a valid new policy with the grants that use it; `log` receives
 * one line per applied or rejected reload (`policy_reloaded` / `policy_reload_rejected`, the
 * latter with every issue and its JSON path) and watch failures.
 */
export function watchPolicyFiles(
  sources: readonly WatchedPolicyFile[],
  options: { readonly apply: (grantIds: readonly string[], policy: CompiledPolicy) => void; readonly log: (line: object) => void; readonly clock?: Clock; readonly debounceMs?: number },
): PolicySetWatcher {
  const watchers = sources.map((source) =>
    watchPolicyFile(source.file, {
      currentVersion: source.version,
      ...(options.clock === undefined ? {} : { clock: options.clock }),
      ...(options.debounceMs === undefined ? {} : { debounceMs: options.debounceMs }),
      log: options.log,
      onPolicy: (policy, trigger) => {
        options.apply(source.grantIds, policy);
        options.log({ level: "info", event: "policy_reloaded", trigger, file: source.file, policyVersion: policy.version, grants: source.grantIds, message: `policy reloaded from ${source.file}` });
      },
      onInvalid: (invalid, trigger) =>
        options.log({
          level: "error",
          event: "policy_reload_rejected",
          trigger,
          file: invalid.file,
          issues: invalid.issues.map((i) => ({ path: i.path === "" ? "(root)" : i.path, message: i.message })),
          message: `policy reload rejected, the previous policy stays in force:\n${invalid.message}`,
        }),
    }),
  );
  return {
    reload: () => Promise.all(watchers.map((w) => w.reload())),
    reloadFile: async (file) => {
      const at = sources.findIndex((s) => resolve(s.file) === resolve(file));
      return at < 0 ? undefined : watchers[at]!.reload();
    },
    close: () => watchers.forEach((w) => w.close()),
  };
}

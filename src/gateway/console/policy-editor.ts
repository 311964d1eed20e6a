/**
 * The console's policy editor on disk: read a policy file with the SHA-256 of its bytes (the
 * version an edit starts from), check an edit (every issue at its JSON path, as `toolgate
 * validate` prints it, and the diff against the file), and save: refused when the file changed
 * since the edit began (the caller gets both texts and the diff, nothing is lost) or when the edit
 * is invalid (nothing is written); otherwise written to a temporary file in the same directory and
 * renamed over the policy (atomic), then hot-reloaded through the gateway's reload path, which
 * keeps the counters.
 */
import { createHash, randomBytes } from "node:crypto";
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { formatIssues, messageOf } from "../../core/errors.js";
import { parsePolicyText } from "../../policy/load-policy.js";
import type { ReloadResult } from "../reload.js";
import { hasChanges, jsonDiff, type DiffLine } from "./line-diff.js";

export interface EditableFile {
  readonly file: string;
  readonly grantIds: readonly string[];
}

export interface IssueView {
  /** `(root)` or a path such as `tools.stop_salesbot.limits[0].max`. */
  readonly path: string;
  readonly message: string;
  /** `FILE: PATH: MESSAGE`, the line `toolgate validate` prints. */
  readonly line: string;
}

export interface FileView {
  readonly file: string;
  readonly grantIds: readonly string[];
  readonly text: string;
  readonly sha256: string;
  /** The policy version of the file's content, or null when it does not compile. */
  readonly policyVersion: string | null;
}

export type SaveResult =
  | { readonly kind: "saved"; readonly sha256: string; readonly policyVersion: string; readonly reload: "applied" | "unchanged" | "invalid"; readonly diff: readonly DiffLine[] }
  | { readonly kind: "invalid"; readonly issues: readonly IssueView[] }
  | { readonly kind: "conflict"; readonly current: FileView; readonly diff: readonly DiffLine[] };

export function sha256Of(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

export function issuesOf(file: string, text: string): IssueView[] {
  const parsed = parsePolicyText(text);
  if (parsed.ok) return [];
  return parsed.issues.map((issue) => ({ path: issue.path === "" ? "(root)" : issue.path, message: issue.message, line: formatIssues(file, [issue]) }));
}

export class PolicyEditor {
  /** Saves run one at a time, so two saves from the same base cannot both pass the check. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    readonly files: readonly EditableFile[],
    private readonly reload: (file: string) => Promise<ReloadResult | undefined>,
  ) {}

  async read(index: number): Promise<FileView> {
    const source = this.files[index]!;
    const text = await readFile(source.file, "utf8");
    const parsed = parsePolicyText(text);
    return { file: source.file, grantIds: source.grantIds, text, sha256: sha256Of(text), policyVersion: parsed.ok ? parsed.value.version : null };
  }

  async check(index: number, text: string): Promise<{ issues: IssueView[]; diff: DiffLine[]; changed: boolean }> {
    const current = await this.read(index);
    const diff = jsonDiff(current.text, text);
    return { issues: issuesOf(current.file, text), diff, changed: hasChanges(diff) };
  }

  save(index: number, text: string, baseSha256: string): Promise<SaveResult> {
    const next = this.chain.then(() => this.saveNow(index, text, baseSha256));
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async saveNow(index: number, text: string, baseSha256: string): Promise<SaveResult> {
    const current = await this.read(index);
    if (current.sha256 !== baseSha256) return { kind: "conflict", current, diff: jsonDiff(current.text, text) };
    const issues = issuesOf(current.file, text);
    if (issues.length > 0) return { kind: "invalid", issues };
    const parsed = parsePolicyText(text);
    if (!parsed.ok) return { kind: "invalid", issues };
    const temp = join(dirname(current.file), `.${basename(current.file)}.${randomBytes(6).toString("hex")}.tmp`);
    try {
      await writeFile(temp, text, { encoding: "utf8", flag: "wx" });
      await rename(temp, current.file);
    } catch (error) {
      await rm(temp, { force: true });
      throw new Error(`cannot write \`${current.file}\`: ${messageOf(error)}`);
    }
    const reloaded = await this.reload(current.file);
    return { kind: "saved", sha256: sha256Of(text), policyVersion: parsed.value.version, reload: reloaded?.kind ?? "unchanged", diff: jsonDiff(current.text, text) };
  }
}

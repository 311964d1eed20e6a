/**
 * `toolgate validate FILE…`: checks policy files. Every problem of every file is printed on
 * stderr as `file: path: message`; each valid file gets `file: ok (…)` on stdout.
 * Exit 0 when all are valid, 1 when any is invalid, 2 on usage errors (no file, unreadable file).
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { formatIssues, messageOf } from "../core/errors.js";
import { parsePolicyText, type CompiledPolicy } from "../policy/load-policy.js";
import { parseArgs, UsageError, type CommandIo } from "./args.js";

export async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const { positionals: files } = parseArgs(argv, {}, { positionals: true });
  if (files.length === 0) throw new UsageError("expected at least one policy file: toolgate validate FILE…");
  const texts: string[] = [];
  for (const file of files) {
    try {
      texts.push(await readFile(resolve(io.cwd, file), "utf8"));
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : messageOf(error);
      throw new UsageError(`cannot read policy file \`${file}\`: ${reason}`);
    }
  }
  let invalid = 0;
  files.forEach((file, i) => {
    const parsed = parsePolicyText(texts[i]!);
    if (parsed.ok) io.stdout.write(`${file}: ok (${summary(parsed.value)})\n`);
    else {
      invalid++;
      io.stderr.write(`${formatIssues(file, parsed.issues)}\n`);
    }
  });
  return invalid === 0 ? 0 : 1;
}

function summary(policy: CompiledPolicy): string {
  const tools = policy.tools.size;
  let limits = policy.allToolsLimits.length;
  for (const tool of policy.tools.values()) limits += tool.limits.length;
  const hidden = policy.hideAll ? "all tools hidden" : `${policy.hidden.size} hidden`;
  return `${tools} tool${tools === 1 ? "" : "s"}, ${limits} limit${limits === 1 ? "" : "s"}, ${hidden}, default ${policy.defaultDecision}, version ${policy.version}`;
}

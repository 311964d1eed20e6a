/** A `--policy FILE` flag read and compiled for a command; problems are usage errors naming the file. */
import { readFileSync } from "node:fs";
import { formatIssues, messageOf } from "../core/errors.js";
import { parsePolicyText, type CompiledPolicy } from "../policy/load-policy.js";
import { UsageError } from "./args.js";

/** The policy at `path`, shown in messages as `shown`. */
export function loadPolicyFlag(path: string, shown: string): CompiledPolicy {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read policy file \`${shown}\`: ${messageOf(error)}`);
  }
  const parsed = parsePolicyText(text);
  if (!parsed.ok) throw new UsageError(`the policy is invalid:\n${formatIssues(shown, parsed.issues)}`);
  return parsed.value;
}

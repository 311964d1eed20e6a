/**
 * Processes the bench started and that should be gone: every bench child runs a file from the
 * run's private build directory, so a process whose command line names that directory is ours.
 */
import { readdirSync, readFileSync } from "node:fs";

export function leftoverProcesses(buildDir: string): number[] {
  const out: number[] = [];
  let names: string[];
  try {
    names = readdirSync("/proc");
  } catch {
    return out;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, "utf8");
      if (cmdline.includes(buildDir)) out.push(Number(name));
    } catch {
      // gone
    }
  }
  return out;
}

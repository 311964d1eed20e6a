/**
 * CPU and memory accounting from procfs (Linux): CPU time of a process and its live descendants,
 * resident memory, and the machine's busy time, so that the bench can charge CPU per call to the
 * proxy, its upstream and the client, and report how busy everything else on the machine was.
 */
import { readdirSync, readFileSync } from "node:fs";

/** Kernel clock ticks per second (USER_HZ); 100 on every Linux the bench targets. */
export const TICKS_PER_SECOND = 100;

/** utime + stime + cutime + cstime of one process, in µs; undefined when it has gone. */
export function processCpuUs(pid: number): number | undefined {
  const stat = readStat(pid);
  if (!stat) return undefined;
  // Fields 14–17 (utime, stime, cutime, cstime); field k ≥ 3 sits at index k − 2.
  const ticks = Number(stat[12]) + Number(stat[13]) + Number(stat[14]) + Number(stat[15]);
  return (ticks * 1_000_000) / TICKS_PER_SECOND;
}

/** The parent pid of a process; undefined when it has gone. */
export function parentPid(pid: number): number | undefined {
  const stat = readStat(pid);
  return stat ? Number(stat[2]) : undefined; // field 4
}

/** Every live descendant of `pid` (children, grandchildren, …). */
export function descendantPids(pid: number): number[] {
  const byParent = new Map<number, number[]>();
  for (const name of safeReaddir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const ppid = parentPid(Number(name));
    if (ppid === undefined) continue;
    const list = byParent.get(ppid) ?? [];
    list.push(Number(name));
    byParent.set(ppid, list);
  }
  const out: number[] = [];
  const queue = [pid];
  for (let guard = 0; queue.length > 0 && guard < 10_000; guard++) {
    const next = queue.shift()!;
    for (const child of byParent.get(next) ?? []) {
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}

/** VmRSS of a process in bytes; undefined when it has gone. */
export function rssBytes(pid: number): number | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return undefined;
  }
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(text);
  return m ? Number(m[1]) * 1024 : undefined;
}

/** Busy CPU time of the whole machine in µs (all cores: everything but idle and iowait). */
export function machineBusyUs(): number {
  const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0]!;
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
  return ((user + nice + system + irq + softirq + steal) * 1_000_000) / TICKS_PER_SECOND;
}

/** A CPU reading of a watched root process and the descendants it had when the watch began. */
export interface TreeCpu {
  readonly rootUs: number;
  readonly childrenUs: number;
}

export class ProcessTreeWatch {
  private readonly children: number[];

  constructor(readonly rootPid: number) {
    this.children = descendantPids(rootPid);
  }

  get childPids(): readonly number[] {
    return this.children;
  }

  read(): TreeCpu {
    let childrenUs = 0;
    for (const pid of this.children) childrenUs += processCpuUs(pid) ?? 0;
    return { rootUs: processCpuUs(this.rootPid) ?? 0, childrenUs };
  }
}

function readStat(pid: number): string[] | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may contain spaces: split after it.
  const close = text.lastIndexOf(")");
  return [text.slice(0, close + 1), ...text.slice(close + 2).trim().split(" ")];
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

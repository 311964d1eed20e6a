/**
 * CPU charged per call during a bench phase: to the process under test (root), its children, this
 * client and everything else on the machine, from `/proc` and `process.cpuUsage`.
 */
import { monotonicNs } from "../core/clock.js";
import { machineBusyUs, type ProcessTreeWatch } from "./procfs.js";

export interface CpuPerCall {
  readonly rootUs: number;
  readonly childrenUs: number;
  readonly clientUs: number;
  /** Cores busy outside root, children and client during the phase (other sessions, kernel). */
  readonly foreignCores: number;
  readonly clientCores: number;
}

export interface Meter {
  stop(calls: number): CpuPerCall;
}

/** Starts charging CPU to root, children, this client and everything else, from now. */
export function startMeter(watch: ProcessTreeWatch): Meter {
  const t0 = monotonicNs();
  const tree0 = watch.read();
  const client0 = process.cpuUsage();
  const busy0 = machineBusyUs();
  return {
    stop(calls: number): CpuPerCall {
      const wallUs = Number(monotonicNs() - t0) / 1_000;
      const tree1 = watch.read();
      const client1 = process.cpuUsage(client0);
      const busyUs = machineBusyUs() - busy0;
      const rootUs = tree1.rootUs - tree0.rootUs;
      const childrenUs = tree1.childrenUs - tree0.childrenUs;
      const clientUs = client1.user + client1.system;
      const per = (us: number): number => (calls > 0 ? us / calls : Number.NaN);
      return {
        rootUs: per(rootUs),
        childrenUs: per(childrenUs),
        clientUs: per(clientUs),
        foreignCores: Math.max(0, busyUs - rootUs - childrenUs - clientUs) / wallUs,
        clientCores: clientUs / wallUs,
      };
    },
  };
}

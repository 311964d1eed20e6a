/**
 * Where an HTTP gateway under test listens: a free loopback port for its `{port}`, and the wait
 * until it accepts HTTP there (or the reason its process broke).
 */
import { createServer } from "node:net";
import { systemClock } from "../core/clock.js";
import type { GatewayProcess } from "./gateway-process.js";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** Waits until `port` accepts HTTP, or says why the process broke. */
export async function listening(port: number, process: GatewayProcess, maxMs = 30_000): Promise<void> {
  const began = systemClock.nowMs();
  for (;;) {
    try {
      await fetch(`http://127.0.0.1:${port}/`, { method: "GET" });
      return;
    } catch {
      // not yet
    }
    const broken = process.describeBreak();
    if (broken !== undefined) throw new Error(broken);
    if (systemClock.nowMs() - began > maxMs) throw new Error(`the gateway did not listen on 127.0.0.1:${port} within ${maxMs} ms (\`{port}\`); its stderr:\n${process.stderrTail()}`);
    await systemClock.sleep(50);
  }
}

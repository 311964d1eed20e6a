/**
 * The simulated Kommo MCP server in-process: a fake Kommo on a VirtualClock, the MCP server in
 * front of it, and an SDK client (2.x, 2026-07-28 by default, or 1.x for the 2025 era) connected
 * through an in-memory linked pair. `callUntilSettled` walks virtual time until a call finishes,
 * for calls that wait on timeouts or retry backoff.
 */
import { Client, InMemoryTransport } from "@modelcontextprotocol/client";
import { VirtualClock } from "../../src/core/virtual-clock.js";
import { createFakeKommo, type FakeKommo, type FakeKommoOptions } from "../../src/kommo/rest-api/fake-kommo.js";
import { createKommoMcpServer, type KommoMcpServer, type KommoMcpServerOptions } from "../../src/kommo/mcp-server.js";

export interface InProcessSim {
  readonly clock: VirtualClock;
  readonly fake: FakeKommo;
  readonly sim: KommoMcpServer;
  readonly client: Client;
  /** Calls a tool and returns `{text, isError}` of its single text item. */
  call(name: string, args?: Record<string, unknown>): Promise<{ text: string; isError: boolean }>;
  /** As `call`, advancing the virtual clock in `stepMs` steps (bounded) until the call settles. */
  callUntilSettled(name: string, args?: Record<string, unknown>, stepMs?: number): Promise<{ text: string; isError: boolean }>;
  close(): Promise<void>;
}

export async function startInProcessSim(
  options: Partial<Omit<KommoMcpServerOptions, "clock" | "fake">> & {
    fakeOptions?: Partial<FakeKommoOptions>;
    clock?: VirtualClock;
    /** Present this token instead of the fake's own. */
    serverToken?: string;
  } = {},
): Promise<InProcessSim> {
  const { fakeOptions, clock: givenClock, serverToken, ...serverOptions } = options;
  const clock = givenClock ?? new VirtualClock(Date.UTC(2026, 2, 15, 12, 0, 0));
  const fake = createFakeKommo({ clock, rateLimitPerSecond: 0, ...fakeOptions });
  const target = serverToken === undefined ? { fake } : { baseUrl: fake.baseUrl, token: serverToken, fetch: (input: string | URL | Request, init?: RequestInit) => fake.handle(new Request(input, init)) };
  const sim = createKommoMcpServer({ clock, jitterMs: () => 0, ...target, ...serverOptions });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await sim.connect(serverSide);
  const client = new Client({ name: "kommo-sim-test", version: "1.0.0" }, { versionNegotiation: { mode: { pin: "2026-07-28" } } });
  await client.connect(clientSide);

  const call = async (name: string, args: Record<string, unknown> = {}) => {
    const result = await client.callTool({ name, arguments: args });
    const content = result.content as Array<{ type: string; text?: string }>;
    return { text: content[0]?.text ?? "", isError: result.isError === true };
  };
  return {
    clock,
    fake,
    sim,
    client,
    call,
    async callUntilSettled(name, args = {}, stepMs = 1_000) {
      let settled = false;
      const pending = call(name, args).finally(() => (settled = true));
      for (let i = 0; i < 2_000 && !settled; i++) {
        // Let real macrotasks (the SDK's message delivery) run, then move virtual time on.
        await new Promise((resolve) => setImmediate(resolve));
        await clock.advanceBy(stepMs);
      }
      return pending;
    },
    async close() {
      await client.close();
      await sim.close();
    },
  };
}

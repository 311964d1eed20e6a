/**
 * The scripted session the policy-authoring tests record: `toolgate serve --record` in front of a
 * `kommo-sim` child, an SDK 1.x agent, time driven through one TOOLGATE_CLOCK_FILE so the minutes
 * are exact. Two minutes of a runaway loop (15 `stop_salesbot` a minute), a tool the policy does
 * not allow after each minute, and one `create_lead` whose `name` is a secret.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { REPO_ROOT, TOOLGATE_BIN, writeJson } from "../fixtures/servers/gateway-process.js";
import { clockFile, kommoSimCommand } from "./kommo-sim-process.js";

/** The seed rule with its max as given. */
export const seedPolicy = (max: number) => ({ version: "1", default: "deny", tools: { stop_salesbot: { limits: [{ counter: "stop_salesbot_rate", window: "minute", max, scope: "grant" }] } } });
export const STOP = { name: "stop_salesbot", arguments: { bot_id: 7, entity_id: 101, entity_type: "leads" } };

export interface RecordedSession {
  readonly dir: string;
  /** Written in `dir` with the seed rule, max 10. */
  readonly policyName: string;
  readonly recording: string;
  readonly redact: string;
  readonly startMs: number;
}

export async function recordRunawaySession(s: RecordedSession): Promise<void> {
  const clock = clockFile(s.dir, s.startMs);
  const sim = kommoSimCommand([]);
  const upstream = [sim.command, ...sim.args].map((w) => `"${w}"`).join(" ");
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [TOOLGATE_BIN, "serve", "--policy", writeJson(s.dir, s.policyName, seedPolicy(10)), "--grant", "runaway", "--record", s.recording, "--record-redact", s.redact, "--upstream-cmd", upstream],
    cwd: REPO_ROOT,
    env: { ...(process.env as Record<string, string>), TOOLGATE_CLOCK_FILE: clock.path },
    stderr: "pipe",
  });
  const client = new Client({ name: "runaway", version: "1.0.0" });
  await client.connect(transport);
  try {
    for (const minute of [0, 1]) {
      for (let i = 0; i < 15; i++) {
        clock.set(s.startMs + minute * 60_000 + i * 1_000);
        await client.callTool(STOP).catch(() => undefined);
      }
      await client.callTool({ name: "get_account", arguments: {} }).catch(() => undefined);
    }
    await client.callTool({ name: "create_lead", arguments: { name: "S3CR3T-LEAD", price: 10 } }).catch(() => undefined);
  } finally {
    await client.close();
  }
}


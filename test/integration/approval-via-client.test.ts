/**
 * Approvals asked of the person at the agent's client (`serve --approval-via-client`), with real
 * processes: `toolgate serve` over stdio in front of a `kommo-sim` child whose effects file shows
 * what reached the CRM. A 2025-era SDK client answers the gateway's form elicitation; a 2026-07-28
 * SDK client answers the `input_required` question and retries; a client that cannot ask gets the
 * queue's `approval_required`.
 */
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { join } from "node:path";
import { afterEach, expect, test } from "vitest";
import { tempDir, writeJson } from "../fixtures/servers/gateway-process.js";
import { readEffectsFile } from "../helpers/kommo-sim-process.js";
import { STOP_ARGS, upstreamCmd } from "./bridge-agents.js";
import { Client as LegacyClient } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport as LegacyStdio } from "@modelcontextprotocol/sdk/client/stdio.js";
import { Client as ModernClient } from "@modelcontextprotocol/client";
import { StdioClientTransport as ModernStdio } from "@modelcontextprotocol/client/stdio";
import { REPO_ROOT, TOOLGATE_BIN } from "../fixtures/servers/gateway-process.js";

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.allSettled(closers.splice(0).map((c) => c()));
});

const POLICY = { version: "1", default: "deny", tools: { stop_salesbot: { approval: { ttl: "10m" } } } };

function world() {
  const dir = tempDir("toolgate-via-client-");
  const effects = join(dir, "effects.jsonl");
  const args = [TOOLGATE_BIN, "serve", "--policy", writeJson(dir, "policy.json", POLICY), "--approval-via-client", "--audit", join(dir, "audit.jsonl"), "--upstream-cmd", upstreamCmd("2026-07-28", effects)];
  return { args, stops: () => readEffectsFile(effects).filter((l) => l.kind === "effect" && l.effect === "stop").length, audit: () => readEffectsFile(join(dir, "audit.jsonl")) };
}

const decision = (result: { _meta?: Record<string, { code?: string }>; isError?: boolean }): string => result._meta?.["toolgate/decision"]?.code ?? (result.isError ? "tool_error" : "allow");

test("a 2025-era client that can elicit approves in its form: the call passes exactly once, and a declined one is approval_denied", async () => {
  const w = world();
  const client = new LegacyClient({ name: "legacy-human", version: "1.0.0" }, { capabilities: { elicitation: {} } });
  const asked: string[] = [];
  client.setRequestHandler(ElicitRequestSchema, async (request) => {
    asked.push(String(request.params.message));
    return asked.length === 1 ? { action: "accept", content: { approve: true, reason: "looks right" } } : { action: "decline" };
  });
  await client.connect(new LegacyStdio({ command: process.execPath, args: w.args, cwd: REPO_ROOT, stderr: "pipe" }));
  closers.push(() => client.close());
  expect(decision((await client.callTool({ name: "stop_salesbot", arguments: STOP_ARGS })) as never)).toBe("allow");
  expect(decision((await client.callTool({ name: "stop_salesbot", arguments: STOP_ARGS })) as never)).toBe("approval_denied");
  expect(asked).toHaveLength(2);
  expect(asked[0]).toMatch(/asks to call `stop_salesbot` with arguments `bot_id`, `entity_id`, `entity_type`/);
  expect(w.stops()).toBe(1);
  const steps = w.audit().filter((l) => l.event === "approval").map((l) => [l.step, l.decidedBy ?? null]);
  expect(steps).toEqual([["pending", null], ["approved", "client: looks right"], ["consumed", null], ["pending", null], ["denied", "client"]]);
});

test("a 2026-07-28 client answers the input_required question and retries: the call passes exactly once", async () => {
  const w = world();
  const client = new ModernClient({ name: "modern-human", version: "2.0.0" }, { capabilities: { elicitation: { form: {} } }, versionNegotiation: { mode: { pin: "2026-07-28" } } });
  let asked = 0;
  client.setRequestHandler("elicitation/create", async () => {
    asked++;
    return { action: "accept", content: { approve: true } };
  });
  await client.connect(new ModernStdio({ command: process.execPath, args: w.args, cwd: REPO_ROOT, stderr: "pipe" }));
  closers.push(() => client.close());
  expect(decision((await client.callTool({ name: "stop_salesbot", arguments: STOP_ARGS })) as never)).toBe("allow");
  expect(asked).toBe(1);
  expect(w.stops()).toBe(1);
});

test("a client that cannot ask gets the queue: approval_required with an approval id, and nothing reaches the CRM", async () => {
  const w = world();
  const client = new LegacyClient({ name: "no-forms", version: "1.0.0" });
  await client.connect(new LegacyStdio({ command: process.execPath, args: w.args, cwd: REPO_ROOT, stderr: "pipe" }));
  closers.push(() => client.close());
  const result = (await client.callTool({ name: "stop_salesbot", arguments: STOP_ARGS })) as { _meta: Record<string, { code: string; approvalId?: string }> };
  expect(result._meta["toolgate/decision"]).toMatchObject({ code: "approval_required", approvalId: expect.stringMatching(/^apr_/) });
  expect(w.stops()).toBe(0);
});

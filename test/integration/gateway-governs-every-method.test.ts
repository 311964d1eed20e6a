/**
 * Nothing reaches the server without passing the policy, for every method: `toolgate serve` over
 * stdio in front of a real `toolgate kommo-sim` child whose effects file records every REST request
 * that reached the (fake) CRM. An SDK 1.x client asks for resources, prompts, completions and an
 * unknown method under `{"default": "deny", "hide": ["*"]}` and under a policy that allows some.
 */
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterEach, expect, test } from "vitest";
import { kommoSimCommand, readEffectsFile } from "../helpers/kommo-sim-process.js";
import { REPO_ROOT, TOOLGATE_BIN, tempDir, writeJson } from "../fixtures/servers/gateway-process.js";

const clients: Client[] = [];
afterEach(async () => {
  await Promise.allSettled(clients.splice(0).map((c) => c.close()));
});

async function through(policy: unknown): Promise<{ client: Client; requests: () => number }> {
  const dir = tempDir("toolgate-every-method-");
  const effects = join(dir, "effects.jsonl");
  const sim = kommoSimCommand(["--effects-file", effects]);
  const upstream = [sim.command, ...sim.args].map((w) => `"${w}"`).join(" ");
  const transport = new StdioClientTransport({ command: process.execPath, args: [TOOLGATE_BIN, "serve", "--policy", writeJson(dir, "policy.json", policy), "--upstream-cmd", upstream], cwd: REPO_ROOT, stderr: "pipe" });
  const client = new Client({ name: "every-method", version: "1.0.0" });
  await client.connect(transport);
  clients.push(client);
  return { client, requests: () => readEffectsFile(effects).filter((l) => l.kind === "request").length };
}

const decisionOf = (error: unknown): Record<string, unknown> | undefined => ((error as { data?: Record<string, Record<string, unknown>> }).data ?? {})["toolgate/decision"];

async function refusal(promise: Promise<unknown>): Promise<{ code: number; message: string; decision: Record<string, unknown> | undefined }> {
  try {
    await promise;
  } catch (error) {
    return { code: (error as { code: number }).code, message: (error as Error).message, decision: decisionOf(error) };
  }
  throw new Error("expected the request to be refused, it was answered");
}

test("under default deny with every tool hidden, reads, prompts, completions and unknown methods are refused and nothing reaches the CRM", async () => {
  const { client, requests } = await through({ version: "1", default: "deny", hide: ["*"] });
  expect((await client.listTools()).tools).toEqual([]);
  expect((await client.listResources()).resources).toEqual([]);
  expect((await client.listPrompts()).prompts).toEqual([]);
  const account = await refusal(client.readResource({ uri: "kommo://account" }));
  expect(account).toMatchObject({ code: -31001, decision: { decision: "deny", code: "hidden", rule: "(hidden)", resource: "kommo://account" } });
  expect(account.message).toContain("[POLICY DENIED] resource `kommo://account` is hidden by policy");
  expect((await refusal(client.readResource({ uri: "kommo://reports/sales" }))).decision).toMatchObject({ code: "hidden" });
  expect((await refusal(client.getPrompt({ name: "analise_pipeline", arguments: {} }))).decision).toMatchObject({ code: "hidden", prompt: "analise_pipeline" });
  expect((await refusal(client.complete({ ref: { type: "ref/prompt", name: "analise_pipeline" }, argument: { name: "pipeline_id", value: "1" } }))).decision).toMatchObject({ code: "hidden" });
  expect((await refusal(client.request({ method: "tasks/list", params: {} }, (await import("@modelcontextprotocol/sdk/types.js")).ResultSchema))).decision).toMatchObject({ code: "hidden", method: "tasks/list" });
  expect(requests()).toBe(0);
});

test("a policy that allows the account and one report template lets those reads through, filters the lists, and still refuses the rest", async () => {
  const { client, requests } = await through({
    version: "1",
    default: "deny",
    resources: { "kommo://account": {}, "kommo://reports/{kind}": { deny_if: [{ conditions: [{ path: "args.kind", op: "neq", value: "sales" }], on_deny: "Only the sales report." }] } },
    prompts: { analise_pipeline: {} },
  });
  expect((await client.listResources()).resources.map((r) => r.uri).sort()).toEqual(["kommo://account", "kommo://reports/sales"]);
  expect((await client.listPrompts()).prompts.map((p) => p.name)).toEqual(["analise_pipeline"]);
  const account = await client.readResource({ uri: "kommo://account" });
  expect(account.contents[0]).toMatchObject({ uri: "kommo://account" });
  const before = requests();
  expect(before).toBeGreaterThan(0);
  expect(await refusal(client.readResource({ uri: "kommo://pipelines" }))).toMatchObject({ code: -31001, decision: { code: "default_deny" } });
  expect(await refusal(client.readResource({ uri: "kommo://reports/dashboard" }))).toMatchObject({ decision: { code: "denied", rule: "/resources/kommo:~1~1reports~1{kind}/deny_if/0" } });
  expect(requests()).toBe(before);
  const prompt = await client.getPrompt({ name: "analise_pipeline", arguments: {} });
  expect(prompt.messages.length).toBeGreaterThan(0);
});

/**
 * The gateway's side of fronting several servers: an aggregating upstream (here a scripted one)
 * shows `<server>__<tool>` names; the gateway splits each name, decides it by that server's policy
 * under the tool's own name, keys counters by server, names the server in denials, and filters
 * lists per server. Names no server has are decided by the stack's own policy.
 */
import { expect, test } from "vitest";
import { VirtualClock, settle } from "../../../src/core/virtual-clock.js";
import { createGateway } from "../../../src/gateway/gateway.js";
import { PolicyTable } from "../../../src/gateway/policy-source.js";
import { NO_SERVER, type ServerNaming } from "../../../src/gateway/server-naming.js";
import type { JsonRpcMessage, JsonRpcRequest } from "../../../src/protocol/messages.js";
import { MemoryCounterStore } from "../../../src/stores/memory-counter-store.js";
import { createLinkedPair } from "../../../src/transports/in-memory.js";
import { policyOf } from "./gateway-fixture.js";

const naming: ServerNaming = {
  several: true,
  split: (_kind, exposed) => {
    const at = exposed.indexOf("__");
    return at <= 0 ? undefined : { server: exposed.slice(0, at), name: exposed.slice(at + 2) };
  },
};
const TOOLS = ["kommo__stop_salesbot", "kommo__list_leads", "crm2__stop_salesbot", "memory__create_entities"].map((name) => ({ name, inputSchema: { type: "object" } }));
const seed = { version: "1", default: "deny", tools: { stop_salesbot: { limits: [{ counter: "stop_salesbot_rate", window: "minute", max: 1 }] } } };

async function stack() {
  const clock = new VirtualClock();
  const store = new MemoryCounterStore({ clock });
  const policies = new PolicyTable();
  policies.set("alice", policyOf(seed), "kommo");
  policies.set("alice", policyOf(seed), "crm2");
  policies.set("alice", policyOf({ version: "1", default: "allow" }), "memory");
  policies.set("alice", policyOf({ version: "1", default: "deny" }), NO_SERVER);
  const [client, down] = createLinkedPair();
  const [up, server] = createLinkedPair();
  const toClient: JsonRpcMessage[] = [];
  const forwarded: string[] = [];
  client.onmessage = (m) => toClient.push(m);
  server.onmessage = (m) => {
    if (!("method" in m) || !("id" in m)) return;
    const r = m as JsonRpcRequest;
    if (r.method === "tools/list") return void server.send({ jsonrpc: "2.0", id: r.id, result: { tools: TOOLS } });
    forwarded.push(String(r.params?.name));
    void server.send({ jsonrpc: "2.0", id: r.id, result: { content: [] } });
  };
  const gateway = createGateway({ policies, naming, grantId: "alice", sessionKey: "s", clock, store, upstream: up, downstream: down });
  await client.start();
  await server.start();
  await gateway.start();
  const call = async (id: number, method: string, params: Record<string, unknown>) => {
    await client.send({ jsonrpc: "2.0", id, method, params });
    await settle();
    return toClient.find((m) => "id" in m && m.id === id && !("method" in m)) as Record<string, any>;
  };
  return { call, store, forwarded };
}

test("each server's policy decides its own tools under their own names, with counters keyed by server", async () => {
  const s = await stack();
  const listed = await s.call(1, "tools/list", {});
  expect(listed.result.tools.map((t: { name: string }) => t.name)).toEqual(["kommo__stop_salesbot", "crm2__stop_salesbot", "memory__create_entities"]);
  await s.call(2, "tools/call", { name: "kommo__stop_salesbot", arguments: {} });
  await s.call(3, "tools/call", { name: "crm2__stop_salesbot", arguments: {} });
  const third = await s.call(4, "tools/call", { name: "kommo__stop_salesbot", arguments: {} });
  expect(s.forwarded).toEqual(["kommo__stop_salesbot", "crm2__stop_salesbot"]);
  expect(third.result._meta["toolgate/decision"]).toMatchObject({ code: "rate_limited", tool: "kommo__stop_salesbot", server: "kommo", rule: "/tools/stop_salesbot/limits/0" });
  expect((await s.store.peek("grant:alice|kommo/stop_salesbot_rate", 60_000)).used).toBe(1);
  expect((await s.store.peek("grant:alice|crm2/stop_salesbot_rate", 60_000)).used).toBe(1);
  const listLeads = await s.call(5, "tools/call", { name: "kommo__list_leads", arguments: {} });
  expect(listLeads.result.content[0].text).toBe("[POLICY DENIED] tool `kommo__list_leads` is not permitted by policy (default deny)");
});

test("a name no server has is decided by the stack's own policy", async () => {
  const s = await stack();
  const answer = await s.call(1, "tools/call", { name: "stop_salesbot", arguments: {} });
  expect(answer.result._meta["toolgate/decision"]).toMatchObject({ code: "default_deny", tool: "stop_salesbot" });
  expect(s.forwarded).toEqual([]);
});

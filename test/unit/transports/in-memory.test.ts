import { expect, test } from "vitest";
import { InMemoryTransport as SdkInMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { Transport } from "../../../src/protocol/transport.js";
import { createLinkedPair } from "../../../src/transports/in-memory.js";

test("what one side sends the other receives, in order, after start", async () => {
  const [a, b] = createLinkedPair();
  const got: unknown[] = [];
  b.onmessage = (m) => got.push(m);
  await a.start();
  await a.send({ jsonrpc: "2.0", id: 1, method: "ping" });
  await a.send({ jsonrpc: "2.0", method: "notifications/x" });
  await Promise.resolve();
  expect(got).toEqual([]);
  await b.start();
  expect(got).toEqual([
    { jsonrpc: "2.0", id: 1, method: "ping" },
    { jsonrpc: "2.0", method: "notifications/x" },
  ]);
});

test("closing one side closes both and later sends fail", async () => {
  const [a, b] = createLinkedPair();
  let closed = 0;
  a.onclose = () => closed++;
  b.onclose = () => closed++;
  await a.start();
  await b.start();
  await b.close();
  expect(closed).toBe(2);
  await expect(a.send({ jsonrpc: "2.0", method: "x" })).rejects.toThrow("closed");
});

test("the SDK's transports fit the gateway's Transport interface", () => {
  const [sdk] = SdkInMemoryTransport.createLinkedPair();
  const asOurs: Transport = sdk;
  expect(typeof asOurs.send).toBe("function");
});

import { expect, test } from "vitest";
import { compilePolicy } from "../../../src/policy/load-policy.js";
import { classifyTool, starterPolicy, type ToolInfo } from "../../../src/policy/risk-classification.js";

const WRITE = { readOnlyHint: false, destructiveHint: true, idempotentHint: false };
const READ = { readOnlyHint: true, destructiveHint: false, idempotentHint: true };

test("the Kommo salesbot tools are execute although the server marks them destructive", () => {
  expect(classifyTool({ name: "stop_salesbot", description: "Parar um Salesbot pelo ID do bot", annotations: WRITE }).risk).toBe("execute");
  expect(classifyTool({ name: "run_salesbot", description: "Start a Salesbot (API v4).", annotations: WRITE }).risk).toBe("execute");
});

test("Kommo creates, updates, moves, notes and tasks are writes; gets and ask_kommo are reads", () => {
  for (const name of ["create_lead", "update_lead", "move_lead", "create_task", "add_note", "pin_note", "unpin_note"]) expect(classifyTool({ name, annotations: WRITE }).risk).toBe("write");
  for (const name of ["get_account", "get_leads", "get_sales_report", "ask_kommo"]) expect(classifyTool({ name, annotations: READ }).risk).toBe("read");
});

test("deletes are destructive and money movers are financial, by name or description", () => {
  expect(classifyTool({ name: "delete_lead" }).risk).toBe("destructive");
  expect(classifyTool({ name: "purgeContacts" }).risk).toBe("destructive");
  expect(classifyTool({ name: "create_refund" }).risk).toBe("financial");
  expect(classifyTool({ name: "stripe_create_payment_intent" }).risk).toBe("financial");
  expect(classifyTool({ name: "do_it", description: "Issues a refund to the customer" }).risk).toBe("financial");
  expect(classifyTool({ name: "list_invoices", annotations: READ }).risk).toBe("read");
});

test("without a verb the annotations decide, and an unknown tool is treated as a write", () => {
  expect(classifyTool({ name: "weather", annotations: { readOnlyHint: true } }).risk).toBe("read");
  expect(classifyTool({ name: "frobnicate", annotations: { destructiveHint: true } }).risk).toBe("destructive");
  expect(classifyTool({ name: "frobnicate" }).risk).toBe("write");
});

test("the starter policy gives each class its rule, explains it per tool, and compiles", () => {
  const tools: ToolInfo[] = [{ name: "get_leads", annotations: READ }, { name: "create_lead", annotations: WRITE }, { name: "stop_salesbot", annotations: WRITE }, { name: "delete_lead" }, { name: "create_refund" }];
  const { policy } = starterPolicy(tools, "`test`");
  expect(policy.default).toBe("deny");
  expect(policy.tools.get_leads).toEqual({ description: expect.stringMatching(/^read/) });
  expect(policy.tools.create_lead!.limits).toEqual([{ counter: "create_lead_rate", window: "minute", max: 30, scope: "grant" }]);
  expect(policy.tools.stop_salesbot!.limits).toEqual([{ counter: "stop_salesbot_rate", window: "minute", max: 10, scope: "grant" }]);
  expect(policy.hide).toEqual(["delete_lead"]);
  expect(policy.tools.create_refund!.approval).toBe(true);
  for (const entry of Object.values(policy.tools)) expect(typeof entry.description).toBe("string");
  const compiled = compilePolicy(policy);
  expect(compiled.ok ? [] : compiled.issues).toEqual([]);
});

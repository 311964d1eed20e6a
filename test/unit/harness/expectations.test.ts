/**
 * What the harness reads from an answer and compares with a step's expectation. A broken gateway
 * must never pass because a field the scenario names is not compared, or because a denial that
 * lacks its machine-readable `_meta` is mistaken for an allowed call.
 */
import { expect, test } from "vitest";
import { outcomeOfResult } from "../../../src/harness/agents.js";
import { checkCall, checkCounts } from "../../../src/harness/expectations.js";
import type { CallRecord } from "../../../src/harness/result.js";

const START_MS = Date.UTC(2026, 0, 1);

function record(answer: Record<string, unknown>): CallRecord {
  return { agent: "a", step: "agents[0].steps[0]", tool: "stop_salesbot", startMs: 0, endMs: 0, ...outcomeOfResult(answer) };
}

function rateLimited(remaining: number): Record<string, unknown> {
  return {
    content: [{ type: "text", text: "[POLICY DENIED] Rate limit exceeded: stop_salesbot_rate allows 10 calls per minute per grant. Retry in 60 s." }],
    isError: true,
    _meta: { "toolgate/decision": { decision: "deny", code: "rate_limited", rule: "/tools/stop_salesbot/limits/0", max: 10, remaining, retryAfterMs: 60_000 } },
  };
}

const expectRateLimited = { decision: "deny", code: "rate_limited", rule: "/tools/stop_salesbot/limits/0", retryAfterMs: 60_000 } as const;

test("a denial whose remaining differs from the expected remaining is a mismatch", () => {
  const line = checkCall(record(rateLimited(3)), { ...expectRateLimited, remaining: 0 }, START_MS);
  expect(line).toMatch(/expected deny rate_limited .* remaining 0, got deny rate_limited .* remaining 3/);
});

test("a denial with the expected remaining matches", () => {
  expect(checkCall(record(rateLimited(0)), { ...expectRateLimited, remaining: 0 }, START_MS)).toBeUndefined();
});

test("a denial that carries no remaining does not satisfy an expected remaining", () => {
  const answer = rateLimited(0);
  delete (answer._meta as Record<string, Record<string, unknown>>)["toolgate/decision"]!.remaining;
  expect(checkCall(record(answer), { ...expectRateLimited, remaining: 0 }, START_MS)).toMatch(/remaining 0, got deny rate_limited/);
});

test("a policy denial without its _meta is a denial, not an allowed call with a tool error", () => {
  const answer = { content: [{ type: "text", text: "[POLICY DENIED] tool `stop_salesbot` is not permitted by policy (default deny)" }], isError: true };
  expect(record(answer).outcome).toBe("deny");
  expect(checkCall(record(answer), "allow", START_MS)).toMatch(/expected allow, got deny \(no code\) by \(no rule\)/);
});

test("an approval request without its _meta is a denial, not an allowed call", () => {
  const answer = { content: [{ type: "text", text: "[APPROVAL REQUIRED] apr_1: tool `stop_salesbot` requires human approval" }], isError: true };
  expect(checkCall(record(answer), "allow", START_MS)).toMatch(/expected allow, got deny/);
});

test("a _meta decision other than allow or deny is not read as an allowed call", () => {
  const answer = { content: [{ type: "text", text: "blocked" }], isError: true, _meta: { "toolgate/decision": { decision: "block", code: "denied" } } };
  expect(record(answer).outcome).not.toBe("allow");
});

test("an upstream tool error is still an allowed call with isError", () => {
  const got = record({ content: [{ type: "text", text: "Kommo answered 404" }], isError: true });
  expect(got.outcome).toBe("allow");
  expect(got.isError).toBe(true);
});

function allowed(): CallRecord {
  return record({ content: [{ type: "text", text: "ok" }] });
}

test("denials by code: a code expected 0 times and never seen matches", () => {
  expect(checkCounts([allowed(), allowed()], { allow: 2, deny: 0, codes: { rate_limited: 0 } }, START_MS, "burst")).toEqual([]);
});

test("denials by code: a code that was not expected at all is a mismatch", () => {
  expect(checkCounts([record(rateLimited(0))], { allow: 0, deny: 1, codes: { denied: 1 } }, START_MS, "burst").join("\n")).toMatch(/denials by code: expected \{denied: 1\}, got \{rate_limited: 1\}/);
});

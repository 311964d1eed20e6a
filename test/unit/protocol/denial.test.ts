import { expect, test } from "vitest";
import type { Deny } from "../../../src/policy/decision.js";
import { denialResult } from "../../../src/protocol/denial.js";

const rateLimited: Deny = {
  decision: "deny",
  code: "rate_limited",
  rule: "/tools/stop_salesbot/limits/0",
  tool: "stop_salesbot",
  message: "Rate limit exceeded: stop_salesbot_rate allows 10 calls per minute per grant. Retry in 23 s.",
  limit: { counter: "stop_salesbot_rate", scope: "grant", window: "minute", windowMs: 60_000, max: 10, remaining: 0, retryAfterMs: 23_000, resetAt: "2026-01-01T00:01:00.000Z" },
};

test("a rate-limit denial is exactly the README's denial tool result", () => {
  expect(JSON.stringify(denialResult(rateLimited, "dec_0123456789abcdef", "2025"))).toBe(
    JSON.stringify({
      content: [{ type: "text", text: "[POLICY DENIED] Rate limit exceeded: stop_salesbot_rate allows 10 calls per minute per grant. Retry in 23 s." }],
      isError: true,
      _meta: {
        "toolgate/decision": {
          decision: "deny",
          code: "rate_limited",
          rule: "/tools/stop_salesbot/limits/0",
          decisionId: "dec_0123456789abcdef",
          tool: "stop_salesbot",
          counter: "stop_salesbot_rate",
          scope: "grant",
          window: "minute",
          max: 10,
          remaining: 0,
          retryAfterMs: 23000,
          resetAt: "2026-01-01T00:01:00.000Z",
        },
      },
    }),
  );
});

test("a denial for a 2026-07-28 caller also carries resultType complete", () => {
  const result = denialResult(rateLimited, "dec_1", "2026-07-28");
  expect(result.resultType).toBe("complete");
  expect(result.isError).toBe(true);
  expect("resultType" in denialResult(rateLimited, "dec_1", "2025")).toBe(false);
});

test("a denial without a limit carries no limit facts", () => {
  const hidden: Deny = { decision: "deny", code: "hidden", rule: "(hidden)", tool: "x", message: "tool `x` is hidden by policy" };
  expect(denialResult(hidden, "dec_2", "2025")._meta).toEqual({ "toolgate/decision": { decision: "deny", code: "hidden", rule: "(hidden)", decisionId: "dec_2", tool: "x" } });
});

test("an approval denial starts with the approval prefix and names the approval id", () => {
  const approval: Deny = { decision: "deny", code: "approval_required", rule: "/tools/x/approval", tool: "x", message: "approval apr_1 pending", approvalId: "apr_1" };
  const result = denialResult(approval, "dec_3", "2025");
  expect((result.content as Array<{ text: string }>)[0]!.text).toBe("[APPROVAL REQUIRED] approval apr_1 pending");
  expect((result._meta as Record<string, Record<string, unknown>>)["toolgate/decision"]!.approvalId).toBe("apr_1");
});

import { expect, test } from "vitest";
import { eraMeta, eraOfRevision, requestEra } from "../../../src/protocol/eras.js";

test("initialize is 2025-era and server/discover is 2026-07-28", () => {
  expect(requestEra("initialize", { protocolVersion: "2025-06-18" }, "2026-07-28")).toBe("2025");
  expect(requestEra("server/discover", {}, "2025")).toBe("2026-07-28");
});

test("a request naming its revision in _meta is of that revision's era", () => {
  const meta = (v: string) => ({ _meta: { "io.modelcontextprotocol/protocolVersion": v } });
  expect(requestEra("tools/call", meta("2026-07-28"), "2025")).toBe("2026-07-28");
  expect(requestEra("tools/call", meta("2025-11-25"), "2026-07-28")).toBe("2025");
});

test("a request without a revision inherits the connection's era", () => {
  expect(requestEra("tools/call", { name: "x" }, "2025")).toBe("2025");
  expect(requestEra("tools/call", undefined, "2026-07-28")).toBe("2026-07-28");
});

test("revisions on or after 2026-07-28 are modern", () => {
  expect(eraOfRevision("2024-11-05")).toBe("2025");
  expect(eraOfRevision("2026-07-28")).toBe("2026-07-28");
  expect(eraOfRevision("2027-01-01")).toBe("2026-07-28");
});

test("only the revision, client info and capabilities are copied from a caller's _meta", () => {
  const params = {
    _meta: {
      "io.modelcontextprotocol/protocolVersion": "2026-07-28",
      "io.modelcontextprotocol/clientInfo": { name: "a", version: "1" },
      "io.modelcontextprotocol/clientCapabilities": {},
      progressToken: 5,
    },
  };
  expect(eraMeta(params)).toEqual({
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientInfo": { name: "a", version: "1" },
    "io.modelcontextprotocol/clientCapabilities": {},
  });
  expect(eraMeta({ _meta: { progressToken: 1 } })).toBeUndefined();
});

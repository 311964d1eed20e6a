/** The rejection fixtures (fixtures/jsonrpc/rejection/*.json): a raw line and the error it earns. */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { jsonSyntaxError } from "../../../src/core/json-text.js";
import { classifyFrame, type JsonRpcErrorResponse } from "../../../src/protocol/messages.js";
import { invalidRequest, parseError } from "../../../src/protocol/wire-errors.js";

export interface RejectionCase {
  readonly name: string;
  readonly description: string;
  readonly line: string;
  readonly expect: { readonly code: number; readonly id: string | number | null; readonly message: string };
}

const dir = fileURLToPath(new URL("../../../fixtures/jsonrpc/rejection/", import.meta.url));

export const rejectionCases: RejectionCase[] = readdirSync(dir)
  .filter((f) => f.endsWith(".json"))
  .sort()
  .map((f) => ({ name: f.replace(/\.json$/, ""), ...(JSON.parse(readFileSync(join(dir, f), "utf8")) as Omit<RejectionCase, "name">) }));

/** What the gateway answers for one raw downstream line that it must reject. */
export function answerFor(line: string): JsonRpcErrorResponse | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return parseError(jsonSyntaxError(line));
  }
  const frame = classifyFrame(value);
  return frame.kind === "invalid" ? invalidRequest(frame.id, frame.reason) : undefined;
}

/** Parse-error messages quote the JSON engine, so only their prefix is fixed. */
export function matchesExpected(answer: JsonRpcErrorResponse, expected: RejectionCase["expect"]): boolean {
  const messageOk = expected.code === -32700 ? answer.error.message.startsWith(expected.message) : answer.error.message === expected.message;
  return answer.error.code === expected.code && answer.id === expected.id && messageOk;
}

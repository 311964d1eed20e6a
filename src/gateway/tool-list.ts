/** `tools/list` as the agent sees it: hidden and default-denied tools removed (docs/architecture.md#decision-order). */
import { isToolVisible } from "../policy/evaluate.js";
import type { CompiledPolicy } from "../policy/load-policy.js";
import { isJsonObject, type JsonObject } from "../protocol/messages.js";

/** A copy of `result` whose `tools` keeps only tools some call could be allowed to run. */
export function filterToolList(result: JsonObject, policy: CompiledPolicy | undefined): JsonObject {
  const tools = result.tools;
  if (!Array.isArray(tools)) return result;
  return { ...result, tools: tools.filter((tool) => isJsonObject(tool) && typeof tool.name === "string" && isToolVisible(policy, tool.name)) };
}

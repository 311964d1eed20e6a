/**
 * Notifications on their way through one gateway connection, and what the gateway reads in them
 * (docs/architecture.md#the-path-of-one-call). Every notification passes on untouched, except:
 * from the agent, a `tools/call` without an id is dropped (it would reach the server undecided)
 * and a cancellation ends the request it names; from the upstream, progress restarts its request's
 * deadline, a cancellation ends the server request it names, and a tool list change makes the
 * gateway learn the schemas again.
 */
import { isJsonObject, type JsonRpcNotification } from "../protocol/messages.js";
import type { AgentRequest } from "./agent-request.js";
import type { UpstreamExchange } from "./upstream-exchange.js";
import type { UpstreamTools } from "./upstream-tools.js";

/** A notification from the agent: sent upstream, ending what it cancels, or dropped. */
export function agentNotification(notification: JsonRpcNotification, exchange: UpstreamExchange<AgentRequest>, log: (line: object) => void): void {
  if (notification.method === "tools/call") {
    // A JSON-RPC server runs a notification's method and only withholds the answer: forwarding
    // it would let a call reach the server without a decision. Fail closed (there is no id to answer).
    log({ level: "warn", event: "ungoverned_notification_dropped", method: notification.method, message: "dropped a `tools/call` sent without an id: a call must be a request so that the policy can decide and answer it" });
    return;
  }
  if (notification.method === "notifications/cancelled" && isJsonObject(notification.params)) {
    const callerId = notification.params.requestId;
    // Already answered or never seen: nothing to cancel. Still deciding: it never reached the
    // upstream, and its decision sees it closed and gives back what it holds.
    if (typeof callerId === "string" || typeof callerId === "number") return exchange.cancel(callerId, { ...notification, params: notification.params });
  }
  exchange.send(notification);
}

/** What a notification from the upstream tells the gateway, before it passes on to the agent. */
export function readUpstreamNotification(notification: JsonRpcNotification, exchange: UpstreamExchange<AgentRequest>, tools: UpstreamTools): void {
  const params = notification.params;
  switch (notification.method) {
    case "notifications/tools/list_changed":
      tools.invalidate();
      break;
    case "notifications/progress": {
      const token = params?.progressToken;
      if (typeof token === "string" || typeof token === "number") exchange.progressed(token); // progress proves the upstream is alive
      break;
    }
    case "notifications/cancelled": {
      const id = params?.requestId;
      if (typeof id === "string" || typeof id === "number") exchange.answerServerRequest(id);
      break;
    }
  }
}

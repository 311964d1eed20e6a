/**
 * Risk classes for `toolgate init` (PolicyLayer's risk taxonomy):
 * read, write, execute, destructive, financial — by deterministic pattern matching on the tool's
 * name (its leading verb first), its description and its annotations. No model in the loop.
 *
 * Annotations are hints and servers over-mark them (the Kommo server sets `destructiveHint` on all
 * nine non-read tools, including `create_lead`), so a recognised verb in the name wins over
 * `destructiveHint`; `readOnlyHint: true` wins for tools whose verb does not say otherwise.
 */

export type RiskClass = "read" | "write" | "execute" | "destructive" | "financial";

export interface ToolInfo {
  readonly name: string;
  readonly title?: string;
  readonly description?: string;
  readonly annotations?: {
    readonly readOnlyHint?: boolean;
    readonly destructiveHint?: boolean;
    readonly idempotentHint?: boolean;
    readonly openWorldHint?: boolean;
  };
}

export interface Classification {
  readonly tool: string;
  readonly risk: RiskClass;
  /** Why, in one clause: the evidence that decided. */
  readonly evidence: string;
}

const READ_VERBS = ["get", "list", "search", "read", "fetch", "find", "query", "describe", "show", "view", "ask", "count", "lookup", "check", "inspect", "browse", "download", "export", "retrieve", "preview"];
const WRITE_VERBS = ["create", "add", "update", "edit", "set", "move", "modify", "pin", "unpin", "patch", "put", "insert", "upsert", "rename", "assign", "attach", "link", "unlink", "tag", "untag", "complete", "close", "open", "post", "write", "save", "upload", "import", "append", "merge", "label", "comment", "reply", "mark", "change", "register", "enable", "disable", "sync", "copy", "duplicate"];
const EXECUTE_VERBS = ["run", "execute", "exec", "start", "stop", "launch", "trigger", "invoke", "eval", "evaluate", "restart", "deploy", "schedule", "cancel", "pause", "resume", "send", "dispatch", "call", "spawn", "shell", "apply", "publish", "broadcast", "notify", "kill", "reboot"];
const DESTRUCTIVE_VERBS = ["delete", "remove", "destroy", "drop", "purge", "wipe", "erase", "truncate", "revoke", "terminate", "uninstall", "clear", "reset", "overwrite", "unregister", "ban", "rm", "del"];
const FINANCIAL_WORDS = ["payment", "payments", "pay", "payout", "payouts", "charge", "charges", "refund", "refunds", "transfer", "transfers", "invoice", "invoices", "billing", "bill", "withdraw", "withdrawal", "deposit", "purchase", "checkout", "subscription", "subscriptions", "remittance", "wallet"];

/** Portuguese and Spanish verbs seen in descriptions of CRM tools (the Kommo server speaks Portuguese). */
const DESCRIPTION_VERBS: ReadonlyArray<readonly [RegExp, RiskClass]> = [
  [/\b(delete|remove|destroy|erase|purge|excluir|apagar|remover|eliminar|borrar)\b/i, "destructive"],
  [/\b(run|execute|start|stop|launch|trigger|parar|iniciar|executar|ejecutar|detener)\b/i, "execute"],
  [/\b(create|add|update|edit|move|modify|pin|unpin|criar|adicionar|atualizar|mover|fixar|crear|actualizar)\b/i, "write"],
  [/\b(get|list|search|read|fetch|show|ask|obter|listar|buscar|consultar)\b/i, "read"],
];

/** `stopSalesbot`, `stop-salesbot`, `stop_salesbot` → `["stop", "salesbot"]`. */
export function nameTokens(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((t) => t !== "");
}

function verbClass(token: string | undefined): RiskClass | undefined {
  if (token === undefined) return undefined;
  if (DESTRUCTIVE_VERBS.includes(token)) return "destructive";
  if (EXECUTE_VERBS.includes(token)) return "execute";
  if (WRITE_VERBS.includes(token)) return "write";
  if (READ_VERBS.includes(token)) return "read";
  return undefined;
}

export function classifyTool(tool: ToolInfo): Classification {
  const tokens = nameTokens(tool.name);
  const text = `${tool.title ?? ""} ${tool.description ?? ""}`;
  const hints = tool.annotations ?? {};
  const result = (risk: RiskClass, evidence: string): Classification => ({ tool: tool.name, risk, evidence });

  // The verb: the first name token that is a known verb (names may carry a prefix, e.g. `kommo_get_leads`).
  const verbIndex = tokens.findIndex((t) => verbClass(t) !== undefined);
  const verb = verbIndex === -1 ? undefined : tokens[verbIndex];
  const byVerb = verbClass(verb);

  const money = tokens.find((t) => FINANCIAL_WORDS.includes(t)) ?? /\b(payments?|payouts?|refunds?|invoices?|billing|money transfer|pagamento|reembolso|fatura)\b/i.exec(text)?.[1];
  if (money !== undefined && byVerb !== "read" && hints.readOnlyHint !== true) {
    return result("financial", `moves money: \`${money}\` in the ${tokens.includes(money) ? "name" : "description"}`);
  }
  if (byVerb === "destructive") return result("destructive", `the name's verb \`${verb}\` deletes or cannot be undone`);
  if (byVerb === "execute") return result("execute", `the name's verb \`${verb}\` starts or stops a process whose effects depend on the arguments`);
  if (byVerb === "write") return result("write", `the name's verb \`${verb}\` creates or changes data`);
  if (byVerb === "read") return result("read", `the name's verb \`${verb}\` only reads${hints.readOnlyHint === true ? " (readOnlyHint: true)" : ""}`);
  if (hints.readOnlyHint === true) return result("read", "annotated readOnlyHint: true");
  for (const [pattern, risk] of DESCRIPTION_VERBS) {
    const m = pattern.exec(text);
    if (m) return result(risk, `the description says \`${m[1]}\``);
  }
  if (hints.destructiveHint === true) return result("destructive", "annotated destructiveHint: true and no verb in the name says otherwise");
  return result("write", "no verb recognised and not annotated read-only: treated as a write");
}

/** The rule each class gets in the starter policy (PolicyLayer's per-category recommendations). */
export const RISK_RULES: Record<RiskClass, string> = {
  read: "read (low risk): allowed",
  write: "write (medium risk): 30 calls per minute per grant",
  execute: "execute (high risk): 10 calls per minute per grant",
  destructive: "destructive (critical): hidden and denied",
  financial: "financial (critical): each call needs a human approval",
};

export interface StarterPolicy {
  readonly version: "1";
  readonly description: string;
  readonly default: "deny";
  readonly hide?: string[];
  readonly tools: Record<string, Record<string, unknown>>;
}

/** A starter policy: one entry per tool with a `description` naming its class and why. */
export function starterPolicy(tools: readonly ToolInfo[], source: string): { policy: StarterPolicy; classes: Classification[] } {
  const classes = tools.map(classifyTool);
  const hide: string[] = [];
  const entries: Record<string, Record<string, unknown>> = {};
  for (const c of classes) {
    const description = `${RISK_RULES[c.risk]}; ${c.evidence}.`;
    switch (c.risk) {
      case "read":
        entries[c.tool] = { description };
        break;
      case "write":
        entries[c.tool] = { description, limits: [{ counter: `${c.tool}_rate`, window: "minute", max: 30, scope: "grant" }] };
        break;
      case "execute":
        entries[c.tool] = { description, limits: [{ counter: `${c.tool}_rate`, window: "minute", max: 10, scope: "grant" }] };
        break;
      case "destructive":
        hide.push(c.tool);
        entries[c.tool] = { description, action: "deny", reason: "Destructive tool: hidden by the starter policy; allow it explicitly if you need it." };
        break;
      case "financial":
        entries[c.tool] = { description, approval: true };
        break;
    }
  }
  const counts = (["read", "write", "execute", "destructive", "financial"] as const).map((r) => `${classes.filter((c) => c.risk === r).length} ${r}`).join(", ");
  const policy: StarterPolicy = {
    version: "1",
    description: `Starter policy from \`toolgate init\` for ${source}: ${counts}. Review every entry before use.`,
    default: "deny",
    ...(hide.length > 0 ? { hide } : {}),
    tools: entries,
  };
  return { policy, classes };
}

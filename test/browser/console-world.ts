/**
 * The world of the console's browser tests: `toolgate serve` over stdio in front of a
 * `kommo-sim` child (its effects file shows what reached the CRM), on a file clock, with the
 * admin listener and its console; and Debian's chromium driven by playwright-core (never a
 * downloaded browser). Tests skip with a reason when /usr/bin/chromium is missing.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { loadDefaultSeed } from "../../src/kommo/crm/load-seed.js";
import { INITIALIZE, startRawGateway, TOOLGATE_BIN, writeJson, type RawGateway } from "../fixtures/servers/gateway-process.js";
import { clockFile, kommoSimCommand, readEffectsFile, tempDir } from "../helpers/kommo-sim-process.js";
import { quoted } from "../integration/bridge-agents.js";

export const CHROMIUM = process.env.TOOLGATE_CHROMIUM ?? "/usr/bin/chromium";
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
export const ADMIN_TOKEN = "console-admin-token-4d8e2b7f91";
/** 10 s into a minute, so every call of a test falls inside one window. */
export const T0_MS = Date.UTC(2026, 2, 15, 12, 0, 10);

const seed = loadDefaultSeed();
/** The call that needs approval (its lead is the approval's condition). */
export const APPROVAL_ARGS = { bot_id: seed.salesbots[0]!.id, entity_id: seed.leads[0]!.id, entity_type: "leads" };
/** The same tool on another lead: no approval, only the limit. */
export const PLAIN_ARGS = { bot_id: seed.salesbots[0]!.id, entity_id: seed.leads[1]!.id, entity_type: "leads" };

export const POLICY = {
  version: "1",
  default: "allow",
  hide: ["delete_pipeline"],
  tools: {
    stop_salesbot: {
      approval: { conditions: [{ path: "args.entity_id", op: "eq", value: APPROVAL_ARGS.entity_id }], ttl: "10m" },
      limits: [{ counter: "stop_salesbot_rate", window: "minute", max: 10 }],
    },
    run_salesbot: { approval: { ttl: "5m" } },
    delete_lead: { action: "deny", reason: "leads are never deleted by agents" },
    list_leads: { limits: [{ counter: "reads", window: "minute", max: 60, scope: "global" }] },
  },
};

export interface ConsoleWorld {
  readonly dir: string;
  readonly policyFile: string;
  readonly auditFile: string;
  readonly gateway: RawGateway;
  readonly adminUrl: string;
  readonly browser: Browser;
  stops(): number;
  call(args: Record<string, unknown>): Promise<{ code: string; approvalId?: string; text: string }>;
  audit(): Record<string, unknown>[];
  close(): Promise<void>;
}

export async function startConsoleWorld(): Promise<ConsoleWorld> {
  const dir = tempDir("toolgate-console-");
  const effects = join(dir, "effects.jsonl");
  const auditFile = join(dir, "audit.jsonl");
  const policyFile = writeJson(dir, "policy.json", POLICY);
  const tokenFile = writeJson(dir, "admin-token", `${ADMIN_TOKEN}\n`);
  const clock = clockFile(dir, T0_MS);
  const upstream = quoted(kommoSimCommand(["--kommo-rps", "0", "--effects-file", effects]));
  const gateway = startRawGateway([TOOLGATE_BIN, "serve", "--policy", policyFile, "--upstream-cmd", upstream, "--audit", auditFile, "--admin-listen", "127.0.0.1:0", "--admin-token-file", tokenFile, "--console-show-args"], { TOOLGATE_CLOCK_FILE: clock.path });
  gateway.send(INITIALIZE);
  await gateway.answerFor("init", 30_000);
  gateway.send(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }));
  const deadline = Date.now() + 20_000;
  let adminUrl: string | undefined;
  while (adminUrl === undefined) {
    adminUrl = /"event":"admin_listening"[^\n]*"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(gateway.stderr())?.[1];
    if (adminUrl === undefined && Date.now() > deadline) throw new Error(`no admin_listening line; stderr:\n${gateway.stderr()}`);
    if (adminUrl === undefined) await new Promise((r) => setTimeout(r, 20));
  }
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
  let nextId = 1;
  return {
    dir,
    policyFile,
    auditFile,
    gateway,
    adminUrl,
    browser,
    stops: () => readEffectsFile(effects).filter((l) => l.kind === "effect" && l.effect === "stop").length,
    async call(args) {
      const id = nextId++;
      gateway.send(JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name: "stop_salesbot", arguments: args } }));
      const answer = (await gateway.answerFor(id, 30_000)) as { result: { content: Array<{ text: string }>; _meta?: Record<string, { code?: string; approvalId?: string }> } };
      const decision = answer.result._meta?.["toolgate/decision"];
      return { code: decision?.code ?? "allow", ...(decision?.approvalId ? { approvalId: decision.approvalId } : {}), text: answer.result.content[0]!.text };
    },
    audit: () => readFileSync(auditFile, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Record<string, unknown>),
    async close() {
      await browser.close().catch(() => undefined);
      await gateway.stop();
    },
  };
}

/**
 * The web console in a real browser (Debian's chromium, headless, driven by playwright-core)
 * against real processes: a human approves an agent's `stop_salesbot` from the queue, tightens
 * its limit in the policy editor, is shown an invalid edit at its path, and cannot be made to act
 * by a request without the CSRF token or from a foreign origin. With TOOLGATE_CONSOLE_SCREENSHOTS
 * set to a folder it also photographs every page at 1280 and 390 pixels wide.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { TOOLGATE_BIN } from "../fixtures/servers/gateway-process.js";
import { ADMIN_TOKEN, APPROVAL_ARGS, HAVE_CHROMIUM, PLAIN_ARGS, POLICY, startConsoleWorld, type ConsoleWorld } from "./console-world.js";

// Skipped only off CI: under CI a missing chromium fails (.ci/run installs it).
const run = HAVE_CHROMIUM || process.env.CI ? test : test.skip;
let world: ConsoleWorld;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  if (!HAVE_CHROMIUM && !process.env.CI) return;
  world = await startConsoleWorld();
  context = await world.browser.newContext({ viewport: { width: 1280, height: 860 } });
  page = await context.newPage();
  page.setDefaultTimeout(10_000);
}, 60_000);

afterAll(async () => {
  await world?.close();
});

async function auditLines(match: (l: Record<string, unknown>) => boolean): Promise<Record<string, unknown>[]> {
  await expect.poll(() => world.audit().filter(match).length, { timeout: 10_000 }).toBeGreaterThan(0);
  return world.audit().filter(match);
}

run("sign-in posts the token once and keeps a session cookie: HttpOnly, SameSite=Strict, never the token in a URL", async () => {
  const urls: string[] = [];
  page.on("request", (r) => urls.push(r.url()));
  await page.goto(`${world.adminUrl}/`);
  await page.getByLabel("Admin token").fill("not-the-token-at-all");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect.poll(() => page.getByRole("alert").textContent()).toBe("that is not the admin token");
  await page.getByLabel("Admin token").fill(ADMIN_TOKEN);
  await page.getByLabel("Your name (for the audit)").fill("ops-alice");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Approvals" }).waitFor();
  const cookies = await context.cookies();
  expect(cookies).toHaveLength(1);
  expect(cookies[0]).toMatchObject({ name: "toolgate_console", httpOnly: true, sameSite: "Strict", path: "/console", expires: -1 });
  expect(urls.filter((u) => u.includes(ADMIN_TOKEN))).toEqual([]);
  await page.reload();
  await page.getByRole("heading", { name: "Approvals" }).waitFor(); // still signed in
}, 60_000);

run("an agent's stop_salesbot that needs approval appears in the queue within a second; Approve lets the identical retry pass exactly once", async () => {
  await page.goto(`${world.adminUrl}/console/#/approvals`);
  await page.locator(".live.on").waitFor();
  const asked = await world.call(APPROVAL_ARGS);
  expect(asked.code).toBe("approval_required");
  const row = page.locator(`[data-testid=pending-approval][data-approval-id="${asked.approvalId}"]`);
  await row.waitFor({ timeout: 1_000 });
  await expect.poll(() => row.textContent()).toMatch(/stop_salesbot.*grant stdio.*expires in (10m 00s|9m [0-5]\ds)/s);
  expect(await row.locator("code.key").allTextContents()).toEqual(["bot_id", "entity_id", "entity_type"]);
  expect(await row.locator("code.digest").textContent()).toMatch(/^[0-9a-f]{64}$/);
  expect(JSON.parse((await row.getByTestId("args").textContent())!)).toEqual(APPROVAL_ARGS); // --console-show-args
  expect(world.stops()).toBe(0);
  await row.getByLabel("Reason").fill("checked with sales");
  await row.getByRole("button", { name: "Approve" }).click();
  await row.waitFor({ state: "detached" });
  const passed = await world.call(APPROVAL_ARGS);
  expect(passed.code).toBe("allow");
  expect(world.stops()).toBe(1);
  const again = await world.call(APPROVAL_ARGS);
  expect(again.code).toBe("approval_required");
  expect(again.approvalId).not.toBe(asked.approvalId);
  expect(world.stops()).toBe(1);
  const approved = await auditLines((l) => l.event === "approval" && l.step === "approved");
  expect(approved).toEqual([expect.objectContaining({ approvalId: asked.approvalId, decidedBy: "console:ops-alice", reason: "checked with sales" })]);
}, 60_000);

run("changing stop_salesbot's max from 10 to 5 in the editor and saving makes the 6th call of the minute rate_limited, counters kept", async () => {
  for (let i = 0; i < 3; i++) expect((await world.call(PLAIN_ARGS)).code).toBe("allow"); // 4 calls counted with the approved one
  await page.goto(`${world.adminUrl}/console/#/policy`);
  const max = page.locator("[data-testid=edit-tool][data-tool=stop_salesbot] [data-testid=limit-max]");
  expect(await max.inputValue()).toBe("10");
  await max.fill("5");
  await max.press("Tab");
  await expect.poll(() => page.locator("[data-testid=diff] .add").allTextContents()).toEqual([expect.stringMatching(/^\+ +"max": 5,?$/)]);
  await page.getByTestId("save").click();
  await expect.poll(() => page.getByTestId("save-status").textContent()).toMatch(/^Saved and reloaded \(applied\)/);
  const onDisk = JSON.parse(readFileSync(world.policyFile, "utf8")) as { tools: { stop_salesbot: { limits: Array<{ max: number }> } } };
  expect(onDisk.tools.stop_salesbot.limits[0]!.max).toBe(5);
  expect((await world.call(PLAIN_ARGS)).code).toBe("allow");
  const sixth = await world.call(PLAIN_ARGS);
  expect(sixth.code).toBe("rate_limited");
  expect(world.stops()).toBe(5);
  await page.goto(`${world.adminUrl}/console/#/servers`);
  const counter = page.locator("[data-testid=tool-row][data-tool=stop_salesbot] [data-testid=counter]");
  await expect.poll(() => counter.textContent()).toMatch(/stop_salesbot_rate.*5 \/ 5.*resets in 50s/s);
}, 60_000);

run("an invalid edit shows the error at its path, as toolgate validate prints it, and changes nothing on disk", async () => {
  const before = readFileSync(world.policyFile, "utf8");
  await page.goto(`${world.adminUrl}/console/#/policy`);
  const max = page.locator("[data-testid=edit-tool][data-tool=stop_salesbot] [data-testid=limit-max]");
  await max.fill("-1");
  await max.press("Tab");
  const at = page.locator('[data-testid=edit-tool][data-tool=stop_salesbot] [data-testid=issue-at][data-path="tools.stop_salesbot.limits[0].max"]');
  await at.waitFor();
  const shown = await page.locator("[data-testid=issues] li").allTextContents();
  const candidate = join(world.dir, "candidate.json");
  const edited = JSON.parse(before) as typeof POLICY;
  edited.tools.stop_salesbot.limits[0]!.max = -1;
  writeFileSync(candidate, JSON.stringify(edited));
  const validate = spawnSync(process.execPath, [TOOLGATE_BIN, "validate", candidate], { encoding: "utf8" });
  expect(validate.status).toBe(1);
  expect(shown.map((l) => l.replace(/^[^:]+: /, ""))).toEqual(validate.stderr.trim().split("\n").map((l) => l.replace(/^[^:]+: /, "")));
  expect(await page.getByTestId("save").isDisabled()).toBe(true);
  await page.getByRole("tab", { name: "Raw JSON" }).click();
  await page.getByTestId("raw-json").fill('{"version": "1", "default": "sometimes"}');
  await page.locator('[data-testid=issues] li[data-path="default"]').waitFor();
  expect(readFileSync(world.policyFile, "utf8")).toBe(before);
  await page.getByRole("button", { name: "Discard changes" }).click();
  await page.locator("[data-testid=issues]").waitFor({ state: "detached" });
}, 60_000);

run("a save against a file changed since the edit began is refused with the diff; the edit stays in the page", async () => {
  await page.goto(`${world.adminUrl}/console/#/policy`);
  await page.getByRole("tab", { name: "Tools" }).click();
  const max = page.locator("[data-testid=edit-tool][data-tool=stop_salesbot] [data-testid=limit-max]");
  await max.fill("4");
  await max.press("Tab");
  await page.locator("[data-testid=diff] .add").first().waitFor();
  const theirs = readFileSync(world.policyFile, "utf8").replace('"delete_pipeline"', '"delete_pipeline", "delete_contact"');
  writeFileSync(world.policyFile, theirs);
  await page.getByTestId("save").click();
  await page.getByTestId("conflict").waitFor();
  expect(await page.locator("[data-testid=conflict] .del").allTextContents()).toEqual(expect.arrayContaining([expect.stringMatching(/"delete_contact"/)]));
  expect(readFileSync(world.policyFile, "utf8")).toBe(theirs);
  expect(await max.inputValue()).toBe("4");
}, 60_000);

run("a new approval request raises a desktop notification once the browser allows them", async () => {
  const notes = await world.browser.newContext({ viewport: { width: 1280, height: 860 } });
  await notes.grantPermissions(["notifications"], { origin: world.adminUrl });
  await notes.addInitScript(() => {
    const seen: string[] = [];
    (globalThis as unknown as { seenNotifications: string[] }).seenNotifications = seen;
    class Recorder {
      static permission = "granted";
      static requestPermission = async () => "granted";
      constructor(title: string) {
        seen.push(title);
      }
    }
    (globalThis as unknown as { Notification: unknown }).Notification = Recorder;
  });
  const tab = await notes.newPage();
  await tab.goto(`${world.adminUrl}/console/`);
  await tab.getByLabel("Admin token").fill(ADMIN_TOKEN);
  await tab.getByRole("button", { name: "Sign in" }).click();
  await tab.locator(".live.on").waitFor();
  const before = await tab.locator("[data-testid=pending-approval]").count();
  const asked = await world.call({ ...APPROVAL_ARGS, bot_id: APPROVAL_ARGS.bot_id + 1000 }); // new arguments: a new approval
  expect(asked.code).toBe("approval_required");
  await tab.locator(`[data-approval-id="${asked.approvalId}"]`).waitFor();
  expect(await tab.locator("[data-testid=pending-approval]").count()).toBe(before + 1);
  expect(await tab.evaluate(() => (globalThis as unknown as { seenNotifications: string[] }).seenNotifications)).toEqual(["Approval needed: stop_salesbot"]);
  await notes.close();
}, 60_000);

run("a state change without the CSRF token, or from a foreign Origin, is refused", async () => {
  await page.goto(`${world.adminUrl}/console/#/approvals`);
  const noCsrf = await page.evaluate(async () => {
    const r = await fetch("/console/api/approvals/apr_x/approve", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
    return { status: r.status, body: await r.json() };
  });
  expect(noCsrf).toEqual({ status: 403, body: { error: { code: "csrf", message: "a state change needs the page's `X-CSRF-Token`" } } });
  const session = await page.evaluate(async () => (await (await fetch("/console/api/session")).json()) as { csrf: string });
  const cookie = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
  const foreign = await fetch(`${world.adminUrl}/console/api/approvals/apr_x/approve`, { method: "POST", headers: { "Content-Type": "application/json", Cookie: cookie, "X-CSRF-Token": session.csrf, Origin: "http://evil.example" }, body: "{}" });
  expect(foreign.status).toBe(403);
  expect(((await foreign.json()) as { error: { code: string } }).error.code).toBe("forbidden_origin");
  const sameButRight = await fetch(`${world.adminUrl}/console/api/approvals/apr_x/approve`, { method: "POST", headers: { "Content-Type": "application/json", Cookie: cookie, "X-CSRF-Token": session.csrf, Origin: world.adminUrl }, body: "{}" });
  expect(sameButRight.status).toBe(404); // the control: with both, the request reaches the route
}, 60_000);

run("screenshots of every page at 1280 and 390 pixels wide (when TOOLGATE_CONSOLE_SCREENSHOTS names a folder)", async () => {
  const folder = process.env.TOOLGATE_CONSOLE_SCREENSHOTS;
  const pages = ["approvals", "servers", "policy", "activity"] as const;
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: width === 390 ? 844 : 860 });
    for (const name of pages) {
      await page.goto(`${world.adminUrl}/console/#/${name}`);
      await page.locator("main h1").waitFor();
      await page.locator("main .muted", { hasText: "Loading…" }).waitFor({ state: "detached" });
      if (name === "servers") await page.locator("[data-testid=tool-row]").first().waitFor();
      if (name === "activity") await page.locator("[data-testid=activity-row]").first().waitFor();
      if (folder) await page.screenshot({ path: join(folder, `${name}-${width}.png`), fullPage: width === 1280 && name !== "servers" });
    }
  }
  const row = page.locator("[data-testid=activity-row]").first();
  await row.click();
  await page.getByTestId("decision-record").locator("pre").first().waitFor();
  expect(JSON.parse((await page.getByTestId("decision-record").locator("pre").first().textContent())!)).toMatchObject({ decisionId: expect.any(String), tool: "stop_salesbot" });
  if (folder) await page.screenshot({ path: join(folder, "activity-record-390.png") });
}, 60_000);

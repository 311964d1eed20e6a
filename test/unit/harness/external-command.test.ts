/**
 * The template fill quotes each placeholder for where it stands, the libfaketime stamp reads back
 * to the exact millisecond, and a capability profile's bad input is named by file and path.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { loadProfile, settingsFlags, TOOLGATE_PROFILE } from "../../../src/harness/capability-profile.js";
import { faketimeStamp } from "../../../src/harness/external-time.js";
import { fillTemplate } from "../../../src/harness/gateway-command.js";
import { splitCommand } from "../../../src/transports/split-command.js";

const upstream = "env -u LD_PRELOAD node '/tmp/a b/toolgate.mjs' kommo-sim --seed \"/tmp/s.json\"";

test.each(['serve --upstream-cmd "{upstream}"', "serve --upstream-cmd {upstream}", "serve --upstream-cmd '{upstream}'"])("`%s` passes the upstream command line as one word", (template) => {
  expect(splitCommand(fillTemplate(template, { upstream }))).toEqual(["serve", "--upstream-cmd", upstream]);
});

test("{settings} is filled with flags, other placeholders with one word each, unknown braces left alone", () => {
  expect(splitCommand(fillTemplate("gw {settings} --grant {grant} --x {other}", { settings: "--shadow --upstream-timeout-ms 5000", grant: "al ice" }))).toEqual(["gw", "--shadow", "--upstream-timeout-ms", "5000", "--grant", "al ice", "--x", "{other}"]);
});

test("a libfaketime stamp carries the millisecond plus half a millisecond, in UTC", () => {
  expect(faketimeStamp(Date.UTC(2026, 0, 1, 0, 0, 15, 600))).toBe("2026-01-01 00:00:15.600500");
  expect(faketimeStamp(Date.UTC(2026, 0, 1))).toBe("2026-01-01 00:00:00.000500");
});

test("the toolgate profile renders a scenario's gateway settings as flags; a profile without them names what is missing", () => {
  expect(settingsFlags(TOOLGATE_PROFILE, { upstreamTimeoutMs: 5000, shadow: true })).toEqual({ ok: true, flags: "--upstream-timeout-ms 5000 --shadow" });
  expect(settingsFlags({ ...TOOLGATE_PROFILE, settings: {} }, { approvalMode: "hold" })).toEqual({ ok: false, missing: ["approvalMode"] });
});

test("a bad capability profile is named by file and JSON path", () => {
  const dir = mkdtempSync(join(tmpdir(), "toolgate-profile-"));
  const file = join(dir, "profile.json");
  writeFileSync(file, JSON.stringify({ version: "1", capabilities: ["stdio", "teleport"] }));
  const bad = loadProfile(file);
  expect(bad.ok).toBe(false);
  if (!bad.ok) expect(bad.message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: capabilities\\[1\\]: `));
  writeFileSync(file, "{");
  const broken = loadProfile(file);
  if (!broken.ok) expect(broken.message).toMatch(/: \(root\): invalid JSON at line 1, column 2/);
  expect(broken.ok).toBe(false);
  writeFileSync(file, JSON.stringify({ version: "1", capabilities: ["http"], settings: { shadow: "--shadow" } }));
  const good = loadProfile(file);
  expect(good.ok && [...good.value.capabilities]).toEqual(["http"]);
});

import { expect, test } from "vitest";
import { main } from "../../../src/cli/main.js";
import { capturedIo } from "../../helpers/captured-io.js";

const io = () => capturedIo();

const COMMANDS = ["serve", "approvals", "kommo-sim", "validate", "check", "replay", "scenario", "init", "bench"];

test("toolgate --help lists every command and exits 0", async () => {
  const c = io();
  expect(await main(["--help"], c.io)).toBe(0);
  for (const name of COMMANDS) expect(c.out()).toContain(`  ${name} `);
});

test.each(COMMANDS)("toolgate %s --help prints the command's synopsis and exits 0 without running it", async (name) => {
  const c = io();
  expect(await main([name, "--help"], c.io)).toBe(0);
  expect(c.out()).toContain(`usage: toolgate ${name}`);
  expect(c.err()).toBe("");
});

test("an unknown command is a usage error that names it", async () => {
  const c = io();
  expect(await main(["serv"], c.io)).toBe(2);
  expect(c.err()).toContain("unknown command `serv`");
});

test("no command at all prints the usage on stderr and exits 2", async () => {
  const c = io();
  expect(await main([], c.io)).toBe(2);
  expect(c.err()).toContain("usage: toolgate <command>");
});

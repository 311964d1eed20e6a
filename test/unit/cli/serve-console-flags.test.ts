import { expect, test } from "vitest";
import { parseServeArgs } from "../../../src/cli/serve.js";

const base = ["--policy", "p.json", "--upstream-cmd", "node server.js"];
const env = { TOOLGATE_ADMIN_TOKEN: "console-flag-token-0123456789" };

test("--console-show-args turns on argument values in the console's queue, and needs the admin listener", () => {
  expect(parseServeArgs(base, "/tmp", env).consoleShowArgs).toBe(false);
  expect(parseServeArgs([...base, "--admin-listen", "127.0.0.1:7410", "--console-show-args"], "/tmp", env).consoleShowArgs).toBe(true);
  expect(() => parseServeArgs([...base, "--console-show-args"], "/tmp", env)).toThrow("flag `--console-show-args` needs `--admin-listen HOST:PORT` (the console is served there)");
  expect(() => parseServeArgs([...base, "--admin-listen", "127.0.0.1:7410", "--console-show-args=yes"], "/tmp", env)).toThrow();
});

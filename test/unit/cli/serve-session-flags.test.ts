/**
 * `toolgate serve` flags for bounded cost per agent: `--upstream-sharing`, `--max-sessions-per-grant`
 * and `--session-idle-ms`, their defaults, and every bad value refused with its message.
 */
import { expect, test } from "vitest";
import { UsageError } from "../../../src/cli/args.js";
import { parseServeArgs } from "../../../src/cli/serve/serve-config.js";
import { DEFAULT_MAX_SESSIONS_PER_GRANT, DEFAULT_SESSION_IDLE_MS } from "../../../src/gateway/http/http-front.js";

const BASE = ["--policy", "p.json", "--upstream-cmd", "x", "--listen", "127.0.0.1:0"];
const parse = (...extra: string[]) => parseServeArgs([...BASE, ...extra], "/tmp", {});
const refusal = (args: string[]): string => {
  try {
    parseServeArgs(args, "/tmp", {});
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error(`expected a usage error for ${args.join(" ")}`);
};

test("the defaults: sharing auto, 100 sessions per grant, sessions idle for 30 minutes expire", () => {
  const config = parse();
  expect(config.upstreamSharing).toBe("auto");
  expect(config.maxSessionsPerGrant).toBe(DEFAULT_MAX_SESSIONS_PER_GRANT);
  expect(DEFAULT_MAX_SESSIONS_PER_GRANT).toBe(100);
  expect(config.sessionIdleMs).toBe(DEFAULT_SESSION_IDLE_MS);
  expect(DEFAULT_SESSION_IDLE_MS).toBe(30 * 60_000);
});

test("given values are taken; a smaller --max-sessions lowers the per-grant default to it", () => {
  expect(parse("--upstream-sharing", "per-session").upstreamSharing).toBe("per-session");
  expect(parse("--upstream-sharing", "shared").upstreamSharing).toBe("shared");
  expect(parse("--max-sessions-per-grant", "7").maxSessionsPerGrant).toBe(7);
  expect(parse("--session-idle-ms", "5000").sessionIdleMs).toBe(5000);
  expect(parse("--max-sessions", "20").maxSessionsPerGrant).toBe(20);
});

test("bad values are refused with what was found and what was expected", () => {
  expect(refusal([...BASE, "--upstream-sharing", "always"])).toBe("flag `--upstream-sharing`: expected `auto`, `shared`, `per-session`, found `always`");
  expect(refusal([...BASE, "--max-sessions-per-grant", "0"])).toBe("flag `--max-sessions-per-grant`: expected a whole number ≥ 1, found `0`");
  expect(refusal([...BASE, "--max-sessions-per-grant", "2.5"])).toBe("flag `--max-sessions-per-grant`: expected a whole number ≥ 1, found `2.5`");
  expect(refusal([...BASE, "--max-sessions", "10", "--max-sessions-per-grant", "11"])).toBe("flag `--max-sessions-per-grant`: found `11`, more than `--max-sessions` (10); expected at most 10");
  expect(refusal([...BASE, "--session-idle-ms", "soon"])).toBe("flag `--session-idle-ms`: expected a whole number ≥ 1, found `soon`");
});

test("the session flags need --listen", () => {
  const stdio = ["--policy", "p.json", "--upstream-cmd", "x"];
  expect(refusal([...stdio, "--upstream-sharing", "shared"])).toBe("flag `--upstream-sharing` needs `--listen HOST:PORT`");
  expect(refusal([...stdio, "--max-sessions-per-grant", "3"])).toBe("flag `--max-sessions-per-grant` needs `--listen HOST:PORT`");
  expect(refusal([...stdio, "--session-idle-ms", "3"])).toBe("flag `--session-idle-ms` needs `--listen HOST:PORT`");
});

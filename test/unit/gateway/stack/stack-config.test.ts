/**
 * The gateway config file: every issue at its file and JSON path, with what was found and what
 * was expected; policies load relative to the config; stack limits compile onto one counter.
 */
import { expect, test } from "vitest";
import { loadStackConfigText, formatConfigIssues } from "../../../../src/gateway/stack/stack-config.js";
import { StackNaming } from "../../../../src/gateway/stack/stack-naming.js";

const POLICY = JSON.stringify({ version: "1", default: "deny", tools: { stop_salesbot: {} } });
const files: Record<string, string> = { "/cfg/kommo.json": POLICY, "/cfg/memory.json": JSON.stringify({ version: "1", default: "allow" }) };
const read = (path: string): string => {
  const text = files[path];
  if (text === undefined) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
  return text;
};
const load = (value: unknown) => loadStackConfigText(JSON.stringify(value), "/cfg/stack.json", read);
const issues = (value: unknown) => {
  const loaded = load(value);
  if (loaded.ok) throw new Error("expected issues");
  return formatConfigIssues(loaded.issues);
};

test("a valid config: servers with resolved paths, the stack default, stack limits on one counter", () => {
  const loaded = load({
    version: "1",
    servers: { kommo: { command: "node", args: ["sim.js"], cwd: "sub", policy: "kommo.json" }, memory: { url: "http://127.0.0.1:9/mcp", headers: { "x-key": "k" }, policy: "memory.json", onStartFailure: "fail" } },
    stack: { limits: [{ counter: "writes", window: "minute", max: 60, tools: ["kommo/create_*", "memory/*"] }] },
  });
  expect(loaded.ok).toBe(true);
  if (!loaded.ok) return;
  const { servers, stackPolicy, stackLimits, separator } = loaded.value;
  expect(separator).toBe("__");
  expect(servers.map((s) => [s.name, s.policyFile, s.onStartFailure])).toEqual([
    ["kommo", "/cfg/kommo.json", "serve_rest"],
    ["memory", "/cfg/memory.json", "fail"],
  ]);
  expect(servers[0]!.transport).toEqual({ kind: "cmd", command: "node", args: ["sim.js"], env: {}, cwd: "/cfg/sub" });
  expect(stackPolicy.defaultDecision).toBe("deny");
  expect(stackLimits[0]!.limit).toMatchObject({ rule: "/stack/limits/0", counter: "writes", max: 60, spansServers: true });
  expect(stackLimits[0]!.matches("kommo", "create_lead")).toBe(true);
  expect(stackLimits[0]!.matches("kommo", "stop_salesbot")).toBe(false);
  expect(stackLimits[0]!.matches("memory", "anything")).toBe(true);
});

test("bad server names, a server that is neither command nor URL, and a bad separator are named at their paths", () => {
  const text = issues({ version: "1", separator: "--", servers: { ok: { policy: "kommo.json" }, web: { url: "ftp://x/mcp", policy: "kommo.json" } } });
  expect(text).toContain("/cfg/stack.json: separator: found `\"--\"`, expected a separator containing `_`");
  expect(text).toContain("servers.ok: found an object, expected a server with `command`");
  expect(text).toContain("servers.web.url: expected an http(s) URL");
  expect(issues({ version: "1", servers: { Kommo_1: { command: "x", policy: "kommo.json" } } })).toContain('/cfg/stack.json: servers["Kommo_1"]: found the server name `Kommo_1`, expected at most 32 lower-case letters');
});

test("unknown keys, a missing policy file and an invalid policy are reported with the file they are in", () => {
  files["/cfg/broken.json"] = JSON.stringify({ version: "1", default: "maybe" });
  const text = issues({ version: "1", servers: { a: { command: "x", policy: "nope.json" }, b: { command: "x", policy: "broken.json" } } });
  expect(text).toContain("/cfg/stack.json: servers.a.policy: cannot read the policy file `/cfg/nope.json`: ENOENT");
  expect(text).toContain("/cfg/broken.json: default: found `\"maybe\"`, expected `\"allow\"` or `\"deny\"`");
  expect(issues({ version: "1", servers: { c: { command: "x", policy: "kommo.json", retries: 3 } } })).toContain("servers.c.retries: unknown key");
});

test("a stack limit naming a server the config does not have, or a pattern without a server, is refused", () => {
  const limit = (tools: string[]) => ({ version: "1", servers: { kommo: { command: "x", policy: "kommo.json" } }, stack: { limits: [{ counter: "w", window: "minute", max: 1, tools }] } });
  expect(issues(limit(["github/create_issue"]))).toContain("stack.limits[0].tools[0]: found server `github`, expected one of the config's servers (`kommo`)");
  expect(issues(limit(["kommo/x", "create_lead"]))).toContain("stack.limits[0].tools[1]: expected a `server/tool` pattern");
});

test("duplicate keys, bad JSON and no servers are refused", () => {
  const dup = loadStackConfigText('{"version":"1","servers":{"a":{"command":"x","policy":"kommo.json"},"a":{"command":"y","policy":"kommo.json"}}}', "/cfg/stack.json", read);
  expect(dup.ok ? "" : formatConfigIssues(dup.issues)).toMatch(/duplicate|twice/);
  expect(loadStackConfigText("{not json", "/cfg/stack.json", read).ok).toBe(false);
  expect(issues({ version: "1", servers: {} })).toContain("servers: found no servers, expected at least one");
});

test("exposed names split one way only and never name another server's tool", () => {
  const naming = new StackNaming(["kommo", "google-drive"], "__");
  expect(naming.exposeName("kommo", "stop_salesbot")).toBe("kommo__stop_salesbot");
  expect(naming.split("tool", "kommo__stop__x")).toEqual({ server: "kommo", name: "stop__x" });
  expect(naming.split("tool", "google-drive__list")).toEqual({ server: "google-drive", name: "list" });
  expect(naming.split("tool", "github__x")).toBeUndefined();
  expect(naming.split("tool", "stop_salesbot")).toBeUndefined();
  expect(naming.split("resource", "kommo+kommo://account")).toEqual({ server: "kommo", name: "kommo://account" });
  expect(naming.exposeName("kommo", "ferramenta_中文")).toBeUndefined();
  expect(naming.exposeName("kommo", "x".repeat(122))).toBeUndefined();
  expect(naming.exposeName("kommo", "x".repeat(121))).toHaveLength(128);
});

test("serve --config refuses the single-server flags and --grants, naming the flag; --listen is taken", async () => {
  const { parseServeArgs } = await import("../../../../src/cli/serve/serve-config.js");
  expect(parseServeArgs(["--config", "stack.json"], "/cfg").upstream).toEqual({ kind: "stack", configFile: "/cfg/stack.json" });
  expect(() => parseServeArgs(["--config", "s.json", "--policy", "p.json"], "/cfg")).toThrow("flag `--policy` cannot be combined with `--config FILE`");
  expect(() => parseServeArgs(["--config", "s.json", "--upstream-cmd", "x"], "/cfg")).toThrow("flag `--upstream-cmd` cannot be combined with `--config FILE`");
  expect(parseServeArgs(["--config", "s.json", "--listen", "127.0.0.1:0"], "/cfg").listen).toEqual({ host: "127.0.0.1", port: 0 });
  expect(() => parseServeArgs(["--config", "s.json", "--listen", "127.0.0.1:0", "--grants", "g.json"], "/cfg")).toThrow("flag `--grants` cannot be combined with `--config FILE`: write the grants in the config's `grants`");
  expect(() => parseServeArgs([], "/cfg")).toThrow("flag `--policy FILE` (or `--config FILE`) is required");
});

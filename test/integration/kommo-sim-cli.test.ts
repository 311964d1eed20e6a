/** `toolgate kommo-sim` flag and seed errors, run in-process through the CLI dispatcher (no child needed). */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { expect, test } from "vitest";
import { main } from "../../src/cli/main.js";
import { parseKommoSimFlags } from "../../src/cli/kommo-sim.js";
import { tempDir } from "../helpers/kommo-sim-process.js";

async function runCli(argv: string[]): Promise<{ code: number; stderr: string }> {
  const stderr = new PassThrough();
  let text = "";
  stderr.on("data", (chunk: Buffer) => (text += chunk.toString()));
  const code = await main(["kommo-sim", ...argv], { stdout: new PassThrough(), stderr, stdin: new PassThrough(), env: {}, cwd: tempDir() });
  return { code, stderr: text };
}

test.each([
  [["--schema", "v4"], "toolgate kommo-sim: flag `--schema`: expected `v2` or `v3`, found `v4`\n"],
  [["--protocol", "2025-11-25"], "toolgate kommo-sim: flag `--protocol`: expected `any` or `2026-07-28`, found `2025-11-25`\n"],
  [["--kommo-rps", "-1"], "toolgate kommo-sim: flag `--kommo-rps`: expected a whole number of requests per second (0 = off), found `-1`\n"],
  [["--listen", "nowhere"], "toolgate kommo-sim: flag `--listen`: expected HOST:PORT, found `nowhere`\n"],
  [["--rest-tls", "c.pem", "k.pem"], "toolgate kommo-sim: flag `--rest-tls` needs `--rest HOST:PORT`\n"],
  [["--verbose"], "toolgate kommo-sim: unknown flag `--verbose`; expected one of: --listen, --rest, --rest-tls, --seed, --confirm-writes, --schema, --protocol, --kommo-rps, --effects-file, --rest-port-file\n"],
])("bad flags %j exit 2 with a clear message", async (argv, message) => {
  expect(await runCli(argv)).toEqual({ code: 2, stderr: message });
});

test("an unreadable or invalid seed file exits 1 naming the file and the JSON path", async () => {
  const dir = tempDir();
  const missing = await runCli(["--seed", join(dir, "missing.json")]);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toContain(`${join(dir, "missing.json")}: cannot read the seed file`);
  const notJson = join(dir, "broken.json");
  writeFileSync(notJson, "{");
  expect((await runCli(["--seed", notJson])).stderr).toMatch(new RegExp(`^${notJson}: \\(root\\): expected a JSON CRM seed, found invalid JSON`));
  const wrong = join(dir, "wrong.json");
  writeFileSync(wrong, JSON.stringify({ account: 1 }));
  const invalid = await runCli(["--seed", wrong]);
  expect(invalid.code).toBe(1);
  expect(invalid.stderr).toContain(`${wrong}: account: `);
});

test("flags parse into the simulator's options with their defaults", () => {
  expect(parseKommoSimFlags([])).toEqual({
    listen: undefined,
    rest: undefined,
    restTls: undefined,
    seedFile: undefined,
    confirmWrites: false,
    schema: "v3",
    protocol: "any",
    kommoRps: undefined,
    effectsFile: undefined,
  });
  expect(parseKommoSimFlags(["--listen", "127.0.0.1:0", "--rest", "7443", "--rest-tls", "c.pem", "k.pem", "--confirm-writes", "--schema", "v2", "--protocol", "2026-07-28", "--kommo-rps", "0"])).toMatchObject({
    listen: { host: "127.0.0.1", port: 0 },
    rest: { host: "127.0.0.1", port: 7443 },
    restTls: { certFile: "c.pem", keyFile: "k.pem" },
    confirmWrites: true,
    schema: "v2",
    protocol: "2026-07-28",
    kommoRps: 0,
  });
});

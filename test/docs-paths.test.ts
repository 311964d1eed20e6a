/**
 * docs/architecture.md tells a newcomer which file holds each concept. Every source file it names
 * must exist, so the page cannot drift from the tree unnoticed.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { expect, test } from "vitest";

const ROOT = join(import.meta.dirname, "..");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(path) : [relative(join(ROOT, "src"), path)];
  });
}

test("every source file docs/architecture.md names exists under src/", () => {
  const files = sourceFiles(join(ROOT, "src"));
  const named = [...readFileSync(join(ROOT, "docs/architecture.md"), "utf8").matchAll(/`([a-z0-9/-]+\.ts)`/g)].map((m) => m[1]!);
  expect(named.length).toBeGreaterThan(40);
  const missing = named.filter((name) => !files.some((file) => file === name || file.endsWith(`/${name}`)));
  expect(missing).toEqual([]);
});

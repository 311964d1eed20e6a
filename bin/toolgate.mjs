#!/usr/bin/env node
// Entry point. An installed package (`npm pack`, see README "Installing") has dist/ and no src/:
// it runs dist/ and needs nothing else. In a clone it runs dist/ when that is newer than every
// source file (see scripts/build.mjs), otherwise the TypeScript sources through tsx (a dev
// dependency). TOOLGATE_FROM_SOURCE=1 forces the sources.
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

function newestMtimeMs(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const mtime = entry.isDirectory() ? newestMtimeMs(path) : statSync(path).mtimeMs;
    if (mtime > newest) newest = mtime;
  }
  return newest;
}

function buildIsFresh() {
  if (!existsSync(join(root, "src"))) return true; // an installed package: dist/ is all there is
  if (process.env.TOOLGATE_FROM_SOURCE) return false;
  try {
    return statSync(join(root, "dist", ".build-stamp")).mtimeMs >= newestMtimeMs(join(root, "src"));
  } catch {
    return false;
  }
}

let main;
if (buildIsFresh()) {
  // The bundle when the build made one (scripts/build.mjs), else tsc's output.
  ({ main } = await import(existsSync(join(root, "dist", "bundle", "main.js")) ? "../dist/bundle/main.js" : "../dist/cli/main.js"));
} else {
  const { register } = await import("tsx/esm/api");
  register();
  ({ main } = await import("../src/cli/main.ts"));
}
process.exitCode = await main(process.argv.slice(2));

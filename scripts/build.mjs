// Compiles src/ to dist/ (tsc, tsconfig.build.json) so that `toolgate` starts in ~0.15 s and runs
// without a TypeScript loader in the hot path. Run by `npm install` / `npm ci` (prepare) and by
// `npm run build`. bin/toolgate.mjs uses dist/ only while it is newer than every file in src/,
// and falls back to running the sources through tsx otherwise, so an edit is never shadowed by a
// stale build. A failed build removes the stamp (the sources still run) and says why.
import { spawnSync } from "node:child_process";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const stamp = join(root, "dist", ".build-stamp");
let tsc;
try {
  // typescript's exports map hides bin/, so find the package and join the path.
  tsc = join(dirname(createRequire(join(root, "package.json")).resolve("typescript/package.json")), "bin", "tsc");
} catch {
  console.warn("build: typescript is not installed (production install?); toolgate will run its sources through tsx");
  process.exit(0);
}
rmSync(stamp, { force: true });
const result = spawnSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json")], { cwd: root, stdio: "inherit" });
if (result.status !== 0) {
  console.warn(`build: tsc failed (exit ${result.status}); toolgate will run its sources through tsx until the build passes`);
  process.exit(process.env.TOOLGATE_BUILD_STRICT ? 1 : 0);
}
if (existsSync(join(root, "dist", "cli", "main.js"))) writeFileSync(stamp, `${new Date().toISOString()}\n`);

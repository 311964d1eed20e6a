// Compiles src/ to dist/ (tsc, tsconfig.build.json) so that toolgate runs without a TypeScript
// loader in the hot path, then bundles the CLI into dist/bundle/ (esbuild, which comes with tsx;
// one chunk per lazily loaded command), which bin/toolgate.mjs prefers: reading and compiling a
// few files instead of some 400 (toolgate's and zod's) takes start-up from ~210 ms to ~140 ms
// here (docs/benchmarks.md). Run by `npm install` / `npm ci` (prepare) and by
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
const bundleDir = join(root, "dist", "bundle");
rmSync(bundleDir, { recursive: true, force: true });
try {
  const { build } = await import("esbuild");
  await build({
    entryPoints: [join(root, "src", "cli", "main.ts")],
    outdir: bundleDir,
    bundle: true,
    splitting: true,
    platform: "node",
    format: "esm",
    target: "node20",
    // Packages loaded at run time with `require` (ajv, lazily) resolve from node_modules as from dist/.
    banner: { js: 'import { createRequire as __toolgateCreateRequire } from "node:module"; const require = __toolgateCreateRequire(import.meta.url);' },
    // Loaded at run time from node_modules: the bench's own bundler, and OpenTelemetry (loaded only
    // when tracing is on; a bundled dynamic import of it misses its CommonJS exports, which
    // test/integration/tracing-otlp.test.ts catches).
    external: ["esbuild", "@opentelemetry/*"],
    // Less to parse at start-up; identifiers are kept, so stack traces still name functions.
    minifyWhitespace: true,
    minifySyntax: true,
    logLevel: "error",
    absWorkingDir: root,
  });
} catch (error) {
  rmSync(bundleDir, { recursive: true, force: true });
  console.warn(`build: the bundle was not made (${error instanceof Error ? error.message : String(error)}); toolgate runs dist/cli/ instead`);
}
if (existsSync(join(root, "dist", "cli", "main.js"))) writeFileSync(stamp, `${new Date().toISOString()}\n`);

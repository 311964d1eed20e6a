/**
 * Plain-JavaScript builds for the bench, made once per run with esbuild (the bundler tsx itself
 * runs on; not a declared dependency of toolgate, it comes with tsx): the bench worker (upstream,
 * client, micro-benches, soak), so no loader sits in a process that is not under test; and
 * optionally toolgate's CLI, to measure what running through tsx costs the gateway.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface BenchBuild {
  readonly dir: string;
  /** `node <workerJs> <mode> …` */
  readonly workerJs: string;
  /** `node <relayJs> stdio|http …`: the bench's floors, bundled alone (`relay-main.ts`). */
  readonly relayJs: string;
  /** `node <toolgateJs> serve …`: toolgate without tsx (only when asked for). */
  readonly toolgateJs: string | undefined;
  remove(): void;
}

const BANNER = "import { createRequire as __benchCreateRequire } from 'node:module'; const require = __benchCreateRequire(import.meta.url);";

export async function buildBenchArtifacts(root: string, options: { toolgate: boolean }): Promise<BenchBuild> {
  const { build } = await import("esbuild");
  // Inside the project's node_modules, so that packages the bundles load at run time with
  // `require` (ajv, loaded lazily by the gateway) resolve as they do from dist/.
  const cache = join(root, "node_modules", ".cache");
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, "toolgate-bench-"));
  const common = { bundle: true, platform: "node", format: "esm", target: "node20", banner: { js: BANNER }, logLevel: "error", absWorkingDir: root } as const;
  const workerJs = join(dir, "bench-worker.mjs");
  await build({ ...common, entryPoints: [join(root, "src/bench/worker-main.ts")], outfile: workerJs });
  const relayJs = join(dir, "bench-relay.mjs");
  await build({ ...common, entryPoints: [join(root, "src/bench/relay-main.ts")], outfile: relayJs });
  let toolgateJs: string | undefined;
  if (options.toolgate) {
    const mainJs = join(dir, "toolgate-main.mjs");
    await build({ ...common, entryPoints: [join(root, "src/cli/main.ts")], outfile: mainJs });
    toolgateJs = join(dir, "toolgate.mjs");
    writeFileSync(toolgateJs, 'import { main } from "./toolgate-main.mjs";\nprocess.exitCode = await main(process.argv.slice(2));\n');
  }
  return { dir, workerJs, relayJs, toolgateJs, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

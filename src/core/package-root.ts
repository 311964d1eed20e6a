/**
 * The directory of toolgate's own `package.json`, found by walking up from a module's URL. Files
 * that ship beside the code (`fixtures/`, `console/`, `bin/`) are found from it, whether the code
 * runs from `src/` (tsx), from `dist/` (tsc) or from the bundle in `dist/bundle/`, where a module's
 * depth below the root is not what it is in the sources.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const found = new Map<string, string>();

export function packageRoot(moduleUrl: string): string {
  const start = dirname(fileURLToPath(moduleUrl));
  const known = found.get(start);
  if (known !== undefined) return known;
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: unknown }).name === "toolgate") {
      found.set(start, dir);
      return dir;
    }
    if (dirname(dir) === dir) throw new Error(`toolgate's package.json is not above ${start}`);
  }
}

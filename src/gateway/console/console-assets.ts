/**
 * The console's browser files, shipped in the package: the page and its modules from `console/`
 * at the package root, and preact, preact/hooks and htm served from node_modules by path (the
 * hooks module's `import "preact"` rewritten to the sibling file, so no import map, bundler or CDN
 * is needed). Files are read once and kept; only names on the list are served.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { packageRoot } from "../../core/package-root.js";

export interface Asset {
  readonly body: Buffer;
  readonly contentType: string;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

/** `console/` in the package root, beside `src/` and `dist/`. */
export const CONSOLE_DIR = join(packageRoot(import.meta.url), "console");

function vendor(specifier: string, rewrite?: (text: string) => string): Asset {
  const path = fileURLToPath(import.meta.resolve(specifier));
  const text = readFileSync(path, "utf8");
  return { body: Buffer.from(rewrite ? rewrite(text) : text, "utf8"), contentType: TYPES[".js"]! };
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

/** Path under `/console/` → file. Throws when the console's files or a vendored module are missing. */
export function loadConsoleAssets(dir: string = CONSOLE_DIR): ReadonlyMap<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const path of walk(dir)) {
    const type = TYPES[extname(path)];
    if (type === undefined) continue;
    assets.set(relative(dir, path).split(sep).join("/"), { body: readFileSync(path), contentType: type });
  }
  assets.set("vendor/preact.js", vendor("preact"));
  assets.set("vendor/hooks.js", vendor("preact/hooks", (text) => text.replaceAll(/from\s*["']preact["']/g, 'from"./preact.js"')));
  assets.set("vendor/htm.js", vendor("htm"));
  return assets;
}

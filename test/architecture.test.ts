/**
 * The dependency rule and the clock rule, re-derived from the source text so that they cannot be
 * quietly weakened (STYLE.md rules 1 and 2).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const src = join(root, "src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith(".ts") ? [path] : [];
  });
}

interface ImportEdge {
  readonly file: string; // relative to src, e.g. "gateway/gateway.ts"
  readonly specifier: string;
  readonly target?: string; // relative to src when the import is local
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|\bimport\s+["']([^"']+)["']/g;

function importsOf(path: string): ImportEdge[] {
  const text = readFileSync(path, "utf8");
  const file = relative(src, path);
  const edges: ImportEdge[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const specifier = m[1] ?? m[2] ?? m[3]!;
    if (specifier.startsWith(".")) {
      const target = relative(src, resolve(dirname(path), specifier)).replace(/\.js$/, ".ts");
      edges.push({ file, specifier, target });
    } else {
      edges.push({ file, specifier });
    }
  }
  return edges;
}

const files = sourceFiles(src);
const edges = files.flatMap(importsOf);
const area = (file: string): string => file.split("/")[0]!;

/** Which areas each area may import from (itself always allowed). */
const ALLOWED: Record<string, readonly string[]> = {
  core: [],
  policy: ["core"],
  protocol: ["core", "policy"],
  stores: ["core", "policy"],
  transports: ["core", "protocol"],
  gateway: ["core", "policy", "protocol", "stores", "transports"],
  kommo: ["core", "protocol", "transports"],
  harness: ["core", "policy", "protocol", "stores", "transports", "gateway", "kommo"],
  bench: ["core", "policy", "protocol", "stores", "transports", "gateway", "kommo", "harness"],
  cli: ["core", "policy", "protocol", "stores", "transports", "gateway", "kommo", "harness", "bench"],
};

test("the source tree has files in every layer it names", () => {
  expect(files.length).toBeGreaterThan(3);
  for (const file of files.map((f) => relative(src, f))) {
    if (file.includes("/")) expect(Object.keys(ALLOWED), `unknown area for ${file}`).toContain(area(file));
  }
});

test("imports point one way: no area imports a layer above it", () => {
  const violations = edges
    .filter((e) => e.target !== undefined && area(e.target) !== area(e.file))
    .filter((e) => !(ALLOWED[area(e.file)] ?? []).includes(area(e.target!)))
    .map((e) => `${e.file} imports ${e.specifier}`);
  expect(violations).toEqual([]);
});

test("the gateway and the Kommo simulator never import each other", () => {
  const violations = edges
    .filter((e) => e.target !== undefined)
    .filter((e) => (area(e.file) === "gateway" && area(e.target!) === "kommo") || (area(e.file) === "kommo" && area(e.target!) === "gateway"))
    .map((e) => `${e.file} imports ${e.specifier}`);
  expect(violations).toEqual([]);
});

test("core, policy and protocol import no node modules, no MCP SDK and no Redis client", () => {
  const pure = new Set(["core", "policy", "protocol"]);
  const violations = edges
    .filter((e) => e.target === undefined && pure.has(area(e.file)))
    // The clock is the one system boundary in core: it may read the clock file of the test hook.
    .filter((e) => !(e.file === "core/clock.ts" && e.specifier === "node:fs"))
    // So is finding the package's own files (console/, fixtures/, bin/) from wherever the code runs.
    .filter((e) => !(e.file === "core/package-root.ts" && ["node:fs", "node:path", "node:url"].includes(e.specifier)))
    .filter((e) => e.specifier.startsWith("node:") || e.specifier.startsWith("@modelcontextprotocol/") || /redis/.test(e.specifier) || /^(fs|path|os|net|http|https|child_process|crypto)$/.test(e.specifier))
    .map((e) => `${e.file} imports ${e.specifier}`);
  expect(violations).toEqual([]);
});

test("only the Redis store imports a Redis client", () => {
  const violations = edges
    .filter((e) => e.target === undefined && /(^|\/)(ioredis|redis)$/.test(e.specifier))
    .filter((e) => e.file !== "stores/redis-counter-store.ts" && !e.file.startsWith("stores/redis/"))
    .map((e) => `${e.file} imports ${e.specifier}`);
  expect(violations).toEqual([]);
});

test("only core/clock.ts reads the system clock, sets real timers or draws randomness", () => {
  const forbidden = /\bDate\.now\(|\bsetTimeout\(|\bsetInterval\(|\bsetImmediate\(|\bMath\.random\(|\bperformance\.now\(|\bnew Date\(\s*\)/;
  const violations = files
    .filter((f) => relative(src, f) !== "core/clock.ts")
    .flatMap((f) =>
      readFileSync(f, "utf8")
        .split("\n")
        .map((line, i) => ({ line: line.replace(/\/\/.*$/, ""), n: i + 1 }))
        .filter(({ line }) => forbidden.test(line))
        .map(({ n }) => `${relative(src, f)}:${n}`),
    );
  expect(violations).toEqual([]);
});

/** Strongly connected components of the local import graph with more than one file (Tarjan). */
function importCircles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)!) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || graph.get(v)!.includes(v)) circles.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return circles;
}

function localImportGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files.map((f) => relative(src, f))) graph.set(file, []);
  for (const e of edges) if (e.target !== undefined && graph.has(e.target)) graph.get(e.file)!.push(e.target);
  return graph;
}

test("no import circles: no file reaches itself through its imports", () => {
  expect(importCircles(localImportGraph())).toEqual([]);
});

test("the circle finder finds circles of two, three and one file, and none in a chain", () => {
  const g = (entries: Record<string, string[]>): Map<string, string[]> => new Map(Object.entries(entries));
  expect(importCircles(g({ a: ["b"], b: ["a"], c: ["a"] }))).toEqual([["a", "b"]]);
  expect(importCircles(g({ a: ["b"], b: ["c"], c: ["a"] }))).toEqual([["a", "b", "c"]]);
  expect(importCircles(g({ a: ["a"] }))).toEqual([["a"]]);
  expect(importCircles(g({ a: ["b"], b: ["c"], c: [] }))).toEqual([]);
});

test("every local import resolves to a source file (so the circle check sees the whole graph)", () => {
  const unresolved = edges.filter((e) => e.target !== undefined && !files.map((f) => relative(src, f)).includes(e.target)).map((e) => `${e.file} imports ${e.specifier}`);
  expect(unresolved).toEqual([]);
  expect(edges.filter((e) => e.target !== undefined).length).toBeGreaterThan(100);
});

test("comments point into the repository, never to design notes outside it", () => {
  const outside = /\bDESIGN(\.md)? §|\.\.\/shared\/|\breference\/[a-z-]+\.md|perf-baseline|ratelimits §/;
  const violations = files.flatMap((f) =>
    readFileSync(f, "utf8")
      .split("\n")
      .map((line, i) => ({ line, n: i + 1 }))
      .filter(({ line }) => outside.test(line))
      .map(({ n }) => `${relative(src, f)}:${n}`),
  );
  expect(violations).toEqual([]);
});

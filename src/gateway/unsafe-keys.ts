/**
 * Keys that pollute prototypes when a consumer merges objects naively. `JSON.parse` creates them
 * as own properties, so they survive into tool arguments; the gateway refuses such calls.
 */
const UNSAFE_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/** Bound on nodes visited; deeper or larger inputs are reported as unsafe rather than walked. */
const MAX_NODES = 100_000;

/** The JSON path of the first unsafe key in `value` (`arguments.a.__proto__`), or undefined. */
export function findUnsafeKey(value: unknown, root = "arguments"): string | undefined {
  const stack: Array<{ value: unknown; path: string }> = [{ value, path: root }];
  let visited = 0;
  while (stack.length > 0) {
    const { value: node, path } = stack.pop()!;
    if (++visited > MAX_NODES) return `${path} (more than ${MAX_NODES} values)`;
    if (typeof node !== "object" || node === null) continue;
    if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) stack.push({ value: node[i], path: `${path}[${i}]` });
      continue;
    }
    for (const key of Object.keys(node)) {
      const child = `${path}.${key}`;
      if (UNSAFE_KEYS.has(key)) return child;
      stack.push({ value: (node as Record<string, unknown>)[key], path: child });
    }
  }
  return undefined;
}

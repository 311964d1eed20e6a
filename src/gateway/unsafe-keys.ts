/**
 * Arguments the gateway refuses before any policy runs (JSON-RPC -32602, never forwarded):
 * keys that pollute prototypes when a consumer merges objects naively (`JSON.parse` creates them
 * as own properties, so they survive into tool arguments), and values nested so deeply or so
 * large that recursive code further on (schema validation, canonical JSON, re-serialising the
 * frame) would exhaust the stack.
 */
const UNSAFE_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/** Deepest nesting accepted in tool arguments. */
export const MAX_ARGUMENT_DEPTH = 64;
/** Most values (objects, arrays, scalars) walked in one call's arguments. */
export const MAX_ARGUMENT_NODES = 100_000;

export interface ArgumentProblem {
  /** JSON path such as `arguments.a[0].__proto__`. */
  readonly path: string;
  readonly message: string;
}

/** The first reason to refuse `value` outright, or undefined. */
export function findArgumentProblem(value: unknown, root = "arguments"): ArgumentProblem | undefined {
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value, path: root, depth: 0 }];
  let visited = 0;
  while (stack.length > 0) {
    const { value: node, path, depth } = stack.pop()!;
    if (++visited > MAX_ARGUMENT_NODES) return { path: root, message: `\`${root}\` holds more than ${MAX_ARGUMENT_NODES} values` };
    if (typeof node !== "object" || node === null) continue;
    if (depth >= MAX_ARGUMENT_DEPTH) return { path, message: `\`${path}\` nests deeper than ${MAX_ARGUMENT_DEPTH} levels` };
    if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) stack.push({ value: node[i], path: `${path}[${i}]`, depth: depth + 1 });
      continue;
    }
    for (const key of Object.keys(node)) {
      const child = `${path}.${key}`;
      if (UNSAFE_KEYS.has(key)) {
        return { path: child, message: `\`${child}\` is refused: argument keys named \`__proto__\`, \`constructor\` or \`prototype\` are not allowed` };
      }
      stack.push({ value: (node as Record<string, unknown>)[key], path: child, depth: depth + 1 });
    }
  }
  return undefined;
}

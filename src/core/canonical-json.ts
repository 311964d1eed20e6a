/**
 * Canonical JSON: object keys sorted (UTF-16 code unit order), no whitespace, arrays in order.
 * Used for argument digests (approvals, audit) and for the policy version. Values that JSON
 * cannot carry follow `JSON.stringify`: `undefined` members are dropped, non-finite numbers and
 * `undefined` array entries print as `null`; a top-level `undefined` prints as `null`.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return "null";
  switch (typeof value) {
    case "string":
    case "boolean":
      return JSON.stringify(value);
    case "number":
      return Number.isFinite(value) ? JSON.stringify(value) : "null";
    case "object": {
      if (Array.isArray(value)) return `[${value.map((v) => (v === undefined || typeof v === "function" ? "null" : canonicalJson(v))).join(",")}]`;
      const record = value as Record<string, unknown>;
      const parts: string[] = [];
      for (const key of Object.keys(record).sort()) {
        const member = record[key];
        if (member === undefined || typeof member === "function" || typeof member === "symbol") continue;
        parts.push(`${JSON.stringify(key)}:${canonicalJson(member)}`);
      }
      return `{${parts.join(",")}}`;
    }
    default:
      throw new TypeError(`canonical JSON cannot represent a ${typeof value}`);
  }
}

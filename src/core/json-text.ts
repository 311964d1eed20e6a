/**
 * JSON text → value, with syntax errors reported at a line and column (1-based). `JSON.parse`
 * does the work; on failure a small scanner finds where the text stops being JSON, because
 * V8's messages do not always carry a position.
 */
import type { Issue, Parsed } from "./errors.js";
import { formatPath } from "./schema-issues.js";

export function parseJsonText(input: string): Parsed<unknown> {
  // A leading byte-order mark (some Windows editors write one) is not part of the JSON.
  const text = input.startsWith("\uFEFF") ? input.slice(1) : input;
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    const { offset, message } = findSyntaxError(text);
    const { line, column } = lineColumn(text, offset);
    const issue: Issue = { path: "", message: `invalid JSON at line ${line}, column ${column}: ${message}` };
    return { ok: false, issues: [issue] };
  }
}

/**
 * Why `text` is not JSON, by position and length only: for logs and wire errors about frames whose
 * content may carry tool arguments or secrets (never a fragment of the text).
 */
export function jsonSyntaxError(text: string): string {
  const { offset } = findSyntaxError(text);
  const where = offset >= text.length ? "at its end" : `at character ${offset + 1}`;
  return `not valid JSON: the text stops being JSON ${where} (${text.length} characters in all)`;
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === "\n") {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

class JsonSyntax extends Error {
  constructor(readonly offset: number, message: string) {
    super(message);
  }
}

function findSyntaxError(text: string): { offset: number; message: string } {
  let i = 0;
  const found = (): string => (i >= text.length ? "the end of the text" : `\`${text[i]}\``);
  const fail = (expected: string): never => {
    throw new JsonSyntax(i, `found ${found()}, expected ${expected}`);
  };
  const ws = (): void => {
    while (i < text.length && " \t\n\r".includes(text[i]!)) i++;
  };
  const literal = (word: string): void => {
    for (const ch of word) {
      if (text[i] !== ch) fail(`\`${word}\``);
      i++;
    }
  };
  const string = (): void => {
    if (text[i] !== '"') fail("a double-quoted string");
    i++;
    for (;;) {
      if (i >= text.length) fail('a closing `"`');
      const ch = text[i]!;
      if (ch === '"') {
        i++;
        return;
      }
      if (ch < " ") throw new JsonSyntax(i, "found a control character inside a string, expected it escaped (`\\n`, `\\t`, …)");
      if (ch === "\\") {
        i++;
        const esc = text[i];
        if (esc === "u") {
          for (let k = 1; k <= 4; k++) {
            if (!/[0-9a-fA-F]/.test(text[i + k] ?? "")) {
              i += k;
              fail("four hex digits after `\\u`");
            }
          }
          i += 5;
        } else if (esc !== undefined && '"\\/bfnrt'.includes(esc)) i++;
        else fail("a valid escape (`\\\"`, `\\\\`, `\\n`, `\\uXXXX`, …)");
        continue;
      }
      i++;
    }
  };
  const number = (): void => {
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i));
    if (!m || m[0] === "" || m[0] === "-") fail("a value");
    i += m![0].length;
  };
  const value = (): void => {
    ws();
    const ch = text[i];
    if (ch === "{") {
      i++;
      ws();
      if (text[i] === "}") {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail(text[i] === "}" ? "a property name (no trailing comma)" : "a double-quoted property name");
        string();
        ws();
        if (text[i] !== ":") fail("`:` after the property name");
        i++;
        value();
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "}") {
          i++;
          return;
        }
        fail("`,` or `}`");
      }
    } else if (ch === "[") {
      i++;
      ws();
      if (text[i] === "]") {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ",") {
          i++;
          ws();
          if (text[i] === "]") fail("a value (no trailing comma)");
          continue;
        }
        if (text[i] === "]") {
          i++;
          return;
        }
        fail("`,` or `]`");
      }
    } else if (ch === '"') string();
    else if (ch === "t") literal("true");
    else if (ch === "f") literal("false");
    else if (ch === "n") literal("null");
    else if (ch === "-" || (ch !== undefined && ch >= "0" && ch <= "9")) number();
    else fail("a value");
  };
  try {
    value();
    ws();
    if (i < text.length) fail("the end of the text");
    return { offset: 0, message: "the text is not valid JSON" };
  } catch (error) {
    if (error instanceof JsonSyntax) return { offset: error.offset, message: error.message };
    throw error;
  }
}

/**
 * Keys written twice in one object of a text that `JSON.parse` accepted (it silently keeps the
 * last one), each reported at its JSON path. Text that is not JSON yields no issues here.
 */
export function duplicateKeyIssues(input: string): Issue[] {
  const text = input.startsWith("\uFEFF") ? input.slice(1) : input;
  const issues: Issue[] = [];
  const path: (string | number)[] = [];
  let i = 0;
  const ws = (): void => {
    while (i < text.length && " \t\n\r".includes(text[i]!)) i++;
  };
  const string = (): string => {
    const start = i++;
    while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (): void => {
    ws();
    const ch = text[i];
    if (ch === "{") {
      i++;
      const seen = new Set<string>();
      for (ws(); text[i] !== "}" && i < text.length; ws()) {
        if (text[i] === ",") {
          i++;
          ws();
        }
        const key = string();
        path.push(key);
        if (seen.has(key)) issues.push({ path: formatPath(path), message: `found the key \`${key}\` twice in one object, expected each key once (JSON would keep only the last)` });
        seen.add(key);
        ws();
        i++; // `:`
        value();
        path.pop();
      }
      i++;
    } else if (ch === "[") {
      i++;
      for (let index = 0; (ws(), text[i] !== "]" && i < text.length); index++) {
        if (text[i] === ",") i++;
        path.push(index);
        value();
        path.pop();
      }
      i++;
    } else if (ch === '"') string();
    else while (i < text.length && !",]} \t\n\r".includes(text[i]!)) i++;
  };
  try {
    value();
  } catch {
    return [];
  }
  return issues;
}

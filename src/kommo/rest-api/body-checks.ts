/** Kommo-style checks of request body fields, collecting `{code, path, detail}` errors. */
import type { FieldError } from "./problem.js";

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export interface IntRule {
  readonly required?: boolean;
  readonly min?: number;
  readonly nullable?: boolean;
}

/** Checks an integer field; returns the value when valid (undefined when absent or invalid). */
export function checkInt(errors: FieldError[], path: string, value: unknown, rule: IntRule = {}): number | undefined {
  if (value === undefined || (value === null && rule.nullable)) {
    if (value === undefined && rule.required) errors.push({ code: "NotBlank", path, detail: "This value should not be blank." });
    return undefined;
  }
  if (typeof value !== "number" || !Number.isInteger(value)) {
    errors.push({ code: "InvalidType", path, detail: `This value should be of type int, found \`${JSON.stringify(value)}\`.` });
    return undefined;
  }
  if (rule.min !== undefined && value < rule.min) {
    errors.push({ code: "TooLow", path, detail: `This value should be ${rule.min} or more.` });
    return undefined;
  }
  return value;
}

export function checkString(errors: FieldError[], path: string, value: unknown, rule: { required?: boolean } = {}): string | undefined {
  if (value === undefined) {
    if (rule.required) errors.push({ code: "NotBlank", path, detail: "This value should not be blank." });
    return undefined;
  }
  if (typeof value !== "string") {
    errors.push({ code: "InvalidType", path, detail: `This value should be of type string, found \`${JSON.stringify(value)}\`.` });
    return undefined;
  }
  if (rule.required && value.trim() === "") errors.push({ code: "NotBlank", path, detail: "This value should not be blank." });
  return value;
}

export function checkChoice<T extends string>(errors: FieldError[], path: string, value: unknown, choices: readonly T[], rule: { required?: boolean } = {}): T | undefined {
  if (value === undefined || typeof value !== "string") return checkString(errors, path, value, rule) as undefined;
  if (!(choices as readonly string[]).includes(value)) {
    errors.push({ code: "NotSupportedChoice", path, detail: `The value you selected is not a valid choice: \`${value}\`; expected one of ${choices.join(", ")}.` });
    return undefined;
  }
  return value as T;
}

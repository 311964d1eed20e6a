/** `Mcp-Name` values: plain visible ASCII as is, everything else in the Base64 form, and back. */
import { fc, test } from "@fast-check/vitest";
import { expect } from "vitest";
import { decodeHeaderValue, encodeHeaderValue } from "../../../src/protocol/header-values.js";

test("plain visible ASCII goes as is", () => {
  expect(encodeHeaderValue("stop_salesbot")).toBe("stop_salesbot");
  expect(encodeHeaderValue("kommo://reports/sales?x=1 y")).toBe("kommo://reports/sales?x=1 y");
});

test("non-ASCII, control characters, whitespace at the ends and the sentinel itself go as Base64 of the UTF-8 bytes", () => {
  const b64 = (s: string): string => `=?base64?${Buffer.from(s, "utf8").toString("base64")}?=`;
  for (const value of ["ferramenta_中文", "café", "a\r\nX-Injected: 1", "a\u0000b", " lead", "trail ", "tab\t", "=?base64?SGk=?=", ""]) {
    expect(encodeHeaderValue(value), JSON.stringify(value)).toBe(value === "" ? "" : b64(value));
  }
});

test("a value without the markers is read as is; the Base64 form is decoded; a broken form names nothing", () => {
  expect(decodeHeaderValue("stop_salesbot")).toBe("stop_salesbot");
  expect(decodeHeaderValue(`=?base64?${Buffer.from("ferramenta_中文").toString("base64")}?=`)).toBe("ferramenta_中文");
  expect(decodeHeaderValue("=?BASE64?SGk=?=")).toBe("=?BASE64?SGk=?="); // markers are exact: this is a plain value
  expect(decodeHeaderValue("=?base64?not base64!?=")).toBeUndefined();
  expect(decodeHeaderValue("=?base64?SGk?=")).toBeUndefined(); // missing padding
  expect(decodeHeaderValue("=?base64?/w==?=")).toBeUndefined(); // 0xFF is not UTF-8
});

test.prop([fc.string({ unit: "binary" })])("decode(encode(v)) is v, and the encoded value is always header-safe", (value) => {
  const header = encodeHeaderValue(value);
  expect(header).toMatch(/^[\x20-\x7E]*$/);
  expect(decodeHeaderValue(header)).toBe(value);
});

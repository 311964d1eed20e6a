import { createHash } from "node:crypto";
import { fc, test as propTest } from "@fast-check/vitest";
import { expect, test } from "vitest";
import { sha256Hex } from "../../../src/core/sha256.js";

const nodeSha = (input: string | Uint8Array): string => createHash("sha256").update(input).digest("hex");

test("sha256 of the empty string and of `abc` are the FIPS 180-4 test vectors", () => {
  expect(sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  expect(sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
});

test("sha256 matches node:crypto at every length around the 64-byte block boundaries", () => {
  for (let n = 0; n <= 200; n++) {
    const text = "x".repeat(n);
    expect(sha256Hex(text)).toBe(nodeSha(text));
  }
});

test("sha256 encodes strings as UTF-8", () => {
  const text = "ação 🚀 — stop_salesbot";
  expect(sha256Hex(text)).toBe(nodeSha(text));
});

propTest.prop([fc.uint8Array({ maxLength: 300 })], { numRuns: 200 })("sha256 matches node:crypto on random bytes", (bytes) => {
  expect(sha256Hex(bytes)).toBe(nodeSha(bytes));
});

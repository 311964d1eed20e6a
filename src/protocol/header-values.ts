/**
 * Values mirrored from the body into 2026-07-28 Streamable HTTP headers (`Mcp-Name`: a tool or
 * prompt name, a resource URI). A header carries visible ASCII only, so a value that is not plain
 * visible ASCII — a character outside 0x20–0x7E, whitespace at either end — travels as
 * `=?base64?{standard Base64 of its UTF-8 bytes}?=`, and so does a plain value that already looks
 * like that form, so reading it back is unambiguous. The markers are lowercase and exact.
 */

const PREFIX = "=?base64?";
const SUFFIX = "?=";
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The value as a header carries it: as is when it is plain visible ASCII, else the Base64 form. */
export function encodeHeaderValue(value: string): string {
  return isPlain(value) && !looksEncoded(value) ? value : `${PREFIX}${toBase64(new TextEncoder().encode(value))}${SUFFIX}`;
}

/**
 * The value a header names: the Base64 form decoded, anything else as is; `undefined` when the
 * value wears the markers but is not Base64 of UTF-8 text (it names nothing).
 */
export function decodeHeaderValue(header: string): string | undefined {
  if (!looksEncoded(header)) return header;
  const payload = header.slice(PREFIX.length, header.length - SUFFIX.length);
  if (!BASE64.test(payload)) return undefined;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(fromBase64(payload));
  } catch {
    return undefined;
  }
}

/** True when `value` can go in a header untouched (visible ASCII and inner spaces, nothing at the ends). */
export function isPlainHeaderValue(value: string): boolean {
  return isPlain(value);
}

function isPlain(value: string): boolean {
  return /^[\x20-\x7E]*$/.test(value) && value.trim() === value;
}

function looksEncoded(value: string): boolean {
  return value.length >= PREFIX.length + SUFFIX.length && value.startsWith(PREFIX) && value.endsWith(SUFFIX);
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** What checking an access token found: its claims, or why not (never the token itself). */
export type Claims = Readonly<Record<string, unknown>>;

/** `invalid` → 401 `invalid_token`; `unavailable` → 503 (toolgate cannot check it now). */
export type TokenCheck =
  | { readonly kind: "valid"; readonly claims: Claims }
  | { readonly kind: "invalid"; readonly reason: string }
  | { readonly kind: "unavailable"; readonly reason: string };

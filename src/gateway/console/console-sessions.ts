/**
 * Sign-in for the web console: the admin token is posted once (never in a URL), answered with a
 * random session id in an `HttpOnly; SameSite=Strict` cookie that lasts for the browser session,
 * and a CSRF token the page sends back in `X-CSRF-Token` on every state change. Failed sign-ins
 * are limited per fixed window on the clock (all peers together: the listener is loopback only).
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Clock } from "../../core/clock.js";

export const SESSION_COOKIE = "toolgate_console";
/** A session nobody used for this long is forgotten. */
export const SESSION_IDLE_MS = 8 * 60 * 60 * 1000;
/** Failed sign-ins allowed per window before `429`. */
export const MAX_FAILED_SIGN_INS = 5;
export const SIGN_IN_WINDOW_MS = 60_000;
/** Sessions kept at most (the oldest is dropped). */
const MAX_SESSIONS = 64;

export interface ConsoleSession {
  readonly id: string;
  readonly csrf: string;
  /** Who signed in, as they named themselves (the audit's `decidedBy` is `console:<user>`). */
  readonly user: string;
  lastSeenMs: number;
}

export type SignInResult =
  | { readonly kind: "ok"; readonly session: ConsoleSession }
  | { readonly kind: "wrong_token" }
  | { readonly kind: "rate_limited"; readonly retryAfterMs: number };

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

export class ConsoleSessions {
  private readonly sessions = new Map<string, ConsoleSession>();
  private windowStartMs = 0;
  private failures = 0;

  constructor(
    private readonly token: string,
    private readonly clock: Clock,
  ) {}

  signIn(presented: string, user: string): SignInResult {
    const nowMs = this.clock.nowMs();
    if (nowMs - this.windowStartMs >= SIGN_IN_WINDOW_MS) {
      this.windowStartMs = nowMs;
      this.failures = 0;
    }
    if (this.failures >= MAX_FAILED_SIGN_INS) return { kind: "rate_limited", retryAfterMs: this.windowStartMs + SIGN_IN_WINDOW_MS - nowMs };
    if (presented === "" || !timingSafeEqual(digest(presented), digest(this.token))) {
      this.failures++;
      return { kind: "wrong_token" };
    }
    const session: ConsoleSession = { id: randomBytes(24).toString("base64url"), csrf: randomBytes(24).toString("base64url"), user, lastSeenMs: nowMs };
    this.sessions.set(session.id, session);
    while (this.sessions.size > MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    return { kind: "ok", session };
  }

  /** The live session named by the request's cookie header, if any (and marks it used). */
  fromCookie(cookieHeader: string | undefined): ConsoleSession | undefined {
    const id = readCookie(cookieHeader, SESSION_COOKIE);
    if (id === undefined) return undefined;
    const session = this.sessions.get(id);
    if (session === undefined) return undefined;
    const nowMs = this.clock.nowMs();
    if (nowMs - session.lastSeenMs > SESSION_IDLE_MS) {
      this.sessions.delete(id);
      return undefined;
    }
    session.lastSeenMs = nowMs;
    return session;
  }

  signOut(session: ConsoleSession): void {
    this.sessions.delete(session.id);
  }
}

/** Constant-time check of the `X-CSRF-Token` header against the session's token. */
export function csrfMatches(session: ConsoleSession, header: string | string[] | undefined): boolean {
  if (typeof header !== "string" || header === "") return false;
  return timingSafeEqual(digest(header), digest(session.csrf));
}

export function sessionCookie(session: ConsoleSession): string {
  return `${SESSION_COOKIE}=${session.id}; Path=/console; HttpOnly; SameSite=Strict`;
}

export function clearedCookie(): string {
  return `${SESSION_COOKIE}=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0`;
}

function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

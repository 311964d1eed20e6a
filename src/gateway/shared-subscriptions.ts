/**
 * Resource subscriptions on an upstream connection shared by several lanes (`shared-upstream.ts`),
 * counted per URI: `notifications/resources/updated` reaches the lanes subscribed to that URI, and
 * `resources/unsubscribe` goes upstream only when the last lane holding the URI drops it.
 */
import type { Lane } from "./shared-lane.js";

const NONE: ReadonlySet<Lane> = new Set();

export class SharedSubscriptions {
  private readonly byUri = new Map<string, Set<Lane>>();

  add(uri: string, lane: Lane): void {
    let holders = this.byUri.get(uri);
    if (holders === undefined) this.byUri.set(uri, (holders = new Set()));
    holders.add(lane);
  }

  /** Drops `lane`'s subscription to `uri`; true when no lane holds it any more (the unsubscribe goes upstream). */
  remove(uri: string, lane: Lane): boolean {
    const holders = this.byUri.get(uri);
    if (holders !== undefined) {
      holders.delete(lane);
      if (holders.size > 0) return false;
    }
    this.byUri.delete(uri);
    return true;
  }

  /** Drops every subscription of a lane that left: the URIs no lane holds any more. */
  dropLane(lane: Lane): string[] {
    const released: string[] = [];
    for (const [uri, holders] of this.byUri) {
      if (!holders.delete(lane) || holders.size > 0) continue;
      this.byUri.delete(uri);
      released.push(uri);
    }
    return released;
  }

  /** The lanes subscribed to `uri`. */
  holders(uri: string): ReadonlySet<Lane> {
    return this.byUri.get(uri) ?? NONE;
  }

  clear(): void {
    this.byUri.clear();
  }
}

// Live data for the pages: the activity stream (server-sent events) and a one-second tick.
import { useEffect, useState } from "../vendor/hooks.js";
import { query } from "../api.js";

/** Calls `onLine` for every audit line the stream sends (with the given filters). */
export function useActivityStream(filter, onLine) {
  const key = JSON.stringify(filter ?? {});
  const [connected, setConnected] = useState(false);
  useEffect(() => {
    const source = new EventSource(`/console/api/activity/stream${query(filter ?? {})}`);
    source.addEventListener("open", () => setConnected(true));
    source.addEventListener("error", () => setConnected(false));
    source.addEventListener("line", (event) => onLine(JSON.parse(event.data)));
    return () => source.close();
  }, [key]);
  return connected;
}

/** The time now, re-read every `ms`. */
export function useNow(ms = 1000) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}

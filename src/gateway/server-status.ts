/** The state of one upstream server of a stack, as `/health`, `/metrics` and logs show it. */
export type ServerState = "starting" | "ready" | "restarting" | "failing" | "stopped";

export const SERVER_STATES: readonly ServerState[] = ["starting", "ready", "restarting", "failing", "stopped"];

export interface ServerStatus {
  readonly name: string;
  readonly state: ServerState;
  /** Why it last went away or failed to start; undefined while it never did. */
  readonly lastError: string | undefined;
  readonly restarts: number;
}

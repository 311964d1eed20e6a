import type { Route } from "../router.js";
import { accountUserRoutes } from "./account-users.js";
import { botRoutes } from "./bots.js";
import { leadRoutes } from "./leads.js";
import { pipelineRoutes } from "./pipelines.js";

/** Every Kommo REST v4 route the fake answers; literal routes come before `:id` routes. */
export const kommoRoutes: readonly Route[] = [...accountUserRoutes, ...pipelineRoutes, ...leadRoutes, ...botRoutes];

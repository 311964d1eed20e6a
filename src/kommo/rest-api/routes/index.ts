import type { Route } from "../router.js";
import { accountUserRoutes } from "./account-users.js";
import { botRoutes } from "./bots.js";
import { contactCompanyRoutes } from "./contacts-companies.js";
import { leadRoutes } from "./leads.js";
import { noteRoutes } from "./notes.js";
import { pipelineRoutes } from "./pipelines.js";
import { taskRoutes } from "./tasks.js";

/** Every Kommo REST v4 route the fake answers; literal routes come before `:param` routes. */
export const kommoRoutes: readonly Route[] = [...accountUserRoutes, ...pipelineRoutes, ...leadRoutes, ...contactCompanyRoutes, ...taskRoutes, ...botRoutes, ...noteRoutes];

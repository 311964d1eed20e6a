/** `/api/v4/leads/pipelines[/{id}[/statuses]]` and `/api/v4/leads/loss_reasons[/{id}]`. */
import type { Pipeline } from "../../crm/entities.js";
import { pagedList, readPage, wholeList } from "../pagination.js";
import { HttpAnswer, hal, problem } from "../problem.js";
import { renderLossReason, renderPipeline, renderStatus, sortedStatuses } from "../render.js";
import type { Route, RouteContext } from "../router.js";

function pipelineOr404(ctx: RouteContext): Pipeline {
  const pipeline = ctx.crm.pipeline(Number(ctx.params.id));
  if (!pipeline) throw new HttpAnswer(problem(404, "Pipeline not found"));
  return pipeline;
}

function listPipelines(ctx: RouteContext): Response {
  const pipelines = [...ctx.crm.pipelines()].sort((a, b) => a.sort - b.sort || a.id - b.id);
  return wholeList(ctx.url, "pipelines", pipelines.map((p) => renderPipeline(ctx.crm, p, ctx.url.origin)));
}

function getPipeline(ctx: RouteContext): Response {
  return hal(renderPipeline(ctx.crm, pipelineOr404(ctx), ctx.url.origin));
}

function listStatuses(ctx: RouteContext): Response {
  const pipeline = pipelineOr404(ctx);
  return wholeList(ctx.url, "statuses", sortedStatuses(pipeline.statuses).map((s) => renderStatus(ctx.crm, pipeline, s, ctx.url.origin)));
}

function getStatus(ctx: RouteContext): Response {
  const pipeline = pipelineOr404(ctx);
  const status = pipeline.statuses.find((s) => s.id === Number(ctx.params.status_id));
  if (!status) throw new HttpAnswer(problem(404, "Status not found"));
  return hal(renderStatus(ctx.crm, pipeline, status, ctx.url.origin));
}

function listLossReasons(ctx: RouteContext): Response {
  const page = readPage(ctx.url.searchParams);
  const reasons = [...ctx.crm.lossReasons()].sort((a, b) => a.sort - b.sort || a.id - b.id);
  return pagedList(ctx.url, "loss_reasons", reasons, page, (r) => renderLossReason(r, ctx.url.origin), { totalItems: true });
}

function getLossReason(ctx: RouteContext): Response {
  const reason = ctx.crm.lossReason(Number(ctx.params.id));
  if (!reason) throw new HttpAnswer(problem(404, "Loss reason not found"));
  return hal(renderLossReason(reason, ctx.url.origin));
}

export const pipelineRoutes: readonly Route[] = [
  { method: "GET", pattern: "/api/v4/leads/pipelines", handle: listPipelines },
  { method: "GET", pattern: "/api/v4/leads/pipelines/:id", handle: getPipeline },
  { method: "GET", pattern: "/api/v4/leads/pipelines/:id/statuses", handle: listStatuses },
  { method: "GET", pattern: "/api/v4/leads/pipelines/:id/statuses/:status_id", handle: getStatus },
  { method: "GET", pattern: "/api/v4/leads/loss_reasons", handle: listLossReasons },
  { method: "GET", pattern: "/api/v4/leads/loss_reasons/:id", handle: getLossReason },
];

/** Writes a report directory: `report.json`, `junit.xml` and a self-contained `index.html`. */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { RunReport } from "../result.js";
import { renderHtml } from "./html-report.js";
import { renderJunit } from "./junit-report.js";

export function renderJson(report: RunReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

export async function writeReport(dir: string, report: RunReport): Promise<{ json: string; junit: string; html: string }> {
  await mkdir(dir, { recursive: true });
  const paths = { json: join(dir, "report.json"), junit: join(dir, "junit.xml"), html: join(dir, "index.html") };
  await writeFile(paths.json, renderJson(report));
  await writeFile(paths.junit, renderJunit(report));
  await writeFile(paths.html, renderHtml(report));
  return paths;
}

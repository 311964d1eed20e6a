/**
 * Calendar arithmetic for the computed reports: YYYY-MM-DD parsing that rejects dates that do not
 * exist, and the start of a calendar day in an IANA time zone as Unix seconds.
 */

export interface CalendarDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

/** Thrown for report input the real server rejects; the agent sees "Erro interno ao executar a tool.". */
export class ReportInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReportInputError";
  }
}

export function parseCalendarDate(value: string): CalendarDate {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) throw new ReportInputError("Período inválido. Use datas no formato YYYY-MM-DD.");
  const date = { year: Number(match[1]), month: Number(match[2]), day: Number(match[3]) };
  const normalized = new Date(Date.UTC(date.year, date.month - 1, date.day));
  if (normalized.getUTCFullYear() !== date.year || normalized.getUTCMonth() !== date.month - 1 || normalized.getUTCDate() !== date.day) {
    throw new ReportInputError("Período inválido. Use datas reais no formato YYYY-MM-DD.");
  }
  return date;
}

export function addDays(date: CalendarDate, days: number): CalendarDate {
  const moved = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: moved.getUTCFullYear(), month: moved.getUTCMonth() + 1, day: moved.getUTCDate() };
}

export function assertTimeZone(timeZone: string): void {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone }).format(0);
  } catch {
    throw new ReportInputError(`Fuso horário inválido: ${timeZone}`);
  }
}

/** The calendar date at `instantMs` in `timeZone`. */
export function zonedDate(instantMs: number, timeZone: string): CalendarDate {
  const parts = partsOf(instantMs, timeZone);
  return { year: parts.year, month: parts.month, day: parts.day };
}

/** Unix seconds of 00:00 of `date` in `timeZone` (three correction rounds, enough for DST gaps). */
export function zonedStartOfDaySeconds(date: CalendarDate, timeZone: string): number {
  const desiredMs = Date.UTC(date.year, date.month - 1, date.day);
  let instantMs = desiredMs;
  for (let round = 0; round < 3; round++) {
    const p = partsOf(instantMs, timeZone);
    const representedMs = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
    const adjustmentMs = desiredMs - representedMs;
    instantMs += adjustmentMs;
    if (adjustmentMs === 0) break;
  }
  return Math.floor(instantMs / 1000);
}

/** `date` as YYYY-MM-DD. */
export function formatCalendarDate(date: CalendarDate): string {
  return `${String(date.year).padStart(4, "0")}-${String(date.month).padStart(2, "0")}-${String(date.day).padStart(2, "0")}`;
}

function partsOf(instantMs: number, timeZone: string): Record<"year" | "month" | "day" | "hour" | "minute" | "second", number> {
  const formatter = new Intl.DateTimeFormat("en-US", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  });
  const out = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const part of formatter.formatToParts(instantMs)) {
    if (part.type in out) out[part.type as keyof typeof out] = Number(part.value);
  }
  return out;
}

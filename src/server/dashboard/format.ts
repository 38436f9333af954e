import { formatMinorUnits } from "../../core/money.ts";

/** An instant as operators read it, in UTC to the minute: "2026-12-07 14:05 UTC". */
export function formatTime(value: Date | string | null | undefined): string {
  if (value === null || value === undefined) return "—";
  const date = typeof value === "string" ? new Date(value) : value;
  if (Number.isNaN(date.getTime())) return "—";
  return `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** Whole minor units as money: "19.99 USD". */
export function formatMoney(minor: number, currency: string): string {
  return `${formatMinorUnits(minor, currency)} ${currency}`;
}

/** A count with thousands separated: "12,345"; decimals pass through unchanged. */
export function formatCount(value: number | string): string {
  const text = String(value);
  const [whole = "", fraction] = text.split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return fraction === undefined ? grouped : `${grouped}.${fraction}`;
}

/** A duration in seconds as "3 h 20 min", "45 s". */
export function formatAge(seconds: number | null): string {
  if (seconds === null) return "—";
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

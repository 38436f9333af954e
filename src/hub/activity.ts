import { z } from "zod";
import { parseWith } from "../core/validation.ts";
import { lastInvoiceRun, type LastInvoiceRun } from "../store/invoices/last-run.ts";
import { activityByHour, type ActivityHour } from "../store/rollups/activity.ts";
import type { HubContext } from "./context.ts";

export type { ActivityHour, LastInvoiceRun };

const HOUR = 3_600_000;

/** The hub's recent activity, every customer together: what an operator looks at first. */
export interface Activity {
  /** The hub's clock when read. */
  at: Date;
  /** Usage per UTC hour over the last `hours` hours (the current hour included), hours without events left out. */
  hours: ActivityHour[];
  /** Since the start of today (UTC): usage events dated today and the customers they belong to. */
  today: { from: Date; events: string; customers: number };
  lastInvoiceRun: LastInvoiceRun | null;
}

export interface ActivityApi {
  /**
   * Usage per hour, today's events and active customers (from the hourly rollups, by when the
   * usage happened) and the last invoice run.
   * @example await hub.activity({ hours: 24 }) // { at, hours: [{ hour, events: "120", customers: 3 }], today: { events: "340", customers: 5 }, lastInvoiceRun }
   */
  activity(options?: { hours?: number }): Promise<Activity>;
}

const optionsSchema = z.strictObject({ hours: z.number().int().min(1).max(24 * 31).default(24) }).default({ hours: 24 });

/** Hub-wide activity read from the rollups and the invoices, never from the ledger's rows. */
export function createActivityApi(ctx: HubContext): ActivityApi {
  return {
    async activity(options) {
      const { hours } = parseWith(optionsSchema, options, "VALIDATION_FAILED", "options");
      const at = ctx.now();
      const currentHour = Math.floor(at.getTime() / HOUR) * HOUR;
      const end = new Date(currentHour + HOUR);
      const dayStart = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
      const [recent, today, lastRun] = await Promise.all([
        activityByHour(ctx.store, new Date(currentHour - (hours - 1) * HOUR), end),
        activityByHour(ctx.store, dayStart, end),
        lastInvoiceRun(ctx.store),
      ]);
      return { at, hours: recent.hours, today: { from: dayStart, events: today.events, customers: today.customers }, lastInvoiceRun: lastRun };
    },
  };
}

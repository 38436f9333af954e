import type { HubContext } from "../context.ts";
import { listAlerts, type AlertFiringView, type AlertListInput } from "./alerts-api.ts";

export type { AlertFiringView, AlertListInput } from "./alerts-api.ts";

export interface AlertsApi {
  readonly alerts: {
    /**
     * Fired threshold alerts, newest first, with each endpoint's delivery; filter by customer,
     * alert, kind or delivery status; page with `cursor: nextCursor`.
     * @example await hub.alerts.list({ customerId: "org_42", status: "dead" }) // { alerts: [...], nextCursor: null }
     */
    list(query?: AlertListInput): Promise<{ alerts: AlertFiringView[]; nextCursor: string | null }>;
  };
}

/** The alerts' part of the hub. */
export function createAlertsApi(ctx: HubContext): AlertsApi {
  return {
    alerts: {
      list: (query) => listAlerts(ctx, query),
    },
  };
}

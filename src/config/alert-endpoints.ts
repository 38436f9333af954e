import type { Catalog } from "../core/catalog/index.ts";
import { BillingError, listKeys } from "../core/errors.ts";
import type { HubConfig } from "./schema.ts";

/**
 * Every alert an endpoint lists must be one the catalog declares, so a typo cannot leave an
 * endpoint silently without the alerts it was meant to receive. CONFIG_INVALID names the entry.
 *
 * @example
 * checkAlertEndpoints({ alerts: { endpoints: { ops: { alerts: ["api_08"], ... } } } }, catalog)
 * // throws CONFIG_INVALID at alerts.endpoints.ops.alerts.0: unknown alert "api_08"; valid alerts: api_80, spend_100
 */
export function checkAlertEndpoints(config: HubConfig, catalog: Catalog): void {
  const valid = Object.keys(catalog.alerts);
  for (const [id, endpoint] of Object.entries(config.alerts.endpoints)) {
    endpoint.alerts?.forEach((key, index) => {
      if (Object.hasOwn(catalog.alerts, key)) return;
      const field = `alerts.endpoints.${id}.alerts.${index}`;
      throw new BillingError("CONFIG_INVALID", `Invalid configuration: ${field} names unknown alert "${key}"; valid alerts (catalog.alerts): ${valid.length === 0 ? "none declared" : listKeys(valid)}`, {
        field,
        details: { valid: [...valid].sort() },
      });
    });
  }
}

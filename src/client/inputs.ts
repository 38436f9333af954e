import type { z } from "zod";
import type { takeBackInputSchema } from "../hub/credits/credits-api.ts";
import type { grantInputSchema } from "../hub/credits/input.ts";
import type { customerFieldsSchema } from "../hub/customer-input.ts";
import type { checkoutInputSchema, portalInputSchema, providerCustomerInputSchema } from "../hub/hosted-pages.ts";
import type { adjustmentEventSchema, usageEventSchema } from "../hub/ledger/input.ts";
import type { batchStatsSchema } from "../hub/ledger/stats.ts";
import type { adjustmentInputSchema } from "../hub/limit-adjustments.ts";
import type { alertReplayBody, alertsQuery, customerAlertsQuery } from "../server/routes/alerts.ts";
import type { pricesQuery, webhookEventsQuery } from "../server/routes/catalog.ts";
import type { creditExpiringQuery, creditHistoryQuery } from "../server/routes/credits.ts";
import type { adjustmentListQuery, assignSchema, customerListQuery, overridesSchema, unassignQuery } from "../server/routes/customers.ts";
import type { checkSchema, consumeSchema, entitlementsQuery } from "../server/routes/entitlements.ts";
import type { listQuery, previewQuery, runBody } from "../server/routes/invoices.ts";
import type { outboxReplayBody, outboxRowsQuery } from "../server/routes/outbox.ts";
import type { activityQuery, batchSchema, eventsQuery, resetBody, resetsQuery, statsQueryShape, usageQueryShape } from "../server/routes/usage.ts";

/**
 * A query parameter as the client takes it. Routes read every parameter from text, so where one
 * takes any text (a number, an instant, a cursor) the client also takes a number or a Date; where
 * one takes `true`/`false`, a boolean; where one coerces any value (`limit`), a number. The client
 * writes each as the route reads it.
 */
type Param<V> = unknown extends V ? number | string | undefined : string extends Exclude<V, undefined> ? V | number | Date : "true" extends V ? V | boolean : V;

/** A route's query parameters, typed from the zod schema the service validates them with. */
type QueryOf<S extends z.ZodType> = { [K in keyof z.input<S>]: Param<z.input<S>[K]> };

/** A usage query's property filters: `"filter.model": "gpt-5"` counts only events whose `model` property is "gpt-5". */
type PropertyFilters = { [property: `filter.${string}`]: string };

/** Request bodies and queries, typed from the same zod schemas the service validates them with (and /openapi.json documents). */
export type CustomerFields = z.input<typeof customerFieldsSchema>;
export type CustomerListQuery = QueryOf<typeof customerListQuery>;
export type AssignBody = z.input<typeof assignSchema>;
export type UnassignQuery = QueryOf<typeof unassignQuery>;
export type OverridesBody = z.input<typeof overridesSchema>;
export type LimitAdjustmentBody = z.input<typeof adjustmentInputSchema>;
export type LimitAdjustmentListQuery = QueryOf<typeof adjustmentListQuery>;
export type ProviderCustomerBody = z.input<typeof providerCustomerInputSchema>;
export type CheckoutBody = z.input<typeof checkoutInputSchema>;
export type PortalBody = z.input<typeof portalInputSchema>;
export type UsageEventBody = z.input<typeof usageEventSchema>;
export type AdjustmentBody = z.input<typeof adjustmentEventSchema>;
export type UsageBatchBody = z.input<typeof batchSchema>;
export type UsageQuery = QueryOf<z.ZodObject<typeof usageQueryShape>> & PropertyFilters;
export type StatsQuery = QueryOf<z.ZodObject<typeof statsQueryShape>> & PropertyFilters;
export type BatchStatsBody = z.input<typeof batchStatsSchema>;
export type EventsQuery = QueryOf<typeof eventsQuery>;
export type ResetBody = z.input<typeof resetBody>;
export type ResetsQuery = QueryOf<typeof resetsQuery>;
export type ActivityQuery = QueryOf<typeof activityQuery>;
export type EntitlementsQuery = QueryOf<typeof entitlementsQuery>;
export type CheckBody = z.input<typeof checkSchema>;
export type ConsumeBody = z.input<typeof consumeSchema>;
export type InvoicePreviewQuery = QueryOf<typeof previewQuery>;
export type InvoiceListQuery = QueryOf<typeof listQuery>;
export type InvoiceRunBody = z.input<typeof runBody>;
export type CreditGrantBody = z.input<typeof grantInputSchema>;
export type CreditHistoryQuery = QueryOf<typeof creditHistoryQuery>;
export type CreditExpiringQuery = QueryOf<typeof creditExpiringQuery>;
export type CreditTakeBackBody = z.input<typeof takeBackInputSchema>;
export type PricesQuery = QueryOf<typeof pricesQuery>;
export type WebhookEventsQuery = QueryOf<typeof webhookEventsQuery>;
export type OutboxRowsQuery = QueryOf<typeof outboxRowsQuery>;
export type OutboxReplayBody = z.input<typeof outboxReplayBody>;
export type AlertsQuery = QueryOf<typeof alertsQuery>;
export type CustomerAlertsQuery = QueryOf<typeof customerAlertsQuery>;
export type AlertReplayBody = z.input<typeof alertReplayBody>;

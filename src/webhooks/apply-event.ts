import { BillingError } from "../core/errors.ts";
import type { ProviderChange } from "../providers/types.ts";
import type { Sql } from "../store/types.ts";
import { lockObject, readObjectVersion, writeObjectVersionAndOutcome, type ObjectKey, type ObjectVersion } from "../store/webhooks/object-versions.ts";
import { claimWebhookEvent, finishWebhookEvent, type WebhookOutcome } from "../store/webhooks/webhook-log.ts";
import type { WebhookDeps } from "./deps.ts";

/** What one delivery came to. */
export interface DeliveryResult {
  eventId: string;
  outcome: WebhookOutcome | "duplicate";
  error: string | null;
}

/** What applying a change did, inside the event's transaction. */
export interface Applied {
  outcome: WebhookOutcome;
  error: string | null;
  /** Customers whose plan or period changed: their cached entitlements are dropped after commit. */
  customers: readonly string[];
}

/**
 * A change to one provider object, ready to be applied in order. `state` is what the event
 * carries (null: the object is gone); `incomplete` says it cannot be used as it is (a thin
 * event, a price without its tiers) and must be re-read first.
 */
export interface ObjectChange<S> {
  key: ObjectKey;
  /** The provider's time of the change: the version this state would become. */
  at: Date;
  state: S | null;
  incomplete: boolean;
  reread(): Promise<S | null>;
  hash(state: S | null): string;
  apply(tx: Sql, state: S | null, at: Date): Promise<Applied>;
  /**
   * For an object whose history billhub keeps (a price): how a change older than the current
   * version is entered in its place. Without it such a change is stale and changes nothing.
   */
  late?: LateChange<S>;
}

/** Entering a late change in an object's history; the current version stays as it is. */
export interface LateChange<S> {
  /**
   * The event's own state, completed from the object as the provider has it now, for an
   * incomplete change (a re-read alone is the newest state, not the one at the event's time);
   * undefined when it cannot be completed.
   */
  complete(now: S | null): S | undefined;
  apply(tx: Sql, state: S | null, at: Date): Promise<Applied>;
}

/** Rolls back an attempt whose decision no longer holds. */
class DecideAgain extends Error {}

/**
 * A re-read may be needed at most once per attempt; the object changing under us that often is an
 * outage. The first attempt of a complete change reads nothing up front, hence one more.
 */
const MAX_ATTEMPTS = 4;

/**
 * Applies a change to one object exactly once and in order, in one transaction with its log
 * entry: a change older than the stored version is stale and changes nothing; one in the same
 * second with a different state is a tie, settled by re-reading the object from the provider and
 * applying what it returns (the newest truth), never by dropping the later event. Re-reads happen
 * outside the transaction; if the stored version moved meanwhile, the decision is made again.
 */
export async function applyObjectChange<S>(deps: WebhookDeps, change: ProviderChange, object: ObjectChange<S>, receivedAt: Date): Promise<DeliveryResult> {
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
    // A complete change is first tried straight away: the transaction decides on the stored
    // version it locks, and only a tie found there (DecideAgain) needs this read and a re-read.
    const seen = attempt === 1 && !object.incomplete ? undefined : await readObjectVersion(deps.store, object.key);
    let state: S | null | undefined = object.state;
    let reread = false;
    let late = false;
    if (isStale(seen, object.at)) {
      if (object.incomplete && object.late !== undefined) {
        state = object.late.complete(await object.reread());
        late = true;
      }
    } else if (object.incomplete || isTie(seen, object.at, object.hash(state))) {
      state = await object.reread();
      reread = true;
    }
    let done: Done;
    try {
      done = await deps.store.transaction((tx) => applyInTransaction(tx, deps.store.schema, change, object, { state, reread, late, receivedAt }));
    } catch (error) {
      if (error instanceof DecideAgain) continue;
      throw error;
    }
    for (const customerId of done.customers) deps.onCustomerChanged(customerId);
    return done.result;
  }
  throw new BillingError("STORE_UNAVAILABLE", `${change.provider} ${object.key.type} ${object.key.id} kept changing while event ${change.eventId} was applied; the provider will redeliver it`, {
    provider: change.provider,
  });
}

interface Done {
  result: DeliveryResult;
  customers: readonly string[];
}

async function applyInTransaction<S>(
  tx: Sql,
  schema: string,
  change: ProviderChange,
  object: ObjectChange<S>,
  prepared: { state: S | null | undefined; reread: boolean; late: boolean; receivedAt: Date },
): Promise<Done> {
  const { eventId, provider } = change;
  if (!(await claimWebhookEvent(tx, logEntry(change, object.key, prepared.receivedAt, "failed", null)))) {
    return { result: { eventId, outcome: "duplicate", error: null }, customers: [] };
  }
  await lockObject(tx, schema, object.key);
  const current = await readObjectVersion(tx, object.key);
  if (isStale(current, object.at)) {
    const newer = `a newer change (event ${current?.eventId}) is already applied`;
    // The object became stale since its state was prepared as the newest: prepare the event's own.
    if (object.late !== undefined && object.incomplete && !prepared.late) throw new DecideAgain();
    const applied =
      object.late === undefined || prepared.state === undefined
        ? { outcome: "stale" as const, error: object.late === undefined ? newer : `${newer}; this change could not be completed to enter it in the history`, customers: [] }
        : await object.late.apply(tx, prepared.state, object.at);
    const error = applied.error ?? `${newer}; this older change was entered in the history in its place`;
    await finishWebhookEvent(tx, provider, eventId, applied.outcome, error);
    return { result: { eventId, outcome: applied.outcome, error }, customers: applied.customers };
  }
  // Versions never move back, so a state prepared as late is never needed here.
  if (prepared.state === undefined) throw new DecideAgain();
  const hash = object.hash(prepared.state);
  // The stored version moved into a tie since it was read: roll back, re-read, decide again.
  if (!prepared.reread && isTie(current, object.at, hash)) throw new DecideAgain();
  const applied = await object.apply(tx, prepared.state, object.at);
  await writeObjectVersionAndOutcome(tx, object.key, { versionAt: object.at, stateHash: hash, eventId }, { provider, outcome: applied.outcome, error: applied.error });
  return { result: { eventId, outcome: applied.outcome, error: applied.error }, customers: applied.customers };
}

/**
 * Logs an event that changes no object (ignored types, invoice hand-overs) once, with its outcome.
 */
export async function logEvent(deps: WebhookDeps, change: ProviderChange, receivedAt: Date, outcome: WebhookOutcome, error: string | null, object: ObjectKey | null): Promise<DeliveryResult> {
  const claimed = await deps.store.transaction((tx) => claimWebhookEvent(tx, logEntry(change, object, receivedAt, outcome, error)));
  return claimed ? { eventId: change.eventId, outcome, error } : { eventId: change.eventId, outcome: "duplicate", error: null };
}

/**
 * Logs a delivery that failed (billhub answers 5xx), so that it shows in the log and is
 * processed again when the provider redelivers it. If the store itself is down this fails too,
 * which loses nothing: the provider still holds the event.
 */
export async function logFailure(deps: WebhookDeps, change: ProviderChange, receivedAt: Date, error: unknown): Promise<void> {
  const message = error instanceof BillingError ? `${error.code}: ${error.message}` : "INTERNAL: unexpected error";
  try {
    await deps.store.transaction((tx) => claimWebhookEvent(tx, logEntry(change, objectOf(change), receivedAt, "failed", message)));
  } catch {
    // The original error is what the caller reports; the store being down is part of it.
  }
}

function isStale(current: ObjectVersion | undefined, at: Date): boolean {
  return current !== undefined && at.getTime() < current.versionAt.getTime();
}

function isTie(current: ObjectVersion | undefined, at: Date, hash: string): boolean {
  return current !== undefined && at.getTime() === current.versionAt.getTime() && hash !== current.stateHash;
}

/** The object an event is about, for the log. */
export function objectOf(change: ProviderChange): ObjectKey | null {
  const at = (type: string, id: string): ObjectKey => ({ provider: change.provider, type, id });
  switch (change.kind) {
    case "price_upserted":
      return at("price", change.price.id);
    case "price_deleted":
      return at("price", change.priceId);
    case "product_upserted":
      return at("product", change.product.id);
    case "product_deleted":
      return at("product", change.productId);
    case "subscription_changed":
      return at("subscription", change.subscription.id);
    case "invoice_created":
      return at("invoice", change.invoice.id);
    case "credit_purchase":
      return at("credit_purchase", change.purchases[0]!.objectId);
    case "customer_billing_stale":
      return at("customer", change.customer.externalId);
    case "ignored":
      return null;
    default:
      return assertNever(change);
  }
}

function logEntry(change: ProviderChange, object: ObjectKey | null, receivedAt: Date, outcome: WebhookOutcome, error: string | null) {
  return {
    provider: change.provider,
    eventId: change.eventId,
    eventType: change.eventType,
    objectType: object?.type ?? null,
    objectId: object?.id ?? null,
    created: change.created,
    receivedAt,
    outcome,
    error,
    payload: change,
  };
}

export function assertNever(value: never): never {
  throw new Error(`unexpected change ${JSON.stringify(value)}`);
}

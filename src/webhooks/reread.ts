import { BillingError } from "../core/errors.ts";
import type { ProviderObjects, ProviderObjectType } from "../providers/types.ts";
import type { WebhookDeps } from "./deps.ts";

/** Re-reads an object from the provider that sent the event about it. */
export async function reread<T extends ProviderObjectType>(deps: WebhookDeps, providerId: string, type: T, id: string): Promise<ProviderObjects[T] | null> {
  const provider = deps.providers.get(providerId);
  if (provider.readObject === undefined) {
    throw new BillingError("PROVIDER_UNSUPPORTED", `The ${providerId} provider cannot re-read a ${type}, which this event needs`, { provider: providerId });
  }
  return provider.readObject(type, id);
}

import type { Hub } from "../../src/hub.ts";

/**
 * Records usage the way an application does (`hub.record`), at a given time, with a
 * transactionId derived from the customer and a per-recorder counter.
 */
export function usageRecorder(hub: Hub) {
  let count = 0;
  return async (customerId: string, meter: string, quantity: number | string, timestamp: string): Promise<void> => {
    count += 1;
    await hub.record({ customerId, meter, quantity, timestamp, transactionId: `${customerId}-rec-${count}` });
  };
}

import type { Store } from "../../src/store/types.ts";
import { waitFor } from "./wait.ts";

export interface VacuumLock {
  /** Resolves with the server pid of the VACUUM once it is seen waiting for this lock. */
  vacuumWaiting(): Promise<number>;
  /** Ends the transaction holding the lock, letting the VACUUM go on. */
  release(): Promise<void>;
}

/**
 * Holds, in a transaction on one of `store`'s connections (PostgreSQL), a lock on the schema's
 * usage_rollup_months that a compaction's moves do not wait for (their inserts take ROW
 * EXCLUSIVE) but its VACUUM does (SHARE UPDATE EXCLUSIVE conflicts with itself): the VACUUM then
 * waits, counted in its statement time, for as long as the test holds the lock.
 *
 * @example
 * const lock = await lockRollupVacuum(store);
 * const compaction = compactRollups(other, { before });
 * await lock.vacuumWaiting();
 * await lock.release();
 */
export async function lockRollupVacuum(store: Store): Promise<VacuumLock> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let locked!: () => void;
  const isLocked = new Promise<void>((resolve) => (locked = resolve));
  let holder: number | undefined;
  const holding = store.transaction(async (tx) => {
    holder = (await tx.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]!.pid;
    await tx.query("LOCK TABLE usage_rollup_months IN SHARE UPDATE EXCLUSIVE MODE");
    locked();
    await released;
  });
  // The transaction only ends once released, so this is the lock taken, or the failure to take it.
  await Promise.race([isLocked, holding]);
  return {
    async vacuumWaiting() {
      let vacuum: number | undefined;
      await waitFor("the VACUUM of the rollup tables to wait for the lock", async () => {
        const { rows } = await store.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE $1::int = ANY(pg_blocking_pids(pid)) AND query LIKE 'VACUUM %'", [holder]);
        vacuum = rows[0]?.pid;
        return vacuum !== undefined;
      }, { timeoutMs: 30_000 });
      return vacuum!;
    },
    async release() {
      release();
      await holding;
    },
  };
}

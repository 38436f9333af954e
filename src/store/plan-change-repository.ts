import type { TrialOnEnd } from "../core/catalog/index.ts";
import type { Sql } from "./types.ts";

/** What made a plan change; `trial_end` is the end of a trial, written when the trial starts. */
export type PlanChangeSource = "assign" | "unassign" | "subscription" | "migration" | "trial_end";

/** A trial that comes with a plan assignment: when it ends and what the customer is on after it. */
export interface TrialWrite {
  endsAt: Date;
  onEnd: TrialOnEnd;
}

/** One dated change of a customer's plan. `planKey` null = the catalog's default plan. */
export interface PlanChangeRecord {
  customerId: string;
  /** When the plan takes effect; null = since the beginning (a plan carried over from before history was kept). */
  effectiveAt: Date | null;
  planKey: string | null;
  planVariant: string | null;
  /** Set on a change that starts a trial: when the trial ends. */
  trialEndsAt: Date | null;
  source: PlanChangeSource;
  /** For subscription changes, `<provider>:<subscription id>`. */
  reference: string | null;
  recordedAt: Date;
}

/** How a plan change is dated and explained. */
export interface PlanChangeWrite {
  /** When it takes effect; moved forward to the customer's latest change or invoiced period end when earlier (see `recordPlanChange`). */
  effectiveAt: Date;
  source: PlanChangeSource;
  reference?: string | null;
}

interface PlanChangeRow {
  [key: string]: unknown;
  customer_id: string;
  effective_at: Date | null;
  plan_key: string | null;
  plan_variant: string | null;
  trial_ends_at: Date | null;
  source: PlanChangeSource;
  reference: string | null;
  recorded_at: Date;
}

const COLUMNS = "customer_id, CASE WHEN effective_at = '-infinity' THEN NULL ELSE effective_at END AS effective_at, plan_key, plan_variant, trial_ends_at, source, reference, recorded_at";

function toRecord(row: PlanChangeRow): PlanChangeRecord {
  return {
    customerId: row.customer_id,
    effectiveAt: row.effective_at,
    planKey: row.plan_key,
    planVariant: row.plan_variant,
    trialEndsAt: row.trial_ends_at,
    source: row.source,
    reference: row.reference,
    recordedAt: row.recorded_at,
  };
}

/**
 * The earliest instant a new plan change of the customer may take effect: its latest recorded
 * change (history only grows forward) and the end of its latest invoiced (closed) period (an
 * invoice already written priced that time on the plan held then). A trial's end still ahead of
 * `now` does not count: a change before it cuts the trial short. Null when neither exists.
 */
export async function earliestPlanChange(sql: Sql, customerId: string, now: Date): Promise<Date | null> {
  const { rows } = await sql.query<{ at: Date | null }>(
    `SELECT NULLIF(GREATEST(
        (SELECT max(effective_at) FROM customer_plan_changes WHERE customer_id = $1 AND (source <> 'trial_end' OR effective_at <= $2)),
        (SELECT max(period_to) FROM closed_periods WHERE customer_id = $1)), '-infinity') AS at`,
    [customerId, now.toISOString()],
  );
  return rows[0]?.at ?? null;
}

const UPSERT_CHANGE = `
  ON CONFLICT (customer_id, effective_at) DO UPDATE
    SET plan_key = EXCLUDED.plan_key, plan_variant = EXCLUDED.plan_variant, trial_ends_at = EXCLUDED.trial_ends_at,
        source = EXCLUDED.source, reference = EXCLUDED.reference, recorded_at = EXCLUDED.recorded_at`;

/**
 * Records that the customer's plan became `planKey`/`planVariant`. The instant is moved forward
 * to the customer's latest change or invoiced period end when it is earlier (a provider event
 * delivered late, a clock behind the database's): history never changes what an earlier instant,
 * or an invoiced period, was on. A second change at the same instant replaces the first. A trial
 * end still ahead of the change is dropped (the change cuts the trial short); with `trial`, the
 * trial's end is written too, as a `trial_end` change to the plan (`convert`) or the default plan
 * (`default`), unless the change itself was moved past it. The caller holds the customer's row lock.
 */
export async function recordPlanChange(sql: Sql, customerId: string, planKey: string | null, planVariant: string | null, change: PlanChangeWrite, trial?: TrialWrite): Promise<void> {
  await sql.query("DELETE FROM customer_plan_changes WHERE customer_id = $1 AND source = 'trial_end' AND effective_at > $2", [customerId, change.effectiveAt.toISOString()]);
  const { rows } = await sql.query<{ effective_at: Date }>(
    `INSERT INTO customer_plan_changes (customer_id, effective_at, plan_key, plan_variant, trial_ends_at, source, reference)
     VALUES ($1, GREATEST($2::timestamptz,
                (SELECT max(effective_at) FROM customer_plan_changes WHERE customer_id = $1),
                (SELECT max(period_to) FROM closed_periods WHERE customer_id = $1)), $3, $4, $5, $6, $7)
     ${UPSERT_CHANGE}
     RETURNING effective_at`,
    [customerId, change.effectiveAt.toISOString(), planKey, planVariant, trial?.endsAt.toISOString() ?? null, change.source, change.reference ?? null],
  );
  if (trial === undefined) return;
  if (!(rows[0]!.effective_at < trial.endsAt)) {
    // Moved past its own end: no trial part remains.
    await sql.query("UPDATE customer_plan_changes SET trial_ends_at = NULL WHERE customer_id = $1 AND effective_at = $2", [customerId, rows[0]!.effective_at]);
    return;
  }
  const converts = trial.onEnd === "convert";
  await sql.query(
    `INSERT INTO customer_plan_changes (customer_id, effective_at, plan_key, plan_variant, trial_ends_at, source, reference)
     VALUES ($1, $2, $3, $4, NULL, 'trial_end', $5) ${UPSERT_CHANGE}`,
    [customerId, trial.endsAt.toISOString(), converts ? planKey : null, converts ? planVariant : null, change.reference ?? null],
  );
}

/** The customer's plan changes, oldest first. */
export async function listPlanChanges(sql: Sql, customerId: string): Promise<PlanChangeRecord[]> {
  const { rows } = await sql.query<PlanChangeRow>(`SELECT ${COLUMNS} FROM customer_plan_changes WHERE customer_id = $1 ORDER BY effective_at`, [customerId]);
  return rows.map(toRecord);
}

/** A plan held over part of a window. */
export interface PlanSpan {
  from: Date;
  to: Date;
  /** null = the catalog's default plan. */
  planKey: string | null;
  /** Held on trial: the plan's flat fees are not billed for this part. */
  trial: boolean;
}

/**
 * Each window cut where its customer's plan changed, in one statement for a batch: the plan in
 * force at the window's start (the latest change at or before it; the default plan without one)
 * and each change inside the window. Consecutive parts on the same plan (a variant change) are one
 * part: variants do not change prices; a trial and the same plan after it are two (the trial part
 * bills no flat fee). Every window gets at least one part, and the parts of a
 * window cover it exactly, without gaps or overlaps.
 *
 * @example
 * await planSpans(tx, [{ customerId: "acme", from: oct1, to: nov1 }]) // acme upgraded on Oct 10
 * // Map { "acme" => [{ from: oct1, to: oct10, planKey: null }, { from: oct10, to: nov1, planKey: "pro" }] }
 */
export async function planSpans(sql: Sql, windows: ReadonlyArray<{ customerId: string; from: Date; to: Date }>): Promise<Map<string, PlanSpan[]>> {
  const spans = new Map<string, PlanSpan[]>();
  if (windows.length === 0) return spans;
  const { rows } = await sql.query<{ customer_id: string; from_at: Date; plan_key: string | null; trial: boolean }>(
    `SELECT w.customer_id, GREATEST(p.effective_at, w.from_at) AS from_at, p.plan_key, p.trial_ends_at IS NOT NULL AS trial
       FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[]) AS w(customer_id, from_at, to_at)
      CROSS JOIN LATERAL (
        (SELECT h.effective_at, h.plan_key, h.trial_ends_at FROM customer_plan_changes h
          WHERE h.customer_id = w.customer_id AND h.effective_at <= w.from_at ORDER BY h.effective_at DESC LIMIT 1)
        UNION ALL
        SELECT h.effective_at, h.plan_key, h.trial_ends_at FROM customer_plan_changes h
         WHERE h.customer_id = w.customer_id AND h.effective_at > w.from_at AND h.effective_at < w.to_at) p
      ORDER BY w.customer_id, from_at`,
    [windows.map((w) => w.customerId), windows.map((w) => w.from.toISOString()), windows.map((w) => w.to.toISOString())],
  );
  const changes = new Map<string, Array<{ from: Date; planKey: string | null; trial: boolean }>>();
  for (const row of rows) {
    const list = changes.get(row.customer_id) ?? [];
    list.push({ from: row.from_at, planKey: row.plan_key, trial: row.trial });
    changes.set(row.customer_id, list);
  }
  for (const window of windows) {
    const parts: PlanSpan[] = [];
    const list = changes.get(window.customerId) ?? [];
    // No change at or before the start: the default plan until the first change.
    if (list.length === 0 || list[0]!.from.getTime() > window.from.getTime()) parts.push({ from: window.from, to: window.to, planKey: null, trial: false });
    for (const change of list) {
      const last = parts[parts.length - 1];
      if (last !== undefined && last.planKey === change.planKey && last.trial === change.trial) continue;
      if (last !== undefined) last.to = change.from;
      parts.push({ from: change.from, to: window.to, planKey: change.planKey, trial: change.trial });
    }
    spans.set(window.customerId, parts);
  }
  return spans;
}

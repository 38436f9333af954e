-- Trials. A plan assigned with a trial (or a provider subscription that is trialing) is held from
-- its change's instant until trial_ends_at without its flat fees; at trial_ends_at the customer
-- converts to the plan or returns to the catalog's default plan (trial_on_end), which is written
-- at the same time as a dated 'trial_end' row of the plan history. Until that instant the row lies
-- in the future: it is the one kind of plan change that may, and a change made before it
-- replaces it (the trial was cut short).
--
-- customers.plan_key stays the plan assigned; while trial_ends_at has passed and trial_on_end is
-- 'default', the plan in force is the catalog's default (read through planInForce).
ALTER TABLE customers
  ADD COLUMN trial_ends_at timestamptz,
  ADD COLUMN trial_on_end text CHECK (trial_on_end IN ('convert', 'default')),
  ADD CONSTRAINT customers_trial_complete CHECK ((trial_ends_at IS NULL) = (trial_on_end IS NULL));

-- Set on the change that starts a trial: the part of a window from it to the next change is a trial part.
ALTER TABLE customer_plan_changes
  ADD COLUMN trial_ends_at timestamptz,
  DROP CONSTRAINT customer_plan_changes_source_check,
  ADD CONSTRAINT customer_plan_changes_source_check CHECK (source IN ('assign', 'unassign', 'subscription', 'migration', 'trial_end'));

-- When a trialing subscription's trial ends, as its provider says.
ALTER TABLE provider_subscriptions ADD COLUMN trial_ends_at timestamptz;

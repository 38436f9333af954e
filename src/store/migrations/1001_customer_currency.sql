-- The currency a customer pays in: set when it is first put on a plan (that plan's currency) or
-- given with upsertCustomer, and fixed from then on, as a Stripe customer's currency is once it
-- has a subscription. A plan in another currency is refused for the customer. NULL: not fixed yet.
ALTER TABLE customers ADD COLUMN currency text CHECK (currency ~ '^[A-Z]{3}$');

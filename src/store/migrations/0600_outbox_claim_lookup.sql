-- Rows of one claim, for settling a claim's rows and extending its lease: without it, those
-- statements reach the claim's rows through every pending row (usage_outbox_due), which after
-- a burst of usage is most of the outbox. Only claimed rows have a claim_id, so the index holds
-- just the rows forwarders are working on.
CREATE INDEX usage_outbox_claim ON usage_outbox (claim_id) WHERE claim_id IS NOT NULL;

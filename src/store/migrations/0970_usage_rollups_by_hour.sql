-- The hub's activity over the last hours (the dashboard's overview: usage per hour, customers
-- active today) reads the hourly rollups by hour across every customer. The key leads with the
-- customer, so without this index that read would scan the whole table. An hour's row gets its
-- index entry once, when it is first inserted; the updates that add to it change no indexed
-- column and stay HOT.
CREATE INDEX usage_rollups_hour ON usage_rollups (bucket_start);

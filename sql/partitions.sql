--
-- partitions: what PostgreSQL clones onto partitions or inherits into
-- children without reporting it -- indexes, foreign keys, triggers,
-- defaults, CHECK constraints -- and what attaching, detaching or creating
-- a partition changes, upkeep records as a rebuild does, after each step
--
\set ECHO none
\i test/fixtures/upkeep_vs_rebuild.sql
\set ECHO all
CREATE SCHEMA pa;
SET search_path = pa, public;
SET schemaguard.mode = off;
CREATE TABLE customer (id int PRIMARY KEY, region text);
CREATE TABLE payment (customer_id int, amount numeric, paid_on date)
    PARTITION BY RANGE (paid_on);
CREATE TABLE payment_2022 PARTITION OF payment FOR VALUES FROM ('2022-01-01') TO ('2023-01-01');
CREATE TABLE payment_2023 PARTITION OF payment FOR VALUES FROM ('2023-01-01') TO ('2024-01-01')
    PARTITION BY RANGE (paid_on);
CREATE TABLE payment_2023_h1 PARTITION OF payment_2023 FOR VALUES FROM ('2023-01-01') TO ('2023-07-01');
SELECT * FROM pg_temp.upkeep_vs_rebuild();

-- an index created on the partitioned table: cloned onto every partition
CREATE INDEX payment_amount ON payment (amount);
SELECT object_identity, usage FROM schemaguard.impact_of('payment_2023_h1.amount') ORDER BY 1;
SELECT * FROM pg_temp.upkeep_vs_rebuild();

-- a foreign key added to the partitioned table: cloned onto each partition
ALTER TABLE payment ADD CONSTRAINT payment_customer FOREIGN KEY (customer_id) REFERENCES customer (id);
SELECT object_identity, usage FROM schemaguard.impact_of('customer.id')
WHERE object_identity LIKE 'payment_customer%' ORDER BY 1;
SELECT * FROM pg_temp.upkeep_vs_rebuild();

-- a trigger on the partitioned table: cloned too, each reading its own
-- partition's columns through NEW
CREATE FUNCTION check_amount() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.amount < 0 THEN RAISE EXCEPTION 'negative'; END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER payment_check BEFORE INSERT ON payment FOR EACH ROW EXECUTE FUNCTION check_amount();
SELECT object_identity, usage FROM schemaguard.impact_of('payment_2022.amount')
WHERE object_identity LIKE 'payment_check%' ORDER BY 1;
SELECT * FROM pg_temp.upkeep_vs_rebuild();

-- a default and a CHECK constraint on the parent: inherited
ALTER TABLE payment ALTER COLUMN amount SET DEFAULT abs(0);
ALTER TABLE payment ADD CONSTRAINT payment_positive CHECK (amount >= 0);
SELECT * FROM pg_temp.upkeep_vs_rebuild();

-- ATTACH PARTITION: a table with an index of its own, which becomes the
-- partition of the parent's index, gets the foreign key and the trigger
CREATE TABLE payment_2024 (customer_id int, amount numeric DEFAULT abs(0), paid_on date,
                           CONSTRAINT payment_positive CHECK (amount >= 0));
CREATE INDEX payment_2024_amount ON payment_2024 (amount);
ALTER TABLE payment ATTACH PARTITION payment_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
SELECT object_identity, usage FROM schemaguard.impact_of('payment_2024.amount') ORDER BY 1, 2;
SELECT * FROM pg_temp.upkeep_vs_rebuild();
-- ALTER INDEX ... ATTACH PARTITION
CREATE TABLE payment_2023_h2 PARTITION OF payment_2023 FOR VALUES FROM ('2023-07-01') TO ('2024-01-01');
CREATE INDEX payment_2023_paid ON ONLY payment_2023 (paid_on);
CREATE INDEX payment_2023_h2_paid ON payment_2023_h2 (paid_on);
ALTER INDEX payment_2023_paid ATTACH PARTITION payment_2023_h2_paid;
SELECT * FROM pg_temp.upkeep_vs_rebuild();

-- DETACH PARTITION: the foreign key and the index stay, as its own
ALTER TABLE payment DETACH PARTITION payment_2022;
SELECT object_identity, usage FROM schemaguard.impact_of('payment_2022.customer_id') ORDER BY 1, 2;
SELECT * FROM pg_temp.upkeep_vs_rebuild();

-- a partitioned table that is referenced: a partition attached, created,
-- detached changes the constraints of the referencing table
CREATE TABLE region (code text PRIMARY KEY) PARTITION BY LIST (code);
CREATE TABLE region_eu PARTITION OF region FOR VALUES IN ('eu');
CREATE TABLE office (id int, region_code text REFERENCES region (code));
CREATE TABLE region_us PARTITION OF region FOR VALUES IN ('us');
SELECT * FROM pg_temp.upkeep_vs_rebuild();
CREATE TABLE region_asia (code text PRIMARY KEY);
ALTER TABLE region ATTACH PARTITION region_asia FOR VALUES IN ('asia');
SELECT object_identity, usage FROM schemaguard.impact_of('region_asia.code') ORDER BY 1, 2;
SELECT * FROM pg_temp.upkeep_vs_rebuild();
ALTER TABLE region DETACH PARTITION region_eu;
SELECT object_identity, usage FROM schemaguard.impact_of('region_eu.code') ORDER BY 1, 2;
SELECT * FROM pg_temp.upkeep_vs_rebuild();

-- plain inheritance: a CHECK on the parent is inherited by the child
CREATE TABLE measure (v numeric);
CREATE TABLE measure_child () INHERITS (measure);
ALTER TABLE measure ADD CONSTRAINT measure_v CHECK (v > 0);
SELECT object_identity, usage FROM schemaguard.impact_of('measure_child.v') ORDER BY 1, 2;
SELECT * FROM pg_temp.upkeep_vs_rebuild();

RESET schemaguard.mode;
RESET search_path;

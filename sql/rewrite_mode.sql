--
-- rewrite_mode: schemaguard.rewrite = on carries out what the guard would
-- block in its safe form, in as many transactions as it needs, from psql;
-- inside a transaction block it blocks as before and says why; check_ddl()
-- says what it would do; every rewritten statement audited as 'rewritten';
-- a failure in the middle leaves a migration that rollback or the next call
-- takes on
--
LOAD 'schemaguard';
SET schemaguard.consider_sessions = off;
SET schemaguard.large_table_threshold = '64kB';
SET lock_timeout = '1s';
SET client_min_messages = notice;
SELECT setval('schemaguard.migration_id_seq', 2000) IS NOT NULL AS reset;
SHOW schemaguard.rewrite;
CREATE SCHEMA rwm;
CREATE TABLE rwm.orders (id int, ref text, amount int, customer int, memo text);
INSERT INTO rwm.orders SELECT g, 'r' || g, g % 90, g % 5, 'm' || g FROM generate_series(1, 4000) g;
CREATE TABLE rwm.customers (id int PRIMARY KEY);
INSERT INTO rwm.customers SELECT g FROM generate_series(0, 4) g;
ANALYZE rwm.orders;

-- only superusers (or GRANT SET ON PARAMETER) turn it on
CREATE ROLE rwm_user;
SET ROLE rwm_user;
SET schemaguard.rewrite = on;
RESET ROLE;
SET schemaguard.rewrite = on;

-- each kind, carried out: the NOTICE says what ran, one line per transaction
ALTER TABLE rwm.orders ALTER COLUMN amount SET NOT NULL;
ALTER TABLE rwm.orders ADD CONSTRAINT amount_small CHECK (amount < 100);
ALTER TABLE rwm.orders ADD FOREIGN KEY (customer) REFERENCES rwm.customers;
ALTER TABLE rwm.orders ADD PRIMARY KEY (id);
CREATE INDEX orders_ref ON rwm.orders (ref);
REINDEX INDEX rwm.orders_ref;
DROP INDEX rwm.orders_ref;
\d rwm.orders
SELECT id, state, phase FROM schemaguard.migrations WHERE id > 2000 ORDER BY id;
SELECT statement, findings->0->>'rule' AS rule, reason FROM schemaguard.audit_log
WHERE decision = 'rewritten' ORDER BY logged_at, statement;

-- what stays the person's call: a deprecated column, a renamed table's view
CREATE FUNCTION rwm.memo_of(int) RETURNS text LANGUAGE sql STABLE
    AS 'SELECT memo FROM rwm.orders WHERE id = $1';
ALTER TABLE rwm.orders DROP COLUMN memo;
SELECT attname FROM pg_attribute WHERE attrelid = 'rwm.orders'::regclass AND attname = 'memo';
SELECT id AS deprecation FROM schemaguard.migrations WHERE ddl LIKE '%DROP COLUMN memo%' \gset
SELECT schemaguard.contract(:deprecation);
SELECT schemaguard.contract(:deprecation, drop_dependents => true);
CREATE FUNCTION rwm.count_orders() RETURNS bigint LANGUAGE plpgsql STABLE
    AS $$ BEGIN RETURN (SELECT count(amount) FROM rwm.orders); END $$;
ALTER TABLE rwm.orders RENAME TO purchases;
-- the old name works until contract
SELECT rwm.count_orders();
INSERT INTO rwm.orders (id, ref, amount, customer) VALUES (4001, 'r4001', 1, 1);
SELECT count(*) FROM rwm.purchases;
SELECT schemaguard.contract(id) FROM schemaguard.migrations WHERE state = 'switched' AND ddl LIKE '%RENAME TO purchases%';
SELECT relkind FROM pg_class WHERE oid = 'rwm.orders'::regclass;

-- a change that writes rows: started, the backfill is the person's
ALTER TABLE rwm.purchases ALTER COLUMN ref TYPE varchar(20);
SELECT state FROM schemaguard.migrations WHERE ddl LIKE '%varchar(20)%';
SELECT id AS typechange FROM schemaguard.migrations WHERE ddl LIKE '%varchar(20)%' \gset
SELECT schemaguard.rollback(:typechange);

-- inside a transaction block, a function or a multi-statement query: blocked
BEGIN;
ALTER TABLE rwm.purchases ALTER COLUMN customer SET NOT NULL;
ROLLBACK;
CREATE INDEX purchases_customer ON rwm.purchases (customer) \; SELECT 1;
DO $$ BEGIN EXECUTE 'CREATE INDEX purchases_customer ON rwm.purchases (customer)'; END $$;

-- check_ddl says what rewrite mode would do
SELECT statement, rule, severity, message, detail FROM schemaguard.check_ddl($$
CREATE INDEX purchases_customer ON rwm.purchases (customer);
ALTER TABLE rwm.purchases ALTER COLUMN ref TYPE varchar(20);
BEGIN;
ALTER TABLE rwm.purchases ALTER COLUMN customer SET NOT NULL;
COMMIT;
$$) WHERE rule = 'rewrite';

-- failure in the middle: a duplicate fails the unique index twice (built,
-- dropped, built again, dropped); the migration stays expanded, consistent
INSERT INTO rwm.purchases VALUES (5000, 'r1', 1, 1);
ALTER TABLE rwm.purchases ADD UNIQUE (ref);
SELECT id AS unique_id, state, last_error FROM schemaguard.migrations WHERE ddl LIKE '%UNIQUE (ref)%' \gset
SELECT :'state' AS state, :'last_error' AS last_error;
SELECT count(*) AS invalid_indexes FROM pg_index WHERE indrelid = 'rwm.purchases'::regclass AND NOT indisvalid;
-- the duplicate gone, the next call takes it on
DELETE FROM rwm.purchases WHERE id = 5000;
CALL schemaguard.backfill(:unique_id);
SELECT schemaguard.switch(:unique_id);
SELECT conname FROM pg_constraint WHERE conrelid = 'rwm.purchases'::regclass AND contype = 'u';
-- a null fails the validation: the migration stays verified, rollback undoes it
UPDATE rwm.purchases SET customer = NULL WHERE id = 10;
ALTER TABLE rwm.purchases ALTER COLUMN customer SET NOT NULL;
SELECT id AS notnull_id, state FROM schemaguard.migrations WHERE ddl LIKE '%customer SET NOT NULL%' ORDER BY id DESC LIMIT 1 \gset
SELECT :'state' AS state;
SELECT schemaguard.rollback(:notnull_id);
SELECT count(*) AS checks FROM pg_constraint WHERE conrelid = 'rwm.purchases'::regclass AND conname LIKE '%not_null%';

-- off again: blocked as before
SET schemaguard.rewrite = off;
CREATE INDEX purchases_customer ON rwm.purchases (customer);

SET client_min_messages = warning;
SET schemaguard.mode = off;
DROP SCHEMA rwm CASCADE;
DROP ROLE rwm_user;

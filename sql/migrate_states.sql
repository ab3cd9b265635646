--
-- migrate_states: a migration from start to contract, or back with
-- rollback; both shapes written meanwhile; every call out of order refused
-- with the state and the next call; verify finds rows out of step
--
-- the guard is on and the table is large for it: the migration's own
-- statements (a rename that breaks a function, a drop of a column with data)
-- are not blocked
-- judged as if other sessions used every table (who is there: test/t/02*.pl)
SET schemaguard.consider_sessions = off;
SET schemaguard.large_table_threshold = '64kB';
SET client_min_messages = warning;
CREATE SCHEMA mig;
CREATE TABLE mig.accounts (
    id int PRIMARY KEY,
    balance int NOT NULL DEFAULT 0 CHECK (balance > -1000),
    owner_name text
);
CREATE INDEX accounts_balance ON mig.accounts (balance);
INSERT INTO mig.accounts SELECT g, g % 500, 'owner ' || g FROM generate_series(1, 3000) g;
CREATE VIEW mig.rich AS SELECT id, balance FROM mig.accounts WHERE balance > 400;
CREATE FUNCTION mig.total() RETURNS numeric LANGUAGE sql STABLE
    AS 'SELECT sum(balance) FROM mig.accounts';
ANALYZE mig.accounts;
SELECT pg_table_size('mig.accounts') > 64 * 1024 AS large;
ALTER TABLE mig.accounts CLUSTER ON accounts_balance;

-- by hand, the guard blocks what the migration will do
ALTER TABLE mig.accounts ALTER COLUMN balance TYPE bigint;

-- a migration that does not exist
SELECT schemaguard.switch(424242);
SELECT * FROM schemaguard.verify(NULL);

SET client_min_messages = notice;
SELECT schemaguard.start($$ALTER TABLE mig.accounts ALTER COLUMN balance TYPE bigint$$, 'balance to bigint') AS id \gset
SET client_min_messages = warning;
SELECT name, state, phase, rows_done, rows_total, eta, last_error FROM schemaguard.migrations;

-- expanded: every call but backfill and rollback is out of order
SELECT * FROM schemaguard.verify(:id);
SELECT schemaguard.switch(:id);
SELECT schemaguard.contract(:id);
-- one migration at a time per table
SELECT schemaguard.start($$ALTER TABLE mig.accounts RENAME COLUMN owner_name TO holder$$);
-- backfill commits: not in a transaction block, nor with bad arguments
BEGIN;
CALL schemaguard.backfill(:id);
ROLLBACK;
CALL schemaguard.backfill(:id, 0);
CALL schemaguard.backfill(:id, 100, 0);
CALL schemaguard.backfill(NULL);

-- both shapes written before the backfill: new rows and updated rows follow
INSERT INTO mig.accounts (id, balance) VALUES (5001, 7);
UPDATE mig.accounts SET balance = 8 WHERE id = 1;
INSERT INTO mig.accounts (id, balance, _sg_new_balance) VALUES (5002, 0, 9);
UPDATE mig.accounts SET _sg_new_balance = 10 WHERE id = 2;
SELECT id, balance, _sg_new_balance FROM mig.accounts WHERE id IN (1, 2, 3, 5001, 5002) ORDER BY id;

CALL schemaguard.backfill(:id, 500);
SELECT state, phase, rows_done >= 3000 AS all_rows, last_error FROM schemaguard.migrations;
SELECT count(*) AS out_of_step FROM mig.accounts WHERE _sg_new_balance IS DISTINCT FROM balance;
SELECT indexrelid::regclass AS index, indisvalid FROM pg_index WHERE indrelid = 'mig.accounts'::regclass ORDER BY indexrelid::regclass::text COLLATE "C";

-- backfilled: switch and contract are out of order
SELECT schemaguard.switch(:id);
SELECT schemaguard.contract(:id);

-- a row written without the triggers (session_replication_role = replica)
-- is found by verify; switch refuses with the count and a sample
SET session_replication_role = replica;
UPDATE mig.accounts SET balance = 99 WHERE id IN (17, 18);
RESET session_replication_role;
SELECT * FROM schemaguard.verify(:id);
SELECT state, phase, last_error FROM schemaguard.migrations;
SELECT schemaguard.switch(:id);
-- backfill writes them again; verify passes
CALL schemaguard.backfill(:id, 1000);
SELECT * FROM schemaguard.verify(:id);
SELECT state, phase, last_error FROM schemaguard.migrations;

-- verified: contract is out of order
SELECT schemaguard.contract(:id);

-- the switch
SELECT mig.total() AS total_before;
SELECT schemaguard.switch(:id);
SELECT state, phase FROM schemaguard.migrations;
SELECT attname, format_type(atttypid, atttypmod), attnotnull FROM pg_attribute
WHERE attrelid = 'mig.accounts'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum;
SELECT pg_get_viewdef('mig.rich'::regclass);
SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'mig.rich'::regclass AND attname = 'balance';
SELECT mig.total() AS total_after;
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'mig.accounts'::regclass ORDER BY conname COLLATE "C";
SELECT indexrelid::regclass AS index, pg_get_indexdef(indexrelid), indisclustered FROM pg_index WHERE indrelid = 'mig.accounts'::regclass ORDER BY indexrelid::regclass::text COLLATE "C";
-- the old column is still written, the other way round
INSERT INTO mig.accounts (id, balance) VALUES (5003, 11);
UPDATE mig.accounts SET balance = 12 WHERE id = 3;
SELECT id, balance, _sg_old_balance FROM mig.accounts WHERE id IN (3, 5003) ORDER BY id;
-- switched: backfill and verify are out of order
CALL schemaguard.backfill(:id);
SELECT * FROM schemaguard.verify(:id);

-- rollback after the switch: the old shape again, every row intact
SELECT schemaguard.rollback(:id);
SELECT state, phase FROM schemaguard.migrations;
SELECT attname, format_type(atttypid, atttypmod), attnotnull FROM pg_attribute
WHERE attrelid = 'mig.accounts'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum;
SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'mig.rich'::regclass AND attname = 'balance';
SELECT count(*), sum(balance) FROM mig.accounts;
SELECT mig.total() AS total_after_rollback;
SELECT conname FROM pg_constraint WHERE conrelid = 'mig.accounts'::regclass ORDER BY conname COLLATE "C";
SELECT indexrelid::regclass AS index FROM pg_index WHERE indrelid = 'mig.accounts'::regclass ORDER BY indexrelid::regclass::text COLLATE "C";
SELECT count(*) AS triggers FROM pg_trigger WHERE tgrelid = 'mig.accounts'::regclass;
-- rolled back: it is finished
SELECT schemaguard.rollback(:id);
CALL schemaguard.backfill(:id);

-- a second migration, to the end
SELECT schemaguard.start($$ALTER TABLE mig.accounts ALTER COLUMN balance TYPE bigint$$) AS id2 \gset
CALL schemaguard.backfill(:id2);
SELECT mismatches FROM schemaguard.verify(:id2);
SELECT schemaguard.switch(:id2);
SELECT schemaguard.contract(:id2);
SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
WHERE attrelid = 'mig.accounts'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum;
SELECT count(*) AS triggers FROM pg_trigger WHERE tgrelid = 'mig.accounts'::regclass;
SELECT count(*) AS sync_functions FROM pg_proc WHERE pronamespace = 'schemaguard'::regnamespace AND proname LIKE 'sync%';
SELECT mig.total() AS total_after_contract;
SELECT schemaguard.contract(:id2);
SELECT schemaguard.rollback(:id2);
-- the lineage follows: the view and the function read the new column
SELECT object_identity, column_name, usage FROM schemaguard.impact_of('mig.accounts.balance');

-- a rename, rolled back before the switch
SELECT schemaguard.start($$ALTER TABLE mig.accounts RENAME COLUMN owner_name TO holder$$) AS id3 \gset
UPDATE mig.accounts SET holder = 'renamed' WHERE id = 4;
SELECT id, owner_name, holder FROM mig.accounts WHERE id IN (4, 5) ORDER BY id;
SELECT schemaguard.rollback(:id3);
SELECT id, owner_name FROM mig.accounts WHERE id IN (4, 5) ORDER BY id;

-- a column with a volatile default, NOT NULL
SELECT schemaguard.start($$ALTER TABLE mig.accounts ADD COLUMN token float8 NOT NULL DEFAULT random()$$) AS id4 \gset
INSERT INTO mig.accounts (id) VALUES (6001);
SELECT token IS NOT NULL AS new_row_has_default FROM mig.accounts WHERE id = 6001;
CALL schemaguard.backfill(:id4, 1000);
SELECT count(*) FILTER (WHERE token IS NULL) AS null_tokens, count(DISTINCT token) > 3000 AS each_row_its_own
FROM mig.accounts;
SELECT mismatches FROM schemaguard.verify(:id4);
SELECT schemaguard.switch(:id4);
SELECT attnotnull FROM pg_attribute WHERE attrelid = 'mig.accounts'::regclass AND attname = 'token';
SELECT schemaguard.contract(:id4);

-- keys: a unique constraint that is the replica identity, a foreign key,
-- the index CLUSTER uses; carried to the new column and back
CREATE TABLE mig.regions (id int PRIMARY KEY);
INSERT INTO mig.regions SELECT g FROM generate_series(1, 10) g;
CREATE TABLE mig.codes (id int PRIMARY KEY, code int NOT NULL UNIQUE,
                        region int NOT NULL REFERENCES mig.regions ON DELETE CASCADE);
INSERT INTO mig.codes SELECT g, 1000 + g, 1 + g % 10 FROM generate_series(1, 100) g;
ALTER TABLE mig.codes REPLICA IDENTITY USING INDEX codes_code_key;
CREATE INDEX codes_region ON mig.codes (region);
ALTER TABLE mig.codes CLUSTER ON codes_region;
SELECT schemaguard.start($$ALTER TABLE mig.codes ALTER COLUMN code TYPE bigint, ALTER COLUMN region TYPE bigint$$) AS id6 \gset
CALL schemaguard.backfill(:id6);
SELECT mismatches FROM schemaguard.verify(:id6);
SELECT schemaguard.switch(:id6);
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'mig.codes'::regclass ORDER BY conname COLLATE "C";
SELECT indexrelid::regclass AS index, indisreplident, indisclustered FROM pg_index
WHERE indrelid = 'mig.codes'::regclass AND (indisreplident OR indisclustered) ORDER BY indexrelid::regclass::text COLLATE "C";
INSERT INTO mig.codes VALUES (101, 1001, 1);
INSERT INTO mig.codes VALUES (102, 2000, 99);
SELECT schemaguard.rollback(:id6);
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'mig.codes'::regclass ORDER BY conname COLLATE "C";
SELECT indexrelid::regclass AS index, indisreplident, indisclustered FROM pg_index
WHERE indrelid = 'mig.codes'::regclass AND (indisreplident OR indisclustered) ORDER BY indexrelid::regclass::text COLLATE "C";

-- a name that would end a comment in the dual-write function cannot
-- inject code into it
CREATE TABLE mig.odd (id int PRIMARY KEY, "v
END IF; RAISE EXCEPTION 'injected'; --" int);
SELECT schemaguard.start($$ALTER TABLE mig.odd ALTER COLUMN "v
END IF; RAISE EXCEPTION 'injected'; --" TYPE bigint$$) AS id5 \gset
INSERT INTO mig.odd VALUES (1, 41);
UPDATE mig.odd SET id = 2;
SELECT * FROM mig.odd;
SELECT schemaguard.rollback(:id5);

-- every phase audited, in order
SELECT decision, regexp_replace(statement, ' of migration [0-9]+', ' of migration N') AS statement,
       findings->0->>'phase' AS phase, findings->0->>'state' AS state
FROM schemaguard.audit_log WHERE decision LIKE 'migration%' ORDER BY logged_at, findings->0->>'migration';
SELECT name, state, phase FROM schemaguard.migrations ORDER BY id;

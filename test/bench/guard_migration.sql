-- test/bench/guard_migration.sql: one migration judged by squawk and by
-- schemaguard.check_ddl() against the database of test/bench/guard_schema.sql
-- (test/bench/compare_squawk.sh, docs/guard-comparison.md).
--
-- Each statement is preceded by its verdict given the real sizes and what
-- the database holds, as "-- expect: VERDICT: why" (compare_squawk.sh reads
-- these lines):
--   risky   it locks a large table for long, rewrites or scans it, loses
--           data, breaks an object of the database, or fails;
--   safe    none of that, as far as the database can show;
--   client  safe for the database, but it removes or renames a name that
--           applications outside the database may use: neither tool can
--           know whether one does;
--   none    SET.
-- Statements end with ";" at the end of a line, and no other line does.

-- expect: risky: orders is 30 MB and busy; with lock_timeout 0 the ACCESS EXCLUSIVE lock request waits behind any long transaction, and every query on orders queues behind it
ALTER TABLE app.orders ADD COLUMN shipped_at timestamptz;

-- expect: none: sets the lock timeout for what follows
SET lock_timeout = '5s';

-- expect: none: sets the statement timeout for what follows
SET statement_timeout = '15min';

-- expect: safe: a constant default is stored once in the catalog (PostgreSQL 11 and later): no rewrite
ALTER TABLE app.orders ADD COLUMN priority int NOT NULL DEFAULT 0;

-- expect: risky: a volatile default is computed for each of the 250,000 rows: the 30 MB table is rewritten under ACCESS EXCLUSIVE
ALTER TABLE app.customers ADD COLUMN external_id uuid DEFAULT gen_random_uuid();

-- expect: risky: int to bigint rewrites the 30 MB table and its primary key under ACCESS EXCLUSIVE
ALTER TABLE app.events ALTER COLUMN id TYPE bigint;

-- expect: safe: varchar(50) to varchar(255) is binary-coercible, no rewrite; the PL/pgSQL reader concatenates the value and keeps working
ALTER TABLE app.customers ALTER COLUMN email TYPE varchar(255);

-- expect: safe: varchar to text is binary-coercible, no rewrite; no view reads the column
ALTER TABLE app.orders ALTER COLUMN note TYPE text;

-- expect: risky: no constraint proves country NOT NULL, so 250,000 rows are scanned under ACCESS EXCLUSIVE
ALTER TABLE app.customers ALTER COLUMN country SET NOT NULL;

-- expect: safe: the validated CHECK (user_id IS NOT NULL) proves it, PostgreSQL skips the scan
ALTER TABLE app.events ALTER COLUMN user_id SET NOT NULL;

-- expect: risky: validating the key looks up 400,000 rows of orders in customers while both are locked
ALTER TABLE app.orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES app.customers (id);

-- expect: safe: NOT VALID checks no existing row
ALTER TABLE app.orders ADD CONSTRAINT orders_status_check CHECK (status IN ('new', 'paid', 'shipped')) NOT VALID;

-- expect: safe: VALIDATE CONSTRAINT scans under SHARE UPDATE EXCLUSIVE, which lets reads and writes go on
ALTER TABLE app.orders VALIDATE CONSTRAINT orders_status_check;

-- expect: risky: builds from 400,000 rows while holding SHARE, which blocks every write to orders
CREATE INDEX orders_created_at_idx ON app.orders (created_at);

-- expect: safe: countries has 200 rows (16 kB): the build takes milliseconds
CREATE INDEX countries_name_idx ON app.countries (name);

-- expect: safe: CONCURRENTLY lets reads and writes go on (the file runs outside a transaction block)
CREATE INDEX CONCURRENTLY customers_country_idx ON app.customers (country);

-- expect: safe: a new table
CREATE TABLE app.shipments (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id    bigint NOT NULL,
    shipped_at  timestamptz NOT NULL
);

-- expect: safe: the table was created above and is empty
CREATE INDEX shipments_order_id_idx ON app.shipments (order_id);

-- expect: safe: the new table is empty, so validation reads nothing; orders is locked SHARE ROW EXCLUSIVE only for a moment, within lock_timeout
ALTER TABLE app.shipments ADD CONSTRAINT shipments_order_fk FOREIGN KEY (order_id) REFERENCES app.orders (id);

-- expect: client: archive_2019 is empty and nothing in the database reads the column: no data is lost, but a client selecting it would break
ALTER TABLE app.archive_2019 DROP COLUMN note;

-- expect: risky: deletes the values of 250,000 rows
ALTER TABLE app.customers DROP COLUMN legacy_code;

-- expect: risky: deletes 500 live sessions
TRUNCATE app.sessions;

-- expect: client: import_staging is empty and nothing in the database depends on it; a client using it would break
DROP TABLE app.import_staging;

-- expect: risky: the PL/pgSQL function app.customer_label reads customers.name by name in its body; PostgreSQL renames without complaint and the function fails at its next call
ALTER TABLE app.customers RENAME COLUMN name TO full_name;

-- expect: risky: NOT NULL without a default on a table with rows fails ("contains null values"): the migration breaks here
ALTER TABLE app.customers ADD COLUMN tier text NOT NULL;

-- expect: client: the view app.country_list follows the rename (views store column numbers); a client that selects countries.code breaks
ALTER TABLE app.countries RENAME COLUMN code TO iso_code;

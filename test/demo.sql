-- schemaguard demo: a small billing schema, then "what depends on invoices.amount?"
\set ON_ERROR_STOP on
\pset null '(null)'
SET client_min_messages = warning;

CREATE EXTENSION IF NOT EXISTS schemaguard;
DROP SCHEMA IF EXISTS billing CASCADE;
CREATE SCHEMA billing;
SET search_path = billing, public;

CREATE TABLE customers (
    id      int PRIMARY KEY,
    name    text NOT NULL,
    country text NOT NULL
);
CREATE TABLE invoices (
    id          int PRIMARY KEY,
    customer_id int NOT NULL REFERENCES customers,
    issued_on   date NOT NULL,
    due_on      date NOT NULL,
    amount      numeric(12,2) NOT NULL,
    status      text NOT NULL DEFAULT 'open'
);
CREATE TABLE payments (
    id         int PRIMARY KEY,
    invoice_id int NOT NULL REFERENCES invoices,
    paid_on    date NOT NULL,
    amount     numeric(12,2) NOT NULL
);

INSERT INTO customers
SELECT g, 'customer ' || g, (ARRAY['FR','DE','US','JP'])[1 + g % 4]
FROM generate_series(1, 200) g;
INSERT INTO invoices
SELECT g, 1 + g % 200, date '2026-01-01' + g % 300, date '2026-01-31' + g % 300,
       round((50 + (g * 37) % 950)::numeric, 2),
       CASE WHEN g % 3 = 0 THEN 'paid' ELSE 'open' END
FROM generate_series(1, 5000) g;
INSERT INTO payments
SELECT g, g * 3, date '2026-02-01' + g % 300, round((50 + (g * 111) % 950)::numeric, 2)
FROM generate_series(1, 1666) g;

-- Views: per-invoice balance, per-customer totals built on it, an overdue
-- list that only filters on the amount, and a materialized monthly report.
CREATE VIEW invoice_balance AS
SELECT i.id AS invoice_id, i.customer_id, i.amount,
       i.amount - coalesce(p.paid, 0) AS balance
FROM invoices i
LEFT JOIN (SELECT invoice_id, sum(amount) AS paid
           FROM payments GROUP BY invoice_id) p ON p.invoice_id = i.id;

CREATE VIEW customer_totals AS
SELECT c.id AS customer_id, c.name, sum(b.amount) AS invoiced,
       sum(b.balance) AS outstanding
FROM customers c JOIN invoice_balance b ON b.customer_id = c.id
GROUP BY c.id, c.name;

CREATE VIEW overdue_invoices AS
SELECT id, customer_id, due_on
FROM invoices
WHERE status = 'open' AND amount > 0 AND due_on < date '2026-06-01';

CREATE MATERIALIZED VIEW monthly_revenue AS
SELECT date_trunc('month', issued_on) AS month, sum(amount) AS revenue
FROM invoices GROUP BY 1;

-- Functions: PostgreSQL records nothing about what their bodies read.
CREATE FUNCTION invoice_total(p_customer int) RETURNS numeric
LANGUAGE sql STABLE AS
$$ SELECT sum(amount) FROM billing.invoices WHERE customer_id = p_customer $$;

CREATE FUNCTION customer_report(p_customer int) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_total numeric := billing.invoice_total(p_customer);
BEGIN
    IF v_total > 10000 THEN
        RETURN 'key account';
    END IF;
    RETURN 'regular';
END $$;

CREATE FUNCTION apply_payment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE billing.invoices SET status = 'paid'
    WHERE id = NEW.invoice_id AND amount <= NEW.amount;
    RETURN NEW;
END $$;
CREATE TRIGGER payments_apply AFTER INSERT ON payments
    FOR EACH ROW EXECUTE FUNCTION apply_payment();

-- A function written before the table it needs (a broken deployment).
SET check_function_bodies = off;
CREATE FUNCTION refund_total() RETURNS numeric LANGUAGE plpgsql AS $$
BEGIN
    RETURN (SELECT sum(amount) FROM billing.refunds);
END $$;
RESET check_function_bodies;

\echo
\echo 'Outstanding balance of the five largest customers:'
SELECT customer_id, name, invoiced, outstanding
FROM customer_totals ORDER BY invoiced DESC, customer_id LIMIT 5;

\echo
\echo 'SELECT * FROM schemaguard.impact_of(''invoices.amount'');'
SELECT * FROM schemaguard.impact_of('invoices.amount');

\echo
\echo 'SELECT * FROM schemaguard.lineage_of(''customer_totals.outstanding'');'
SELECT * FROM schemaguard.lineage_of('customer_totals.outstanding');

\echo
\echo 'SELECT * FROM schemaguard.unresolved_references();'
SELECT * FROM schemaguard.unresolved_references();

-- The DDL guard: what would renaming invoices.amount break?  The billing
-- function reads it by name, which PostgreSQL does not track.
\set ON_ERROR_STOP off
ALTER TABLE billing.invoices RENAME COLUMN amount TO total;
\set ON_ERROR_STOP on

-- A migration script, judged against this database without running it
-- (large means above 64 kB here, so that the demo's tables count).
SET schemaguard.large_table_threshold = '64kB';
SELECT statement, rule, severity, message
FROM schemaguard.check_ddl($$
    SET lock_timeout = '5s';
    CREATE TABLE billing.credit_notes (id int, invoice_id int);
    CREATE INDEX ON billing.credit_notes (invoice_id);
    ALTER TABLE billing.invoices ADD COLUMN note text DEFAULT 'none';
    ALTER TABLE billing.invoices ALTER COLUMN status TYPE varchar(10);
    CREATE INDEX ON billing.invoices (due_on);
    ALTER TABLE billing.invoices ADD CONSTRAINT amount_positive CHECK (amount > 0)
$$);

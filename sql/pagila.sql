--
-- pagila: the public sample schema Pagila (test/fixtures/pagila.sql, a
-- faithful subset), loaded as pg_dump writes it -- functions before the
-- tables they read -- with the extension installed.  Every row of
-- unresolved_references() must be true: a reference that is really broken
-- (get_customer_balance calls IF(), which PostgreSQL does not have) or
-- really late-bound (rewards_report fills a table it creates at run
-- time); and the lineage the issue found missing or wrong is there
--
\set ECHO none
\i test/fixtures/upkeep_vs_rebuild.sql
\i test/fixtures/pagila.sql
\set ECHO all

-- no false row
SELECT * FROM schemaguard.unresolved_references()
WHERE object_identity LIKE 'public.%' OR object_identity LIKE '% on public.%'
ORDER BY 2, 3;

-- get_customer_balance: the statement calling IF() keeps its reads of
-- rental.return_date; the others are exact
SELECT via, usage FROM schemaguard.impact_of('rental')
WHERE object_identity = 'public.get_customer_balance(integer,timestamp with time zone)'
ORDER BY 1, 2;

-- rewards_report: its dynamic SQL, built in a variable, reads payment; the
-- join with the run-time table still reads customer
SELECT via, usage FROM schemaguard.impact_of('payment')
WHERE object_identity LIKE 'public.rewards_report%' ORDER BY 1, 2;
SELECT count(DISTINCT via) AS customer_columns_read FROM schemaguard.impact_of('customer', 1)
WHERE object_identity LIKE 'public.rewards_report%' AND usage = 'dynamic' AND via <> 'public.customer';

-- the last_updated function shared by 14 tables: each trigger writes its
-- own table's last_update
SELECT count(*) AS triggers_writing_last_update FROM schemaguard.lineage_edge e
JOIN pg_class c ON c.oid = e.source_objid AND c.relnamespace = 'public'::regnamespace
WHERE e.dependent_classid = 'pg_trigger'::regclass AND e.usage = 'write'
  AND e.source_objsubid = (SELECT attnum FROM pg_attribute
                           WHERE attrelid = e.source_objid AND attname = 'last_update');
SELECT object_identity, usage FROM schemaguard.impact_of('customer.last_update');

-- the full-text trigger depends on title and description and writes fulltext
SELECT via, usage FROM schemaguard.impact_of('film')
WHERE object_identity = 'film_fulltext_trigger on public.film' ORDER BY 1, 2;

-- rental_by_category: ORDER BY sum(amount) shapes no row; the unique index
-- on category depends on category alone, not on payment.amount
SELECT object_identity, column_name, usage FROM schemaguard.impact_of('payment.amount')
WHERE object_identity LIKE '%rental_by_category%' OR object_identity LIKE '%rental_category%'
ORDER BY 1, 2, 3;
SELECT count(*) FILTER (WHERE object_identity = 'public.payment' AND column_name = 'amount') AS category_reads_amount,
       count(*) FILTER (WHERE usage = 'sort') AS sorts
FROM schemaguard.lineage_of('rental_by_category.category');

-- the foreign keys added to the partitioned payment: on every partition
SELECT count(DISTINCT object_identity) AS payment_customer_fkeys
FROM schemaguard.impact_of('customer.customer_id', 1)
WHERE object_identity LIKE 'payment_customer_id_fkey on public.payment%';

-- upkeep while loading equals a rebuild
SELECT * FROM pg_temp.upkeep_vs_rebuild();

-- the guard judges what the lineage now sees: renaming film.title breaks
-- the full-text trigger (its arguments name it; the views follow the
-- rename), dropping rental.return_date breaks three function bodies, one
-- of them through the statement that calls IF()
SET lock_timeout = '5s';
ALTER TABLE film RENAME COLUMN title TO film_title;
ALTER TABLE rental DROP COLUMN return_date;
RESET lock_timeout;

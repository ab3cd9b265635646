--
-- optimistic_reading: a function body is first read with all its
-- statements analyzed in one subtransaction; if one of them fails, the body
-- is read again with each statement in a subtransaction of its own.  What
-- is stored must be what that second way gives: the edges of the
-- statements around a broken one, each note once, no note of the first
-- reading left over, and rebuild() storing the same.
--
\set ECHO none
\i test/fixtures/upkeep_vs_rebuild.sql
\set ECHO all
SET schemaguard.mode = off;
CREATE SCHEMA opt;
SET search_path = opt, public;
CREATE TABLE orders (id int, amount numeric, status text);
CREATE TABLE lines (order_id int, qty int, price numeric);

-- PL/pgSQL: a broken statement between two that analyze; the first also
-- takes a note (an ambiguous name) before the failure ends the first reading
SET check_function_bodies = off;
CREATE FUNCTION between_broken(amount numeric) RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE
    total numeric;
    n int;
    r record;
BEGIN
    SELECT count(*) INTO n FROM opt.orders WHERE orders.amount > amount;
    SELECT sum(x) INTO total FROM opt.missing_table;
    FOR r IN SELECT order_id, qty * price AS value FROM opt.lines LOOP
        total := total + r.value;
    END LOOP;
    UPDATE opt.orders SET status = 'seen' WHERE id = n;
    RETURN total;
END $$;
-- the same in an SQL function
CREATE FUNCTION sql_between_broken(p int) RETURNS bigint LANGUAGE sql AS $$
    SELECT count(*) FROM opt.orders WHERE id = p;
    SELECT no_such_function(qty) FROM opt.lines;
    SELECT count(*) FROM opt.lines WHERE price > 0;
$$;
-- a cursor FOR loop after the broken statement: its record keeps its fields
CREATE FUNCTION cursor_after_broken() RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE
    c CURSOR FOR SELECT qty, price FROM opt.lines;
    s numeric := 0;
BEGIN
    PERFORM * FROM opt.missing_table;
    FOR rec IN c LOOP
        s := s + rec.qty * rec.price;
    END LOOP;
    RETURN s;
END $$;
RESET check_function_bodies;
-- a body that analyzes throughout: read once
CREATE FUNCTION all_good() RETURNS numeric LANGUAGE plpgsql AS $$
BEGIN
    RETURN (SELECT sum(qty * price) FROM opt.lines);
END $$;

SELECT object_identity, reference, reason FROM schemaguard.unresolved_references()
WHERE object_identity LIKE 'opt.%' ORDER BY 1, 2, 3;
SELECT e.dependent_objid::regprocedure AS function,
       pg_describe_object(e.source_classid, e.source_objid, e.source_objsubid) AS source,
       e.usage
FROM schemaguard.lineage_edge e
WHERE e.dependent_classid = 'pg_proc'::regclass
  AND e.dependent_objid IN ('between_broken'::regproc, 'sql_between_broken'::regproc,
                            'cursor_after_broken'::regproc, 'all_good'::regproc)
ORDER BY 1, 2, 3;
SELECT * FROM pg_temp.upkeep_vs_rebuild();

-- the missing table appears: the body is read once, and whole
CREATE TABLE missing_table (x numeric);
SELECT object_identity, reference, reason FROM schemaguard.unresolved_references()
WHERE object_identity LIKE 'opt.%' ORDER BY 1, 2, 3;
SELECT pg_describe_object(e.source_classid, e.source_objid, e.source_objsubid) AS source,
       e.usage
FROM schemaguard.lineage_edge e
WHERE e.dependent_classid = 'pg_proc'::regclass
  AND e.dependent_objid = 'between_broken'::regproc
ORDER BY 1, 2;
SELECT * FROM pg_temp.upkeep_vs_rebuild();

-- a trigger function shared by two tables, read once per trigger: NEW.amount
-- exists on one table only, and a statement of its body is broken
SET check_function_bodies = off;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM * FROM opt.not_there WHERE id = NEW.id;
    NEW.amount := coalesce(NEW.amount, 0);
    RETURN NEW;
END $$;
RESET check_function_bodies;
CREATE TABLE priced (id int, amount numeric);
CREATE TABLE unpriced (id int);
CREATE TRIGGER priced_touch BEFORE INSERT ON priced FOR EACH ROW EXECUTE FUNCTION touch();
CREATE TRIGGER unpriced_touch BEFORE INSERT ON unpriced FOR EACH ROW EXECUTE FUNCTION touch();
SELECT object_identity, reference, reason FROM schemaguard.unresolved_references()
WHERE object_identity IN ('opt.touch()', 'priced_touch on opt.priced',
                          'unpriced_touch on opt.unpriced') ORDER BY 1, 2, 3;
SELECT pg_describe_object(e.dependent_classid, e.dependent_objid, e.dependent_objsubid) AS dependent,
       pg_describe_object(e.source_classid, e.source_objid, e.source_objsubid) AS source,
       e.usage
FROM schemaguard.lineage_edge e
WHERE (e.dependent_classid = 'pg_trigger'::regclass
       AND e.dependent_objid IN (SELECT oid FROM pg_trigger
                                 WHERE tgrelid IN ('priced'::regclass, 'unpriced'::regclass)))
   OR (e.dependent_classid = 'pg_proc'::regclass AND e.dependent_objid = 'touch'::regproc)
ORDER BY 1, 2, 3;
SELECT * FROM pg_temp.upkeep_vs_rebuild();

-- libpg_query's tree holds the body's texts as JSON strings: quotes,
-- backslashes, tabs and control characters come escaped, and are read back
-- exactly (the names resolve, the string variable's text is kept)
CREATE TABLE "quo""ted" (a int, "b""q" int, "c	tab" int);
CREATE FUNCTION escapes() RETURNS int LANGUAGE plpgsql AS $$
DECLARE
    x int;
    "wei""rd" text := E'\x01 ctl \\ "q" \t';
BEGIN
    SELECT "b""q" + "c	tab" INTO x FROM opt."quo""ted" WHERE a = 1 AND "wei""rd" <> E'\t';
    EXECUTE 'SELECT a FROM opt."quo""ted" WHERE "b""q" > 0';
    RETURN x;
END $$;
SELECT pg_describe_object(e.source_classid, e.source_objid, e.source_objsubid) AS source,
       e.usage
FROM schemaguard.lineage_edge e
WHERE e.dependent_classid = 'pg_proc'::regclass AND e.dependent_objid = 'escapes'::regproc
ORDER BY 1, 2;
SELECT object_identity, reference, reason FROM schemaguard.unresolved_references()
WHERE object_identity = 'opt.escapes()';
SELECT * FROM pg_temp.upkeep_vs_rebuild();

DROP SCHEMA opt CASCADE;
RESET search_path;
RESET schemaguard.mode;

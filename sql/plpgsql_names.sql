--
-- plpgsql_names: name resolution inside PL/pgSQL bodies, cursors, DELETE,
-- concatenated dynamic SQL, and the remaining DDL of function upkeep
--
CREATE SCHEMA "Pl Names";
CREATE SCHEMA pn2;
SET search_path = "Pl Names", public;
CREATE TABLE "Order Lines" ("Qty" int, price numeric, status text);
CREATE TABLE pn2."Order Lines" ("Qty" int, price numeric);

-- quoted names; a variable named like a column: use_column keeps the
-- column, use_variable the variable
CREATE FUNCTION qty_total() RETURNS bigint LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    status text := 'open';
BEGIN
    RETURN (SELECT sum("Qty") FROM "Pl Names"."Order Lines" WHERE status = 'open');
END $$;
CREATE FUNCTION priced(status text) RETURNS numeric LANGUAGE plpgsql AS $$
#variable_conflict use_variable
BEGIN
    RETURN (SELECT max(l.price) FROM "Pl Names"."Order Lines" l WHERE l.status = status);
END $$;
-- the same table name in another schema, through the function's search_path
CREATE FUNCTION pn2_qty() RETURNS bigint LANGUAGE plpgsql
SET search_path = pn2 AS $$
BEGIN
    RETURN (SELECT sum("Qty") FROM "Order Lines");
END $$;

-- cursors (declared and opened), DELETE, concatenated dynamic SQL
CREATE FUNCTION cursors() RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE
    c CURSOR FOR SELECT price FROM "Pl Names"."Order Lines";
    d refcursor;
    v numeric;
BEGIN
    OPEN c;
    FETCH c INTO v;
    CLOSE c;
    OPEN d FOR SELECT "Qty" FROM "Pl Names"."Order Lines" WHERE price > 0;
    CLOSE d;
    DELETE FROM "Pl Names"."Order Lines" WHERE status = 'void';
    RETURN v;
END $$;
CREATE FUNCTION dyn_concat(t text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE 'DELETE FROM "Pl Names"."Order Lines" WHERE ' || t || ' IS NULL';
END $$;

SELECT object_identity, usage FROM schemaguard.impact_of('"Order Lines"."Qty"');
SELECT object_identity, usage FROM schemaguard.impact_of('"Order Lines".status');
-- every body above analyzed: nothing unresolved
SELECT * FROM schemaguard.unresolved_references()
WHERE object_identity LIKE '"Pl Names".%' OR object_identity LIKE 'pn2.%';
SELECT object_identity, usage FROM schemaguard.impact_of('"Order Lines".price');
SELECT object_identity, usage FROM schemaguard.impact_of('pn2."Order Lines"."Qty"');

-- ALTER FUNCTION ... SET SCHEMA: the edges follow the function
ALTER FUNCTION qty_total() SET SCHEMA pn2;
SELECT object_identity, usage FROM schemaguard.impact_of('"Order Lines"."Qty"', 1);

-- a column default calling a function: the default depends on it
CREATE FUNCTION next_qty() RETURNS int LANGUAGE sql STABLE AS
$$ SELECT coalesce(max("Qty"), 0) + 1 FROM "Pl Names"."Order Lines" $$;
ALTER TABLE "Order Lines" ALTER COLUMN "Qty" SET DEFAULT next_qty();
SELECT depth, object_type, object_identity, usage, via
FROM schemaguard.impact_of('"Order Lines"."Qty"') WHERE object_identity NOT LIKE '%qty_total%';

-- a function in a schema the caller cannot use is hidden from impact_of
CREATE SCHEMA pn_secret;
CREATE FUNCTION pn_secret.peek() RETURNS numeric LANGUAGE sql AS
$$ SELECT sum(price) FROM "Pl Names"."Order Lines" $$;
CREATE ROLE regress_sg_pn;
GRANT USAGE ON SCHEMA "Pl Names" TO regress_sg_pn;
SET ROLE regress_sg_pn;
SELECT object_identity, usage FROM schemaguard.impact_of('"Order Lines".price');
RESET ROLE;
REVOKE USAGE ON SCHEMA "Pl Names" FROM regress_sg_pn;
DROP ROLE regress_sg_pn;
RESET search_path;

-- CALL of a procedure is a call; OUT parameters declared before IN ones
SET search_path = "Pl Names", public;
CREATE PROCEDURE reset_prices() LANGUAGE sql AS
$$ UPDATE "Pl Names"."Order Lines" SET price = 0 $$;
CREATE PROCEDURE nightly() LANGUAGE plpgsql AS $$
BEGIN
    CALL "Pl Names".reset_prices();
END $$;
CREATE FUNCTION total_above(OUT total numeric, IN floor numeric) LANGUAGE plpgsql AS $$
BEGIN
    SELECT sum(price) INTO total FROM "Pl Names"."Order Lines" WHERE price > floor;
END $$;
SELECT depth, object_identity, usage, via FROM schemaguard.impact_of('"Order Lines".price')
WHERE object_identity LIKE '%nightly%' OR object_identity LIKE '%reset_prices%'
   OR object_identity LIKE '%total_above%';
SELECT * FROM schemaguard.unresolved_references() WHERE object_identity LIKE '"Pl Names".%';
RESET search_path;

-- a cursor FOR loop over a declared cursor with an argument, UPDATE ... WHERE CURRENT OF
SET search_path = "Pl Names", public;
CREATE FUNCTION loop_cursor() RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE
    c CURSOR (p_min numeric) FOR
        SELECT price, "Qty" FROM "Pl Names"."Order Lines" WHERE price > p_min;
    total numeric := 0;
BEGIN
    FOR r IN c(10) LOOP
        total := total + r.price;
        UPDATE "Pl Names"."Order Lines" SET status = 'seen' WHERE CURRENT OF c;
    END LOOP;
    RETURN total;
END $$;
SELECT object_identity, usage, via FROM schemaguard.impact_of('"Order Lines"', 1)
WHERE object_identity LIKE '%loop_cursor%';
SELECT * FROM schemaguard.unresolved_references() WHERE object_identity LIKE '%loop_cursor%';
RESET search_path;

--
-- guard_rewrite_matrix: the guard's rewrite prediction for ALTER COLUMN TYPE
-- agrees with the server's own table_rewrite event, case by case
--
CREATE SCHEMA rw;
SET search_path = rw, public;
SET schemaguard.large_table_threshold = 0;   -- any table with a row is large
SET lock_timeout = '5s';

CREATE TABLE rewrites (relation text);
CREATE FUNCTION note_rewrite() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO rw.rewrites VALUES (pg_event_trigger_table_rewrite_oid()::regclass::text);
END $$;
CREATE EVENT TRIGGER note_rewrite ON table_rewrite EXECUTE FUNCTION note_rewrite();
CREATE DOMAIN plain_int AS int;
CREATE DOMAIN checked_int AS int CHECK (VALUE > 0);

CREATE TABLE cases (n int, from_type text, to_type text, using_expr text, timezone text);
INSERT INTO cases VALUES
    (1,  'int',              'bigint',            NULL, NULL),
    (2,  'bigint',           'int',               NULL, NULL),
    (3,  'varchar(50)',      'varchar(255)',      NULL, NULL),
    (4,  'varchar(50)',      'varchar(10)',       NULL, NULL),
    (5,  'varchar(50)',      'text',              NULL, NULL),
    (6,  'text',             'varchar(50)',       NULL, NULL),
    (7,  'text',             'varchar',           NULL, NULL),
    (8,  'numeric(10,2)',    'numeric(12,2)',     NULL, NULL),
    (9,  'numeric(10,2)',    'numeric(12,4)',     NULL, NULL),
    (10, 'numeric(10,2)',    'numeric(10,1)',     NULL, NULL),
    (11, 'numeric(10,2)',    'numeric',           NULL, NULL),
    (12, 'timestamp',        'timestamptz',       NULL, 'UTC'),
    (13, 'timestamp',        'timestamptz',       NULL, 'Europe/Paris'),
    (14, 'timestamptz',      'timestamp',         NULL, 'UTC'),
    (15, 'timestamp(3)',     'timestamp(6)',      NULL, NULL),
    (16, 'timestamp(6)',     'timestamp(3)',      NULL, NULL),
    (17, 'int',              'text',              NULL, NULL),
    (18, 'text',             'int',               'c::int', NULL),
    (19, 'varchar(20)',      'varchar(20)',       'c', NULL),
    (20, 'varchar(20)',      'text',              'c || ''''', NULL),
    (21, 'int',              'plain_int',         NULL, NULL),
    (22, 'int',              'checked_int',       NULL, NULL),
    (23, 'float8',           'float4',            NULL, NULL),
    (24, 'cidr',             'inet',              NULL, NULL),
    (25, 'bit(8)',           'varbit',            NULL, NULL),
    (26, 'int',              'oid',               NULL, NULL),
    (27, 'char(5)',          'char(10)',          NULL, NULL),
    (28, 'varchar(10)',      'char(10)',          NULL, NULL);

CREATE FUNCTION alter_stmt(c cases) RETURNS text LANGUAGE sql AS $$
    SELECT format('ALTER TABLE rw.t%s ALTER COLUMN c TYPE %s%s', c.n, c.to_type,
                  CASE WHEN c.using_expr IS NULL THEN '' ELSE ' USING ' || c.using_expr END)
$$;
-- the TimeZone a case asks for, for the rest of the transaction
CREATE FUNCTION case_timezone(c cases) RETURNS void LANGUAGE sql AS $$
    SELECT set_config('TimeZone', coalesce(c.timezone, 'America/New_York'), true)
$$;

-- one committed, one-row table per case (a table created in the same
-- transaction would be new: nothing to predict)
DO $$
DECLARE c rw.cases;
BEGIN
    FOR c IN SELECT * FROM rw.cases ORDER BY n LOOP
        EXECUTE format('CREATE TABLE rw.t%s (c %s)', c.n, c.from_type);
        EXECUTE format('INSERT INTO rw.t%s VALUES (%L)', c.n,
                       CASE WHEN c.from_type LIKE 'timestamp%' THEN '2026-11-21 10:00:00'
                            WHEN c.from_type = 'cidr' THEN '10.0.0.0/8'
                            WHEN c.from_type LIKE 'bit%' THEN '10101010'
                            ELSE '42' END);
    END LOOP;
END $$;

-- what the guard predicts (a dry run, one transaction per case)
CREATE TABLE predictions (n int, predicted bool);
DO $$
DECLARE c rw.cases;
BEGIN
    FOR c IN SELECT * FROM rw.cases ORDER BY n LOOP
        PERFORM rw.case_timezone(c);
        INSERT INTO rw.predictions
        SELECT c.n, EXISTS (SELECT FROM schemaguard.check_ddl(rw.alter_stmt(c)) f
                            WHERE f.rule = 'table-rewrite');
        COMMIT;
    END LOOP;
END $$;

-- what the server does: the change run for real, the guard off
SET schemaguard.mode = off;
CREATE TABLE outcomes (n int, rewritten bool);
DO $$
DECLARE c rw.cases;
BEGIN
    FOR c IN SELECT * FROM rw.cases ORDER BY n LOOP
        PERFORM rw.case_timezone(c);
        DELETE FROM rw.rewrites;
        EXECUTE rw.alter_stmt(c);
        INSERT INTO rw.outcomes SELECT c.n, EXISTS (SELECT FROM rw.rewrites);
        COMMIT;
    END LOOP;
END $$;
RESET schemaguard.mode;

SELECT c.n, c.from_type, c.to_type, c.using_expr AS using, c.timezone,
       p.predicted, o.rewritten, p.predicted = o.rewritten AS agree
FROM cases c JOIN predictions p USING (n) JOIN outcomes o USING (n)
ORDER BY c.n;
SELECT count(*) FILTER (WHERE p.predicted <> o.rewritten) AS disagreements,
       count(*) AS cases
FROM predictions p JOIN outcomes o USING (n);

DROP EVENT TRIGGER note_rewrite;

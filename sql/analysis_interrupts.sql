--
-- analysis_interrupts: a cancel or a timeout that fires while a function
-- body is analyzed ends the statement, as anywhere else; it is never
-- stored as the body's unresolved reference (the lock waits that used to
-- let lock_timeout fire inside analysis are gone: see the isolation specs
-- analysis_cancel and analysis_no_wait)
--
CREATE SCHEMA ai;
SET search_path = ai, public;
CREATE TABLE big (a int, b int, c text);
-- a body of 30,000 statements, made and created by one call
CREATE FUNCTION pg_temp.create_huge() RETURNS void LANGUAGE plpgsql AS $d$
DECLARE
    body text;
BEGIN
    SELECT string_agg(format('    UPDATE ai.big SET a = a + %s WHERE b = %s AND c = %L;', i, i, 'x' || i), E'\n')
      INTO body FROM generate_series(1, 30000) i;
    EXECUTE format('CREATE FUNCTION ai.huge() RETURNS void LANGUAGE plpgsql AS %L',
                   'BEGIN ' || body || ' END');
END
$d$;
-- such a body takes about five times longer to analyze than to create:
-- the timeout fires while it is analyzed
\set VERBOSITY terse
SET statement_timeout = '150ms';
SELECT pg_temp.create_huge();
RESET statement_timeout;
\set VERBOSITY default
SELECT count(*) AS huge_exists FROM pg_proc WHERE proname = 'huge';
SELECT count(*) AS canceling_rows FROM schemaguard.unresolved_reference
WHERE reason LIKE 'canceling statement%';
-- without the timeout it is created, with its lineage
SELECT pg_temp.create_huge();
SELECT object_identity, usage, via FROM schemaguard.impact_of('big') ORDER BY 1, 2, 3;
DROP FUNCTION huge();
RESET search_path;

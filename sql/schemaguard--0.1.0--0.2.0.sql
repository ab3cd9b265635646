/* schemaguard--0.1.0--0.2.0.sql: the DDL guard, its dry run, overrides and audit trail */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION schemaguard UPDATE TO '0.2.0'" to load this file. \quit

--
-- The approver role: its members may call schemaguard.allow().  Roles are
-- shared by every database of the cluster, so it is created only if it does
-- not exist yet, and DROP EXTENSION leaves it.
--
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'schemaguard_approver') THEN
        CREATE ROLE schemaguard_approver NOLOGIN;
    END IF;
END
$$;

--
-- Per-rule severity.  Only administrators (the extension's owner, and whom
-- it grants) may change it; every role may read it.
--
CREATE TABLE schemaguard.rule_config (
    rule      text PRIMARY KEY CHECK (rule IN
        ('breaks-dependents', 'table-rewrite', 'full-scan-under-lock',
         'blocking-index-build', 'data-loss', 'lock-timeout')),
    severity  text NOT NULL CHECK (severity IN ('error', 'warning', 'off'))
);
INSERT INTO schemaguard.rule_config (rule, severity) VALUES
    ('breaks-dependents', 'error'),
    ('table-rewrite', 'error'),
    ('full-scan-under-lock', 'error'),
    ('blocking-index-build', 'error'),
    ('data-loss', 'error'),
    ('lock-timeout', 'warning');
COMMENT ON TABLE schemaguard.rule_config IS
    'severity of each DDL guard rule: error (blocks in enforce mode), warning or off';
REVOKE ALL ON schemaguard.rule_config FROM PUBLIC;
GRANT SELECT ON schemaguard.rule_config TO PUBLIC;

--
-- The guard keeps the severities between statements (guard/registry.c): every
-- change to the rows of rule_config tells every session to read it again.
-- The triggers fire before the change, and in every
-- session_replication_role; without them the guard reads the table for
-- every statement it judges.
--
CREATE FUNCTION schemaguard.rule_config_changed()
RETURNS trigger
AS 'MODULE_PATHNAME', 'schemaguard_rule_config_changed'
LANGUAGE C;
REVOKE EXECUTE ON FUNCTION schemaguard.rule_config_changed() FROM PUBLIC;
CREATE TRIGGER rule_config_changed
    BEFORE INSERT OR UPDATE OR DELETE ON schemaguard.rule_config
    FOR EACH ROW EXECUTE FUNCTION schemaguard.rule_config_changed();
CREATE TRIGGER rule_config_truncated
    BEFORE TRUNCATE ON schemaguard.rule_config
    FOR EACH STATEMENT EXECUTE FUNCTION schemaguard.rule_config_changed();
ALTER TABLE schemaguard.rule_config ENABLE ALWAYS TRIGGER rule_config_changed;
ALTER TABLE schemaguard.rule_config ENABLE ALWAYS TRIGGER rule_config_truncated;

--
-- The audit trail: one row per checked statement that fired a rule.  The
-- guard writes it with heap calls (a blocked statement's row from a
-- background worker, so that it survives the rollback); no role needs a
-- privilege on it for that.  Only administrators may change or delete rows.
--
CREATE TABLE schemaguard.audit_log (
    logged_at         timestamptz NOT NULL,
    session_role      text NOT NULL,
    effective_role    text NOT NULL,
    application_name  text NOT NULL,
    backend_pid       int4 NOT NULL,
    statement         text NOT NULL,
    findings          jsonb NOT NULL,
    decision          text NOT NULL CHECK (decision IN ('blocked', 'warned', 'allowed_by_override')),
    reason            text
);
COMMENT ON TABLE schemaguard.audit_log IS
    'every DDL statement the guard judged risky: who, what fired, and the decision';
REVOKE ALL ON schemaguard.audit_log FROM PUBLIC;
GRANT SELECT ON schemaguard.audit_log TO schemaguard_approver;
SELECT pg_catalog.pg_extension_config_dump('schemaguard.audit_log', '');

--
-- The dry run.  It resolves names with the caller's search_path, like the
-- statements it checks would, so its search_path is not pinned.
--
CREATE FUNCTION schemaguard.check_ddl(script text)
RETURNS TABLE (statement int, rule text, severity text, message text,
               detail text, hint text)
AS 'MODULE_PATHNAME', 'schemaguard_check_ddl'
LANGUAGE C VOLATILE CALLED ON NULL INPUT;
COMMENT ON FUNCTION schemaguard.check_ddl(text) IS
    'what the DDL guard would say about each statement of a script, without running it';

CREATE FUNCTION schemaguard.allow(rule text, reason text)
RETURNS void
AS 'MODULE_PATHNAME', 'schemaguard_allow'
LANGUAGE C VOLATILE CALLED ON NULL INPUT;
COMMENT ON FUNCTION schemaguard.allow(text, text) IS
    'let the current transaction run what a rule would block (members of schemaguard_approver)';

--
-- The first DDL command of a session loads the library through this
-- trigger (which then judges that command); from then on the
-- ProcessUtility hook judges every statement before it runs.
--
CREATE FUNCTION schemaguard.on_ddl_command_start()
RETURNS event_trigger
AS 'MODULE_PATHNAME', 'schemaguard_on_ddl_command_start'
LANGUAGE C;
REVOKE EXECUTE ON FUNCTION schemaguard.on_ddl_command_start() FROM PUBLIC;

CREATE EVENT TRIGGER schemaguard_ddl_command_start ON ddl_command_start
    EXECUTE FUNCTION schemaguard.on_ddl_command_start();

--
-- privileges: a role gets no names from a schema it cannot use
--
CREATE ROLE regress_sg_analyst LOGIN;
CREATE SCHEMA shared;
CREATE SCHEMA secret;
GRANT USAGE ON SCHEMA shared TO regress_sg_analyst;

CREATE TABLE shared.invoices (id int, amount numeric);
CREATE VIEW shared.v_visible AS SELECT id, amount FROM shared.invoices;
-- a view in the hidden schema, and a visible view built on it
CREATE VIEW secret.v_hidden AS SELECT id, amount * 1.2 AS gross FROM shared.invoices;
CREATE VIEW shared.v_on_hidden AS SELECT gross FROM secret.v_hidden;
CREATE TABLE secret.salaries (employee int, salary numeric);
CREATE VIEW secret.v_salaries AS SELECT sum(salary) AS payroll FROM secret.salaries;

-- the owner sees everything
SELECT * FROM schemaguard.impact_of('shared.invoices.amount');

SET ROLE regress_sg_analyst;
-- the analyst sees the same depths, but nothing named in "secret": the
-- hidden view is left out and the path through it shows no name
SELECT * FROM schemaguard.impact_of('shared.invoices.amount');
SELECT * FROM schemaguard.lineage_of('shared.v_on_hidden.gross');
-- a target in the hidden schema is refused as for any SQL name
SELECT * FROM schemaguard.impact_of('secret.salaries.salary');
-- and, off the search_path of usable schemas, it simply does not resolve
SET search_path = secret, public;
SELECT * FROM schemaguard.impact_of('salaries.salary');
RESET search_path;
-- the raw catalog and rebuild() are for administrators
SELECT count(*) FROM schemaguard.lineage_edge;
SELECT schemaguard.rebuild();
RESET ROLE;
-- creating a view records its lineage even though the role cannot write the catalog
GRANT CREATE ON SCHEMA shared TO regress_sg_analyst;
GRANT SELECT ON shared.invoices TO regress_sg_analyst;
SET ROLE regress_sg_analyst;
CREATE VIEW shared.v_analyst AS SELECT amount FROM shared.invoices WHERE id > 0;
SELECT * FROM schemaguard.impact_of('shared.invoices.id');
DROP VIEW shared.v_analyst;
SELECT * FROM schemaguard.impact_of('shared.invoices.id');
RESET ROLE;

DROP SCHEMA secret CASCADE;
DROP SCHEMA shared CASCADE;
REVOKE ALL ON DATABASE contrib_regression FROM regress_sg_analyst;
DROP ROLE regress_sg_analyst;

--
-- check_ddl_locations: each finding says where its statement starts in the
-- script (line, and column in characters), past the whitespace and the
-- comments (nested ones too) that lead to it
--
CREATE SCHEMA cl;
CREATE TABLE cl.big (id int PRIMARY KEY, d int);
INSERT INTO cl.big SELECT i, i FROM generate_series(1, 5000) i;
ANALYZE cl.big;
SET schemaguard.large_table_threshold = '64kB';
SET lock_timeout = '1s';

SELECT statement, rule, line, col FROM schemaguard.check_ddl(
E'/* a comment /* nested */ still one */ -- and a line comment\n'
  '  CREATE INDEX ON cl.big (d);   -- 2:3\n'
  '\n'
  '\t /* c */  CREATE INDEX ON cl.big (id, d);CREATE INDEX ON cl.big ((d + 1));\n'
  'SELECT 1;\n'
  '-- a comment with a ; in it\n'
  '    DROP TABLE cl.big'
) ORDER BY statement, rule;

-- statements without findings are counted but not shown; the first
-- statement starting at the very beginning is at 1:1
SELECT statement, line, col FROM schemaguard.check_ddl('DROP TABLE cl.big');

-- a statement on one line after a string holding newlines and semicolons
SELECT statement, line, col FROM schemaguard.check_ddl(
E'SELECT \'a;\nb;\n\'; DROP TABLE cl.big');

RESET schemaguard.large_table_threshold;
DROP SCHEMA cl CASCADE;

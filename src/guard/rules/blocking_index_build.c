/*-------------------------------------------------------------------------
 *
 * blocking_index_build.c
 *	  Rule blocking-index-build: CREATE INDEX, REINDEX and DROP INDEX
 *	  without CONCURRENTLY on a large table.
 *
 * CREATE INDEX and REINDEX hold SHARE on the table for the whole build,
 * which stops every INSERT, UPDATE and DELETE; DROP INDEX takes ACCESS
 * EXCLUSIVE, which stops reads too while it waits for running queries.  The
 * CONCURRENTLY forms let both go on.  A partitioned table counts the size
 * of all its partitions, each of which gets an index.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_class.h"
#include "utils/builtins.h"

#include "guard/guard.h"

static void
report(GuardStatement *st, GuardChange *change, char *message, const char *why,
	   char *hint)
{
	guard_add_finding(st, RULE_BLOCKING_INDEX_BUILD, message,
					  psprintf("%s %s holds %s, %s, %s.",
							   guard_size_evidence(change->rel), change->command,
							   guard_lock_phrase(change->lockmode),
							   guard_lock_effect(change->lockmode), why),
					  hint);
}

void
rule_blocking_index_build(GuardStatement *st)
{
	ListCell   *lc;

	foreach(lc, st->changes)
	{
		GuardChange *change = lfirst(lc);
		GuardRelation *rel = change->rel;

		if (!guard_relation_large(rel))
			continue;
		switch (change->kind)
		{
			case CHANGE_CREATE_INDEX:
				{
					char	   *hint;

					if (rel->relkind == RELKIND_PARTITIONED_TABLE)
						hint = psprintf("A partitioned table cannot be indexed CONCURRENTLY in one command: create the index ON ONLY %s (it stays invalid), create the same index CONCURRENTLY on each of its %d partitions, then ALTER INDEX ... ATTACH PARTITION each one, which makes the parent's index valid.",
										rel->sql_name, rel->nmembers - 1);
					else
					{
						char	   *sql = guard_insert_after_keyword(st->text, "INDEX",
																	 "CONCURRENTLY");

						hint = sql
							? psprintf("Build it CONCURRENTLY (outside a transaction block); reads and writes go on:\n%s",
									   guard_statement_sql(sql))
							: pstrdup("Build it with CREATE INDEX CONCURRENTLY (outside a transaction block); reads and writes go on.");
					}
					report(st, change,
						   psprintf("CREATE INDEX blocks writes to table \"%s.%s\" while it builds",
									rel->nspname, rel->relname),
						   "for as long as the index takes to build", hint);
					break;
				}
			case CHANGE_REINDEX:
				report(st, change,
					   psprintf("REINDEX blocks writes to table \"%s.%s\" while it rebuilds",
								rel->nspname, rel->relname),
					   "for as long as the rebuild takes; the index itself is locked ACCESS EXCLUSIVE, which blocks the queries that would use it",
					   psprintf("Rebuild it CONCURRENTLY (outside a transaction block); reads and writes go on:\n%s",
								change->object_name
								? psprintf("REINDEX INDEX CONCURRENTLY %s;", change->object_name)
								: psprintf("REINDEX TABLE CONCURRENTLY %s;", rel->sql_name)));
				break;
			case CHANGE_DROP_INDEX:
				report(st, change,
					   psprintf("DROP INDEX %s locks table \"%s.%s\"",
								change->object_name, rel->nspname, rel->relname),
					   "while it waits for every running query on the table to finish",
					   psprintf("Drop it CONCURRENTLY (outside a transaction block); it waits for running queries without blocking new ones:\n"
								"DROP INDEX CONCURRENTLY %s;", change->object_name));
				break;
			default:
				break;
		}
	}
}

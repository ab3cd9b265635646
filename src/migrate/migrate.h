/*-------------------------------------------------------------------------
 *
 * migrate.h
 *	  What the migration room offers the rest of schemaguard: whether a
 *	  statement is one the migration engine is running itself, and whether
 *	  a table is one a migration can change (the guard names plan() in its
 *	  hint only then).
 *
 * The engine's own statements are safe by construction (every lock they
 * take is bounded by schemaguard.migration_lock_timeout, every long step is
 * split or CONCURRENTLY), so the guard lets them be.  The test is by the
 * identity of the query string the engine hands to SPI or ProcessUtility,
 * not by a flag a user could set: code of the user's that runs meanwhile
 * (a trigger, a function in an expression, an event trigger) parses
 * strings of its own and is judged as always.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SCHEMAGUARD_MIGRATE_H
#define SCHEMAGUARD_MIGRATE_H

extern bool migrate_own_statement(const char *query_string);
extern bool migrate_table_supported(Oid relid, const char **why);

/*
 * Rewrite mode (rewrite.c): what the engine would run for one statement
 * (NULL: it has no plan for it), and carrying it out at top level outside
 * a transaction block -- in as many transactions as it needs, or only its
 * start() when it writes rows (*starts_only).  migrate_rewrite returns what
 * ran, one line per transaction, the migration's id, its state and the
 * next call (NULL if none).
 */
extern char *migrate_rewrite_form(const char *statement, bool *starts_only);
extern char *migrate_rewrite(const char *statement, int64 *id, char **state,
							 char **next, bool *starts_only);

#endif							/* SCHEMAGUARD_MIGRATE_H */

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

#endif							/* SCHEMAGUARD_MIGRATE_H */

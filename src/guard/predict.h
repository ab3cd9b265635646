/*-------------------------------------------------------------------------
 *
 * predict.h
 *	  What the DDL guard offers other rooms: its prediction of whether one
 *	  ALTER TABLE subcommand rewrites the table, the hint that names
 *	  schemaguard.plan() for a statement the migration engine can carry out,
 *	  and the audit trail's entry for a migration's phases.
 *
 * The migration engine (src/migrate/) decides with these, so that the
 * guard and the engine never disagree about what rewrites.  Nothing here
 * exposes the guard's own structures (guard.h).
 *
 *-------------------------------------------------------------------------
 */
#ifndef SCHEMAGUARD_GUARD_PREDICT_H
#define SCHEMAGUARD_GUARD_PREDICT_H

#include "postgres.h"

#include "nodes/parsenodes.h"

/*
 * ALTER COLUMN ... TYPE ... [USING ...] (an AlterTableCmd of subtype
 * AT_AlterColumnType) on table relid: would it rewrite the table?  source:
 * the query string the command's locations index.
 */
extern bool guard_predict_type_change_rewrites(Oid relid, AlterTableCmd *cmd,
											   const char *source);

/*
 * ADD COLUMN (AT_AddColumn) on table relid: why it would rewrite the table
 * (a volatile default, an identity or serial column, a stored generated
 * column, a domain with constraints), or NULL if it would not.
 */
extern const char *guard_predict_add_column_rewrites(Oid relid, AlterTableCmd *cmd,
													 const char *source);

/*
 * "\nOr let schemaguard carry it out online: SELECT * FROM
 * schemaguard.plan($$...$$);" to append to a hint, or "" if a migration
 * cannot change the table.
 */
extern char *guard_plan_hint(const char *statement_text, Oid relid);
extern char *guard_plan_hint_text(const char *statement_text);

/* How guard_plan_hint()'s text starts (hook.c shows it once per ERROR). */
#define GUARD_PLAN_HINT_START "\nOr let schemaguard carry it out online"


/* audit.c: an audit row for a phase of a migration, done or failed */
extern void guard_audit_migration(const char *statement, const char *findings,
								  bool failed, const char *reason);

#endif							/* SCHEMAGUARD_GUARD_PREDICT_H */

/*-------------------------------------------------------------------------
 *
 * schemaguard.h
 *	  What every room of schemaguard shares: the extension's schema and the
 *	  settings (GUCs), which schemaguard.c registers at library load.
 *
 * The rooms (src/lineage/, src/guard/, src/migrate/) each have a header of
 * their own; the guard and the migration engine use lineage only through
 * lineage/lineage.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SCHEMAGUARD_H
#define SCHEMAGUARD_H

/* The extension's fixed schema (schemaguard.control: relocatable = false). */
#define SCHEMAGUARD_SCHEMA "schemaguard"

/* schemaguard.mode */
typedef enum GuardMode
{
	GUARD_MODE_OFF,
	GUARD_MODE_WARN,
	GUARD_MODE_ENFORCE
} GuardMode;

/* The settings (schemaguard.c) */
extern int	guard_mode;
extern int	guard_large_table_threshold_kb;
extern bool guard_consider_sessions;
extern int	migrate_lock_timeout_ms;	/* schemaguard.migration_lock_timeout */
extern bool guard_rewrite;		/* schemaguard.rewrite */

#endif							/* SCHEMAGUARD_H */

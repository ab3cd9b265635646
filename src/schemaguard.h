/*-------------------------------------------------------------------------
 *
 * schemaguard.h
 *	  What every room of schemaguard shares: the extension's schema and the
 *	  settings (GUCs), which schemaguard.c registers at library load.
 *
 * The rooms (src/lineage/, src/guard/) each have a header of their own;
 * the guard uses lineage only through lineage/lineage.h.
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

#endif							/* SCHEMAGUARD_H */

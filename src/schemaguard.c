/*-------------------------------------------------------------------------
 *
 * schemaguard.c
 *	  Module entry point of schemaguard: column-level lineage and safe DDL
 *	  inside PostgreSQL.  Library load registers the settings every room
 *	  reads and starts the guard.
 *
 * The work lives in rooms along the path the data takes (each with a
 * README): src/lineage/ catches DDL, extracts lineage from views, function
 * bodies and catalogs, stores it and answers impact and lineage questions;
 * src/guard/ judges a DDL statement before it runs, with live evidence, one
 * file per rule under src/guard/rules/, check_ddl() and the audit trail;
 * src/migrate/ plans and runs expand/contract migrations of a column.
 * Nothing here needs shared_preload_libraries: the library is loaded on the
 * first call of one of its functions, event triggers included.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "fmgr.h"
#include "utils/guc.h"

#include "schemaguard.h"
#include "guard/guard.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

int			guard_mode = GUARD_MODE_ENFORCE;
int			guard_large_table_threshold_kb = 10 * 1024;
bool		guard_consider_sessions = true;
int			migrate_lock_timeout_ms = 2000;
bool		guard_rewrite = false;

static const struct config_enum_entry mode_options[] = {
	{"enforce", GUARD_MODE_ENFORCE, false},
	{"warn", GUARD_MODE_WARN, false},
	{"off", GUARD_MODE_OFF, false},
	{NULL, 0, false}
};

/* Library load: define the GUCs and install the DDL guard's hook. */
void
_PG_init(void)
{
	DefineCustomEnumVariable("schemaguard.mode",
							 "What the DDL guard does with a risky statement.",
							 "enforce: rules at severity error block it, warnings warn; "
							 "warn: nothing blocks, every finding warns; off: no check.",
							 &guard_mode, GUARD_MODE_ENFORCE, mode_options,
							 PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("schemaguard.large_table_threshold",
							"Size from which a table is large for the DDL guard's rules.",
							"Heap and TOAST of the table and of all the partitions "
							"or inheritance children a command reaches.",
							&guard_large_table_threshold_kb, 10 * 1024, 0, INT_MAX,
							PGC_SUSET, GUC_UNIT_KB, NULL, NULL, NULL);
	DefineCustomBoolVariable("schemaguard.consider_sessions",
							 "Whether the DDL guard's lock-based rules look at who is there.",
							 "on: a lock that would block nobody (a table this session "
							 "created that no other session uses, a database with no "
							 "other client session but the ones doing the same work) is "
							 "let through; off: every large table is judged as if in use.",
							 &guard_consider_sessions, true,
							 PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("schemaguard.migration_lock_timeout",
							"Longest wait for a lock by each step of a migration.",
							"A step that waits longer (a table busy with a long "
							"transaction) is rolled back and tried again after a "
							"pause that doubles each time.",
							&migrate_lock_timeout_ms, 2000, 1, INT_MAX,
							PGC_USERSET, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomBoolVariable("schemaguard.rewrite",
							 "Whether the DDL guard carries out what it blocks in its safe form.",
							 "on: a statement the guard would block, run on its own outside "
							 "a transaction block, that the migration engine has a plan for "
							 "is carried out in that plan's steps instead (or started, if it "
							 "writes rows); off: it is blocked.",
							 &guard_rewrite, false,
							 PGC_SUSET, 0, NULL, NULL, NULL);
	MarkGUCPrefixReserved("schemaguard");

	guard_init();
}

/*-------------------------------------------------------------------------
 *
 * schemaguard.c
 *	  Module entry point of schemaguard: column-level lineage and safe DDL
 *	  inside PostgreSQL.
 *
 * The work is split by the path the data takes: catching DDL
 * (ddl_events.c, guard_hook.c) -> extracting lineage (query_lineage.c,
 * object_lineage.c, function_lineage.c, plpgsql_lineage.c) -> storing it
 * (lineage_store.c) -> answering questions (target.c, impact.c,
 * unresolved.c) -> judging DDL (guard_changes.c, guard_evidence.c,
 * guard_rules.c and one rule_*.c per rule, check_ddl.c, audit.c).
 * Nothing here needs shared_preload_libraries: the library is loaded on the
 * first call of one of its functions, event triggers included.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"

#include "guard.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* Library load: define the GUCs and install the DDL guard's hook. */
void
_PG_init(void)
{
	guard_init();
}

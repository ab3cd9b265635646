/*-------------------------------------------------------------------------
 *
 * schemaguard.c
 *	  Module entry point of schemaguard: column-level lineage and safe DDL
 *	  inside PostgreSQL.
 *
 * The work is split by the path the data takes: catching DDL
 * (lineage/ddl_events.c, guard/hook.c) -> extracting lineage (lineage/query.c,
 * lineage/object.c, lineage/function.c, lineage/plpgsql.c) -> storing it
 * (lineage/store.c) -> answering questions (lineage/target.c, lineage/impact.c,
 * lineage/unresolved.c) -> judging DDL (guard/changes.c, guard/evidence.c,
 * guard/registry.c and one rule_*.c per rule, guard/check_ddl.c, guard/audit.c).
 * Nothing here needs shared_preload_libraries: the library is loaded on the
 * first call of one of its functions, event triggers included.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"

#include "guard/guard.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* Library load: define the GUCs and install the DDL guard's hook. */
void
_PG_init(void)
{
	guard_init();
}

/*-------------------------------------------------------------------------
 *
 * schemaguard.c
 *	  Module entry point of schemaguard: column-level lineage and safe DDL
 *	  inside PostgreSQL.
 *
 * The work is split by the path the data takes: catching DDL
 * (ddl_events.c) -> extracting lineage (view_lineage.c) -> storing it
 * (lineage_store.c) -> answering questions (target.c, impact.c).  Nothing
 * here needs shared_preload_libraries: the library is loaded on the first
 * call of one of its functions, event triggers included.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"

PG_MODULE_MAGIC;

/*-------------------------------------------------------------------------
 *
 * visibility.c
 *	  What the caller of a judged statement may run and may see.
 *
 *	 - Run: before a real statement the guard judges (and audits) only what
 *	   its caller may run, checked as PostgreSQL checks it (ownership of the
 *	   table, index, function, domain, schema or database; the TRUNCATE
 *	   privilege).  A statement its caller may not run gets no verdict and
 *	   no audit row: PostgreSQL's own permission error follows.  A dry run
 *	   (check_ddl) judges a script as for a role that may run it.
 *	 - See rows: whether a table holds rows, and its row estimate, are said
 *	   only of tables whose rows the caller may read: SELECT on the table
 *	   (or on any of its columns), and no row-level security that applies
 *	   to the caller.  Otherwise that evidence is withheld and the table is
 *	   taken to hold rows.
 *	 - See names: a statement that reaches tables it does not name (DROP
 *	   SCHEMA ... CASCADE, REINDEX SCHEMA or DATABASE, VACUUM FULL and
 *	   CLUSTER without a table) is judged only on tables in schemas the
 *	   caller has USAGE on; the others are counted, not named, and a note
 *	   says that evidence about them is withheld.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/catalog.h"
#include "catalog/pg_class.h"
#include "catalog/pg_database.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/lsyscache.h"
#include "utils/rls.h"

#include "guard/guard.h"

/* Does a DROP of this statement let a schema's owner drop what is in it? */
static bool
schema_owner_may_drop(GuardStatement *st)
{
	if (!IsA(st->parsetree, DropStmt))
		return false;
	switch (((DropStmt *) st->parsetree)->removeType)
	{
		case OBJECT_TABLE:
		case OBJECT_VIEW:
		case OBJECT_MATVIEW:
		case OBJECT_INDEX:
		case OBJECT_FUNCTION:
		case OBJECT_PROCEDURE:
		case OBJECT_ROUTINE:
			return true;
		default:
			return false;
	}
}

/*
 * guard_may_run_on
 *		May the current role run st on this object, as PostgreSQL checks it
 *		before doing anything?  Always true in a dry run.  Relations: their
 *		owner (for DROP, also the owner of their schema), or for TRUNCATE
 *		the TRUNCATE privilege; functions and domains: their owner (for DROP
 *		FUNCTION, also the schema's); schemas and databases: their owner.
 */
bool
guard_may_run_on(GuardStatement *st, Oid classId, Oid objectId)
{
	Oid			user = GetUserId();

	if (st->dry_run)
		return true;
	switch (classId)
	{
		case RelationRelationId:
			if (IsA(st->parsetree, TruncateStmt))
				return pg_class_aclcheck(objectId, user, ACL_TRUNCATE) == ACLCHECK_OK;
			if (pg_class_ownercheck(objectId, user))
				return true;
			return schema_owner_may_drop(st) &&
				pg_namespace_ownercheck(get_rel_namespace(objectId), user);
		case ProcedureRelationId:
			if (pg_proc_ownercheck(objectId, user))
				return true;
			return schema_owner_may_drop(st) &&
				pg_namespace_ownercheck(get_func_namespace(objectId), user);
		case TypeRelationId:
			return pg_type_ownercheck(objectId, user);
		case NamespaceRelationId:
			return pg_namespace_ownercheck(objectId, user);
		case DatabaseRelationId:
			return pg_database_ownercheck(objectId, user);
		default:
			return false;
	}
}

/*
 * guard_vacuum_reaches
 *		Does a VACUUM of the current role process this table?  Its owner's,
 *		or the database owner's (not a shared catalog); PostgreSQL skips the
 *		others with a warning (vacuum_is_relation_owner).
 */
bool
guard_vacuum_reaches(Oid relid)
{
	Oid			user = GetUserId();

	return pg_class_ownercheck(relid, user) ||
		(pg_database_ownercheck(MyDatabaseId, user) && !IsSharedRelation(relid));
}

bool
guard_schema_usable(Oid nspid)
{
	return pg_namespace_aclcheck(nspid, GetUserId(), ACL_USAGE) == ACLCHECK_OK;
}

/*
 * guard_rows_visible
 *		May the current role see which rows the table holds: SELECT on it or
 *		on one of its columns, and no row-level security applying to it?
 */
bool
guard_rows_visible(Oid relid)
{
	Oid			user = GetUserId();

	if (pg_class_aclcheck(relid, user, ACL_SELECT) != ACLCHECK_OK &&
		pg_attribute_aclcheck_all(relid, user, ACL_SELECT, ACLMASK_ANY) != ACLCHECK_OK)
		return false;
	return check_enable_rls(relid, InvalidOid, true) != RLS_ENABLED;
}

/*
 * guard_withheld_note
 *		A note (a warning at most: it is no verdict) for the tables the
 *		statement reaches in schemas the caller has no USAGE on, under the
 *		rule that would judge them.
 */
void
guard_withheld_note(GuardStatement *st)
{
	GuardRuleId rule;
	const char *command;

	if (st->withheld == 0)
		return;
	switch (nodeTag(st->parsetree))
	{
		case T_ReindexStmt:
			rule = RULE_BLOCKING_INDEX_BUILD;
			command = "REINDEX";
			break;
		case T_VacuumStmt:
			rule = RULE_TABLE_REWRITE;
			command = "VACUUM FULL";
			break;
		case T_ClusterStmt:
			rule = RULE_TABLE_REWRITE;
			command = "CLUSTER";
			break;
		case T_DropStmt:
			rule = RULE_DATA_LOSS;
			command = "DROP SCHEMA";
			break;
		case T_AlterDomainStmt:
			rule = RULE_FULL_SCAN_UNDER_LOCK;
			command = "ALTER DOMAIN";
			break;
		case T_CreateStmt:		/* the parent's default partition */
			rule = RULE_FULL_SCAN_UNDER_LOCK;
			command = "CREATE TABLE";
			break;
		default:
			rule = RULE_FULL_SCAN_UNDER_LOCK;
			command = "ALTER TABLE";
			break;
	}
	guard_add_note(st, rule,
				   psprintf("%s also reaches %d table%s whose evidence is withheld",
							command, st->withheld, st->withheld == 1 ? "" : "s"),
				   pstrdup(st->withheld == 1
							? "It is in a schema you have no USAGE on, so the guard neither names it nor judges its size, rows or dependents."
							: "They are in schemas you have no USAGE on, so the guard neither names them nor judges their size, rows or dependents."),
				   pstrdup("Have a role that may use those schemas check the statement with schemaguard.check_ddl()."));
}

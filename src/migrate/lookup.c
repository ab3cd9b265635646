/*-------------------------------------------------------------------------
 *
 * lookup.c
 *	  Small catalog look-ups the migration room shares and lsyscache.h does
 *	  not offer: owners, names of triggers, policies, rules and statistics
 *	  objects, a column's NOT NULL, collation and default, privilege names.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_attrdef.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_policy.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_rewrite.h"
#include "catalog/pg_statistic_ext.h"
#include "catalog/pg_trigger.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "migrate/internal.h"

Oid
mig_rel_owner(Oid relid)
{
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Oid			owner;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tuple))->relowner;
	ReleaseSysCache(tuple);
	return owner;
}

Oid
mig_func_owner(Oid funcid)
{
	HeapTuple	tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
	Oid			owner;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for function %u", funcid);
	owner = ((Form_pg_proc) GETSTRUCT(tuple))->proowner;
	ReleaseSysCache(tuple);
	return owner;
}

/*
 * mig_user_column
 *		The number of the migrated table's column a statement names, with
 *		the errors ALTER TABLE itself gives: none of that name (or
 *		InvalidAttrNumber when missing_ok), a system column ("cannot <verb>
 *		system column").
 */
AttrNumber
mig_user_column(Migration *m, const char *name, const char *verb, bool missing_ok)
{
	AttrNumber	attnum = get_attnum(m->relid, name);

	if (attnum == InvalidAttrNumber)
	{
		if (missing_ok)
			return InvalidAttrNumber;
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of relation \"%s\" does not exist",
						name, m->relname)));
	}
	if (attnum < 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot %s system column \"%s\"", verb, name)));
	return attnum;
}

bool
mig_attnotnull(Oid relid, AttrNumber attnum)
{
	HeapTuple	tuple = SearchSysCache2(ATTNUM, ObjectIdGetDatum(relid), Int16GetDatum(attnum));
	bool		result = false;

	if (HeapTupleIsValid(tuple))
	{
		result = ((Form_pg_attribute) GETSTRUCT(tuple))->attnotnull;
		ReleaseSysCache(tuple);
	}
	return result;
}

Oid
mig_attcollation(Oid relid, AttrNumber attnum)
{
	HeapTuple	tuple = SearchSysCache2(ATTNUM, ObjectIdGetDatum(relid), Int16GetDatum(attnum));
	Oid			result = InvalidOid;

	if (HeapTupleIsValid(tuple))
	{
		result = ((Form_pg_attribute) GETSTRUCT(tuple))->attcollation;
		ReleaseSysCache(tuple);
	}
	return result;
}

/* A column's default expression, or NULL. */
Node *
mig_column_default(Oid relid, AttrNumber attnum)
{
	Relation	rel = relation_open(relid, AccessShareLock);
	TupleConstr *constr = RelationGetDescr(rel)->constr;
	Node	   *expr = NULL;

	for (int i = 0; constr && i < constr->num_defval; i++)
		if (constr->defval[i].adnum == attnum)
			expr = stringToNode(constr->defval[i].adbin);
	relation_close(rel, AccessShareLock);
	return expr;
}

/* The row of a catalog without a syscache, by OID (a copy), or NULL. */
static HeapTuple
catalog_row(Oid catalog, AttrNumber oid_attnum, Oid objid, TupleDesc *desc)
{
	Relation	rel = table_open(catalog, AccessShareLock);
	HeapTuple	tuple = get_catalog_object_by_oid(rel, oid_attnum, objid);

	if (tuple)
		tuple = heap_copytuple(tuple);
	if (desc)
		*desc = CreateTupleDescCopy(RelationGetDescr(rel));
	table_close(rel, AccessShareLock);
	return tuple;
}

char *
mig_rule_name(Oid ruleid)
{
	HeapTuple	tuple = catalog_row(RewriteRelationId, Anum_pg_rewrite_oid, ruleid, NULL);

	return tuple ? pstrdup(NameStr(((Form_pg_rewrite) GETSTRUCT(tuple))->rulename)) : NULL;
}

char *
mig_trigger_name(Oid trigid)
{
	HeapTuple	tuple = catalog_row(TriggerRelationId, Anum_pg_trigger_oid, trigid, NULL);

	return tuple ? pstrdup(NameStr(((Form_pg_trigger) GETSTRUCT(tuple))->tgname)) : NULL;
}

char *
mig_policy_name(Oid policyid)
{
	HeapTuple	tuple = catalog_row(PolicyRelationId, Anum_pg_policy_oid, policyid, NULL);

	return tuple ? pstrdup(NameStr(((Form_pg_policy) GETSTRUCT(tuple))->polname)) : NULL;
}

/* A statistics object's qualified name, and its owner. */
char *
mig_statistics_name(Oid statid, Oid *owner)
{
	HeapTuple	tuple = SearchSysCache1(STATEXTOID, ObjectIdGetDatum(statid));
	Form_pg_statistic_ext stx;
	char	   *name;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for statistics object %u", statid);
	stx = (Form_pg_statistic_ext) GETSTRUCT(tuple);
	name = quote_qualified_identifier(get_namespace_name(stx->stxnamespace),
									  NameStr(stx->stxname));
	if (owner)
		*owner = stx->stxowner;
	ReleaseSysCache(tuple);
	return name;
}

/* The keyword of one privilege bit, as GRANT spells it. */
const char *
mig_privilege_name(AclMode privilege)
{
	switch (privilege)
	{
		case ACL_INSERT:
			return "INSERT";
		case ACL_SELECT:
			return "SELECT";
		case ACL_UPDATE:
			return "UPDATE";
		case ACL_DELETE:
			return "DELETE";
		case ACL_TRUNCATE:
			return "TRUNCATE";
		case ACL_REFERENCES:
			return "REFERENCES";
		case ACL_TRIGGER:
			return "TRIGGER";
		case ACL_EXECUTE:
			return "EXECUTE";
		case ACL_USAGE:
			return "USAGE";
		case ACL_CREATE:
			return "CREATE";
		case ACL_CREATE_TEMP:
			return "TEMPORARY";
		case ACL_CONNECT:
			return "CONNECT";
		case ACL_SET:
			return "SET";
		case ACL_ALTER_SYSTEM:
			return "ALTER SYSTEM";
		default:
			elog(ERROR, "unrecognized privilege: %d", (int) privilege);
	}
	return NULL;				/* keep compiler quiet */
}

/* " DEFERRABLE [INITIALLY DEFERRED]" of a table's constraint, or "". */
char *
mig_deferrable_clause(Migration *m, const char *conname)
{
	Oid			conid = get_relation_constraint_oid(m->relid, conname, true);
	HeapTuple	tuple;
	char	   *result = "";

	if (!OidIsValid(conid))
		return result;
	tuple = SearchSysCache1(CONSTROID, ObjectIdGetDatum(conid));
	if (HeapTupleIsValid(tuple))
	{
		Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tuple);

		if (con->condeferrable)
			result = con->condeferred ? " DEFERRABLE INITIALLY DEFERRED" : " DEFERRABLE";
		ReleaseSysCache(tuple);
	}
	return result;
}

/* The column a pg_attrdef row (by OID) is the default of. */
bool
mig_attrdef_column(Oid attrdefid, Oid *relid, AttrNumber *attnum)
{
	Relation	rel = table_open(AttrDefaultRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	bool		found = false;

	ScanKeyInit(&key, Anum_pg_attrdef_oid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(attrdefid));
	scan = systable_beginscan(rel, AttrDefaultOidIndexId, true, NULL, 1, &key);
	if (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		*relid = ((Form_pg_attrdef) GETSTRUCT(tuple))->adrelid;
		*attnum = ((Form_pg_attrdef) GETSTRUCT(tuple))->adnum;
		found = true;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

/*-------------------------------------------------------------------------
 *
 * target.c
 *	  Resolving the text a user passes to impact_of()/lineage_of() to a
 *	  relation and, optionally, one of its columns.
 *
 * Names are split and case-folded exactly as PostgreSQL folds identifiers
 * (SplitIdentifierString: unquoted names are down-cased, double-quoted ones
 * kept verbatim) and relations are found with RangeVarGetRelid, so the
 * search_path, schema USAGE checks and temporary schemas behave as they do
 * for any SQL name.  Accepted forms:
 *
 *	 relation				every column of it
 *	 relation.column		(a relation visible on the search_path)
 *	 schema.relation		when "schema" is not a visible relation, or it has
 *							no such column
 *	 schema.relation.column
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_class.h"
#include "nodes/makefuncs.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/varlena.h"

#include "lineage/internal.h"

static void
invalid_target(const char *target, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid lineage target \"%s\"", target),
			 errdetail("%s", detail),
			 errhint("Write the target as [schema.]relation[.column], double-quoting names that need it, as in \"Invoice Lines\".\"Qty\".")));
}

static Oid
lookup_relation(const char *schema, const char *relname)
{
	return RangeVarGetRelid(makeRangeVar(schema ? pstrdup(schema) : NULL,
										 pstrdup(relname), -1),
							NoLock, true);
}

static AttrNumber
lookup_column(Oid relid, const char *colname)
{
	AttrNumber	attnum = get_attnum(relid, colname);

	if (attnum == InvalidAttrNumber)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of relation \"%s\" does not exist",
						colname, get_rel_name(relid))));
	if (attnum < 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("lineage is not tracked for system column \"%s\"", colname),
				 errhint("Name a user column, or the relation alone for all of its columns.")));
	return attnum;
}

static void
relation_not_found(const char *schema, const char *relname)
{
	if (schema && !OidIsValid(get_namespace_oid(schema, true)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_SCHEMA),
				 errmsg("schema \"%s\" does not exist", schema)));
	if (schema)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"%s.%s\" does not exist", schema, relname)));
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_TABLE),
			 errmsg("relation \"%s\" does not exist", relname)));
}

/*
 * lineage_resolve_target
 *		Set *relid, and *attnum to the column's number or 0 for the whole
 *		relation.  Raises an error for anything that does not name one.
 */
void
lineage_resolve_target(const char *target, Oid *relid, AttrNumber *attnum)
{
	char	   *raw = pstrdup(target);
	List	   *names;
	const char *n1,
			   *n2,
			   *n3;

	if (!SplitIdentifierString(raw, '.', &names))
		invalid_target(target, "The name has invalid syntax: check the quotes and the dots.");
	if (names == NIL || strlen((char *) linitial(names)) == 0)
		invalid_target(target, "The target is empty.");

	switch (list_length(names))
	{
		case 1:
			n1 = linitial(names);
			*relid = lookup_relation(NULL, n1);
			if (!OidIsValid(*relid))
				relation_not_found(NULL, n1);
			*attnum = 0;
			break;

		case 2:
			n1 = linitial(names);
			n2 = lsecond(names);
			*relid = lookup_relation(NULL, n1);
			if (OidIsValid(*relid) &&
				(get_attnum(*relid, n2) != InvalidAttrNumber ||
				 !OidIsValid(lookup_relation(n1, n2))))
			{
				*attnum = lookup_column(*relid, n2);
				break;
			}
			*relid = lookup_relation(n1, n2);
			if (!OidIsValid(*relid))
			{
				/* say what the user most likely meant */
				if (OidIsValid(get_namespace_oid(n1, true)))
					relation_not_found(n1, n2);
				relation_not_found(NULL, n1);
			}
			*attnum = 0;
			break;

		case 3:
			n1 = linitial(names);
			n2 = lsecond(names);
			n3 = lthird(names);
			*relid = lookup_relation(n1, n2);
			if (!OidIsValid(*relid))
				relation_not_found(n1, n2);
			*attnum = lookup_column(*relid, n3);
			break;

		default:
			invalid_target(target, "Too many dotted names: a target has at most three (schema, relation, column).");
	}
}

/*
 * lineage_relation_attributes
 *		The live (not dropped) user columns of a relation: their number
 *		(returned; 0 if the relation is gone), attribute numbers and, if
 *		names is not NULL, names, in attnum order.  (One syscache probe per
 *		column: PostgreSQL 15 searches catcache lists linearly, which is far
 *		slower with thousands of relations cached.)
 */
int
lineage_relation_attributes(Oid relid, AttrNumber **attnums, char ***names)
{
	HeapTuple	tuple;
	int			natts;
	int			n = 0;
	AttrNumber	attnum;

	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	natts = HeapTupleIsValid(tuple) ? ((Form_pg_class) GETSTRUCT(tuple))->relnatts : 0;
	if (HeapTupleIsValid(tuple))
		ReleaseSysCache(tuple);

	*attnums = palloc(sizeof(AttrNumber) * Max(natts, 1));
	if (names)
		*names = palloc(sizeof(char *) * Max(natts, 1));
	for (attnum = 1; attnum <= natts; attnum++)
	{
		Form_pg_attribute att;

		tuple = SearchSysCache2(ATTNUM, ObjectIdGetDatum(relid),
								Int16GetDatum(attnum));
		if (!HeapTupleIsValid(tuple))
			continue;
		att = (Form_pg_attribute) GETSTRUCT(tuple);
		if (!att->attisdropped)
		{
			(*attnums)[n] = attnum;
			if (names)
				(*names)[n] = pstrdup(NameStr(att->attname));
			n++;
		}
		ReleaseSysCache(tuple);
	}
	return n;
}

/*
 * lineage_relation_columns
 *		The same attribute numbers as an integer List (NIL if the relation is
 *		gone): what a bare relation target and a whole-row reference mean.
 */
List *
lineage_relation_columns(Oid relid)
{
	AttrNumber *attnums;
	int			n = lineage_relation_attributes(relid, &attnums, NULL);
	List	   *columns = NIL;
	int			i;

	for (i = 0; i < n; i++)
		columns = lappend_int(columns, attnums[i]);
	pfree(attnums);
	return columns;
}

/*-------------------------------------------------------------------------
 *
 * breaks_dependents.c
 *	  Rule breaks-dependents: dropping or renaming a column, table or
 *	  function, or changing a column's type, while the lineage catalog shows
 *	  objects that use it.  Any size, empty tables included.
 *
 * Above all it catches what PostgreSQL lets through: function bodies,
 * which pg_depend does not record, fail only when they next run.  Which
 * dependents break depends on the change:
 *	 - DROP (column, table, function) and ALTER COLUMN TYPE: every dependent
 *	   outside the table itself (the table's own indexes, constraints,
 *	   defaults and triggers are dropped or rebuilt with it), and the
 *	   table's triggers that name a column as text (their function through
 *	   NEW/OLD, a known C function's arguments: lineage_names_by_text),
 *	   which are neither; a type change
 *	   that does not rewrite the table (varchar(50) to varchar(255),
 *	   varchar to text) changes no value a dependent reads, and is let be;
 *	 - RENAME and SET SCHEMA: only dependents that find the object by name
 *	   at run time, i.e. functions with a string body and such triggers
 *	   (views, rules and BEGIN ATOMIC bodies store object ids and follow
 *	   the rename);
 *	 - DROP ... CASCADE: only those too, since CASCADE drops the dependents
 *	   PostgreSQL tracks, as the user asked, and leaves those it does not
 *	   track to fail.
 * Names of dependents in schemas the current role has no USAGE on are not
 * shown, only counted.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_class.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_proc.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "guard/guard.h"
#include "lineage/lineage.h"

/* Shown by name in errdetail; the rest are counted. */
#define DEPENDENTS_SHOWN 10

/* A function whose body names objects as text, bound when it runs. */
static bool
binds_by_name(const ObjectAddress *object)
{
	HeapTuple	tuple;
	bool		result;

	if (object->classId != ProcedureRelationId)
		return false;
	tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(object->objectId));
	if (!HeapTupleIsValid(tuple))
		return false;
	result = heap_attisnull(tuple, Anum_pg_proc_prosqlbody, NULL);
	ReleaseSysCache(tuple);
	return result;
}

static int
compare_names(const ListCell *a, const ListCell *b)
{
	return strcmp(lfirst(a), lfirst(b));
}

static void
report(GuardStatement *st, GuardChange *change, const ObjectAddress *source,
	   bool by_name_only, const char *what, char *hint)
{
	ListCell   *lc;
	List	   *names = NIL;
	int			hidden = 0;
	StringInfoData detail;
	Oid			dropped_schema = (change->object.classId == NamespaceRelationId)
		? change->object.objectId : InvalidOid;

	foreach(lc, lineage_dependents(source))
	{
		ObjectAddress *dep = lfirst(lc);
		Oid			nspid;

		/* a trigger whose function or arguments name the column breaks */
		bool		by_text = source->objectSubId != 0 &&
			lineage_names_by_text(dep, source);

		if (change->rel != NULL && lineage_owner(dep).objectId == change->rel->relid &&
			!by_text)
			continue;			/* the table's own objects go with it */
		if (dep->classId == source->classId && dep->objectId == source->objectId)
			continue;			/* a recursive function */
		if (by_name_only && !binds_by_name(dep) && !by_text)
			continue;
		nspid = lineage_object_schema(dep);
		if (OidIsValid(dropped_schema) && nspid == dropped_schema)
			continue;			/* dropped along */
		if (OidIsValid(nspid) &&
			pg_namespace_aclcheck(nspid, GetUserId(), ACL_USAGE) != ACLCHECK_OK)
		{
			hidden++;
			continue;
		}
		names = lappend(names, psprintf("%s %s", getObjectTypeDescription(dep, true),
										getObjectIdentity(dep, true)));
	}
	if (names == NIL && hidden == 0)
		return;
	list_sort(names, compare_names);

	initStringInfo(&detail);
	appendStringInfo(&detail, "%d dependent%s: ", list_length(names) + hidden,
					 list_length(names) + hidden == 1 ? "" : "s");
	foreach(lc, names)
	{
		if (foreach_current_index(lc) == DEPENDENTS_SHOWN)
		{
			appendStringInfo(&detail, ", and %d more", list_length(names) - DEPENDENTS_SHOWN);
			break;
		}
		appendStringInfo(&detail, "%s%s", foreach_current_index(lc) ? ", " : "",
						 (char *) lfirst(lc));
	}
	if (hidden)
		appendStringInfo(&detail, "%s%d in schemas you have no USAGE on",
						 names ? ", and " : "", hidden);
	appendStringInfoString(&detail, !by_name_only
						   ? ". Function bodies among them are not tracked by PostgreSQL: they fail when they next run."
						   : change->cascade
						   ? ". They name it as text in their bodies, which PostgreSQL does not track: CASCADE does not drop them, and they fail when they next run."
						   : ". They name it as text in their bodies, which PostgreSQL does not track: they fail when they next run.");

	guard_add_finding(st, RULE_BREAKS_DEPENDENTS,
					  psprintf("%s breaks %d dependent%s", what, list_length(names) + hidden,
							   list_length(names) + hidden == 1 ? "" : "s"),
					  detail.data, hint);
}

void
rule_breaks_dependents(GuardStatement *st)
{
	ListCell   *lc;

	foreach(lc, st->changes)
	{
		GuardChange *change = lfirst(lc);
		GuardRelation *rel = change->rel;
		ObjectAddress source;

		switch (change->kind)
		{
			case CHANGE_DROP_COLUMN:
			case CHANGE_ALTER_TYPE:
			case CHANGE_RENAME_COLUMN:
				{
					bool		rename = (change->kind == CHANGE_RENAME_COLUMN);
					char	   *impact;
					char	   *using_sql;

					if (rel == NULL || change->attnum <= 0)
						break;
					/* varchar(50) to varchar(255), varchar to text: readers see the same values */
					if (change->kind == CHANGE_ALTER_TYPE &&
						!guard_type_change_rewrites(st, change, &using_sql))
						break;
					ObjectAddressSubSet(source, RelationRelationId, rel->relid, change->attnum);
					impact = guard_impact_query(rel, change->colname);
					report(st, change, &source, rename || change->cascade,
						   psprintf("%s column \"%s\" of \"%s.%s\"",
									change->kind == CHANGE_DROP_COLUMN ? "dropping"
									: rename ? "renaming" : "changing the type of",
									change->colname, rel->nspname, rel->relname),
						   rename
						   ? psprintf("Rename in steps that keep both names working: add the new column, keep it in step with a trigger, move the dependents to it, then drop the old one. The dependents, transitively:\n%s",
									  impact)
						   : psprintf("Change or drop the dependents first. All of them, transitively:\n%s",
									  impact));
					break;
				}
			case CHANGE_DROP_RELATION:
			case CHANGE_RENAME_RELATION:
				{
					bool		rename = (change->kind == CHANGE_RENAME_RELATION);
					char	   *new_name = NULL;

					if (rel == NULL)
						break;
					if (IsA(st->parsetree, RenameStmt))
						new_name = quote_qualified_identifier(rel->nspname,
															  ((RenameStmt *) st->parsetree)->newname);
					else if (IsA(st->parsetree, AlterObjectSchemaStmt))
						new_name = quote_qualified_identifier(((AlterObjectSchemaStmt *) st->parsetree)->newschema,
															  rel->relname);
					ObjectAddressSet(source, RelationRelationId, rel->relid);
					report(st, change, &source, rename || change->cascade,
						   psprintf("%s \"%s.%s\"",
									rename ? "renaming or moving" : "dropping",
									rel->nspname, rel->relname),
						   rename && new_name && rel->relkind != RELKIND_MATVIEW
						   ? psprintf("Keep the old name working with a view while the dependents move to the new one (a simple view can be written through):\n"
									  "BEGIN; %s CREATE VIEW %s AS TABLE %s; COMMIT;",
									  guard_statement_sql(st->text), rel->sql_name, new_name)
						   : psprintf("Change or drop the dependents first. All of them, transitively:\n%s",
									  guard_impact_query(rel, NULL)));
					break;
				}
			case CHANGE_DROP_FUNCTION:
			case CHANGE_RENAME_FUNCTION:
				{
					bool		rename = (change->kind == CHANGE_RENAME_FUNCTION);

					source = change->object;
					report(st, change, &source, rename || change->cascade,
						   psprintf("%s function %s",
									rename ? "renaming or moving" : "dropping",
									change->object_name),
						   rename
						   ? pstrdup("Create the function under its new name as well, move the callers to it, then drop the old one.")
						   : pstrdup("Change the callers first, or keep the function until none is left."));
					break;
				}
			default:
				break;
		}
	}
}

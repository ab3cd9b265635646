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
 * A DROP of several objects is judged as a set: a dependent that the same
 * statement drops (DROP TABLE pa, ch; DROP VIEW v1, v2) breaks nothing.
 * Names of dependents in schemas the current role has no USAGE on are not
 * shown, only counted.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_class.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_proc.h"
#include "miscadmin.h"
#include "parser/parse_coerce.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "guard/guard.h"
#include "guard/predict.h"
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

/*
 * recorded_on
 *		Does pg_depend record that the object depends on the column (or
 *		object) itself?  A trigger with UPDATE OF or a WHEN naming the column
 *		is recorded, whatever its function's body names as text: PostgreSQL
 *		refuses the change for it, as for a view.
 */
static bool
recorded_on(const ObjectAddress *object, const ObjectAddress *source)
{
	Relation	depend;
	ScanKeyData key[2];
	SysScanDesc scan;
	HeapTuple	tuple;
	bool		found = false;

	depend = table_open(DependRelationId, AccessShareLock);
	ScanKeyInit(&key[0], Anum_pg_depend_classid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(object->classId));
	ScanKeyInit(&key[1], Anum_pg_depend_objid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(object->objectId));
	scan = systable_beginscan(depend, DependDependerIndexId, true, NULL, 2, key);
	while (!found && HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_depend d = (Form_pg_depend) GETSTRUCT(tuple);

		found = d->refclassid == source->classId &&
			d->refobjid == source->objectId &&
			(source->objectSubId == 0 || d->refobjsubid == source->objectSubId);
	}
	systable_endscan(scan);
	table_close(depend, AccessShareLock);
	return found;
}

/*
 * dropped_along
 *		Does the statement drop this object (a relation or function that
 *		owns a dependent) itself?  A multi-object DROP is judged as a set:
 *		DROP TABLE pa, ch drops ch's foreign key with ch, DROP VIEW v1, v2
 *		drops v2 with v1.  Partitions (and, with CASCADE, inheritance
 *		children) go with their table.
 */
static bool
dropped_along(GuardStatement *st, const ObjectAddress *owner)
{
	ListCell   *lc;

	foreach(lc, st->changes)
	{
		GuardChange *change = lfirst(lc);

		if (change->kind == CHANGE_DROP_RELATION && change->rel &&
			owner->classId == RelationRelationId &&
			(owner->objectId == change->rel->relid ||
			 list_member_oid(change->rel->member_oids, owner->objectId)))
			return true;
		if (change->kind == CHANGE_DROP_FUNCTION &&
			owner->classId == ProcedureRelationId &&
			owner->objectId == change->object.objectId)
			return true;
	}
	return false;
}

static int
compare_names(const ListCell *a, const ListCell *b)
{
	return strcmp(lfirst(a), lfirst(b));
}

/* "view, function" */
static char *
kinds_text(List *kinds)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, kinds)
		appendStringInfo(&buf, "%s%s", buf.len ? ", " : "", strVal(lfirst(lc)));
	return buf.data;
}

/*
 * consequences
 *		What the change will actually do to the dependents, by kind of
 *		change.  Dependents PostgreSQL records (views, rules, policies,
 *		triggers, SQL-standard bodies: tracked) make it refuse a DROP
 *		without CASCADE and any type change; function bodies written as
 *		strings (untracked) let the statement through.  After a DROP they
 *		fail when they next run; after a type change they run on with the
 *		new type: an assignment to a variable, parameter or result of the
 *		old type converts by assignment cast, silently, or, with none,
 *		fails (PL/pgSQL tries text I/O, which fails on what does not read
 *		as the old type; an SQL function's result check fails at once);
 *		what they compute with the column changes type or scale with it; a
 *		RETURN QUERY into a column of the old type fails.
 */
static void
consequences(StringInfo detail, GuardChange *change, int tracked,
			 List *tracked_kinds, int untracked)
{
	bool		type_change = (change->kind == CHANGE_ALTER_TYPE);
	Oid			oldtype,
				newtype;
	int32		oldtypmod,
				newtypmod;
	char	   *old_name;
	char	   *new_name;

	appendStringInfoChar(detail, '.');
	if (tracked > 0)
		appendStringInfo(detail, type_change
						 ? " PostgreSQL records %d of them (%s) and refuses to change the type of a column that a view, rule, policy, trigger or SQL-standard function body uses."
						 : " PostgreSQL records %d of them (%s) and refuses the drop while they exist; DROP ... CASCADE would drop them too.",
						 tracked, kinds_text(tracked_kinds));
	if (untracked == 0)
		return;
	if (!type_change ||
		!guard_type_change_target(change, &oldtype, &oldtypmod, &newtype, &newtypmod))
	{
		if (untracked == 1)
			appendStringInfo(detail, " One function body written as a string, which PostgreSQL does not track, %s: it fails when it next runs.",
							 type_change ? "goes on running" : "lets the drop through");
		else
			appendStringInfo(detail, " %d function bodies written as strings, which PostgreSQL does not track, %s: they fail when they next run.",
							 untracked, type_change ? "go on running" : "let the drop through");
		return;
	}
	old_name = format_type_with_typemod(oldtype, oldtypmod);
	new_name = format_type_with_typemod(newtype, newtypmod);
	appendStringInfo(detail, " %s, which PostgreSQL does not track, %s on with %s in place of %s: ",
					 untracked == 1 ? "One function body written as a string"
					 : psprintf("%d function bodies written as strings", untracked),
					 untracked == 1 ? "runs" : "run", new_name, old_name);
	if (can_coerce_type(1, &newtype, &oldtype, COERCION_ASSIGNMENT))
		appendStringInfo(detail, "a value of the column assigned to a variable, parameter or result of type %s is converted silently by the assignment cast from %s to %s; ",
						 old_name, new_name, old_name);
	else
		appendStringInfo(detail, "where one assigns the column to a variable, parameter or result of type %s, it fails when it next runs, there being no assignment cast from %s to %s (PL/pgSQL converts through text, which fails on values that are not valid %s; an SQL function declared to return %s fails at once); ",
						 old_name, new_name, old_name, old_name, old_name);
	appendStringInfo(detail, "expressions on the column now compute with %s, so their results change type or scale, or fail where an operator or function does not take %s",
					 new_name, new_name);
	/* result columns of functions carry no typmod: only a new type counts */
	if (newtype != oldtype)
		appendStringInfo(detail, "; a RETURN QUERY into a result column of type %s fails (\"structure of query does not match function result type\")",
						 format_type_be(oldtype));
	appendStringInfoChar(detail, '.');
}

static void
report(GuardStatement *st, GuardChange *change, const ObjectAddress *source,
	   bool by_name_only, const char *what, char *hint)
{
	ListCell   *lc;
	List	   *names = NIL;
	int			hidden = 0;
	int			tracked = 0;
	List	   *tracked_kinds = NIL;
	StringInfoData detail;
	Oid			dropped_schema = (change->object.classId == NamespaceRelationId)
		? change->object.objectId : InvalidOid;

	foreach(lc, lineage_dependents(source))
	{
		ObjectAddress *dep = lfirst(lc);
		ObjectAddress owner = lineage_owner(dep);
		Oid			nspid;

		/* a trigger whose function or arguments name the column breaks */
		bool		by_text = source->objectSubId != 0 &&
			lineage_names_by_text(dep, source);

		if (change->rel != NULL && owner.classId == RelationRelationId &&
			owner.objectId == change->rel->relid && !by_text)
			continue;			/* the table's own objects go with it */
		if (dropped_along(st, &owner))
			continue;			/* dropped by the same statement */
		if (dep->classId == source->classId && dep->objectId == source->objectId)
			continue;			/* a recursive function */
		if (by_name_only && !binds_by_name(dep) && !by_text)
			continue;
		nspid = lineage_object_schema(dep);
		if (OidIsValid(dropped_schema) && nspid == dropped_schema)
			continue;			/* dropped along */
		if (!binds_by_name(dep) && (!by_text || recorded_on(dep, source)))
		{
			tracked++;
			tracked_kinds = list_append_unique(tracked_kinds,
											   makeString(getObjectTypeDescription(dep, true)));
		}
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
	if (!by_name_only)
		consequences(&detail, change, tracked, tracked_kinds,
					 list_length(names) + hidden - tracked);
	else
		appendStringInfoString(&detail, change->cascade
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
						   ? psprintf("Rename in steps that keep both names working: add the new column, keep it in step with a trigger, move the dependents to it, then drop the old one. The dependents, transitively:\n%s%s",
									  impact, guard_plan_hint(st->text, rel->relid))
						   : change->kind == CHANGE_ALTER_TYPE
						   ? psprintf("Change or drop the dependents first. All of them, transitively:\n%s%s",
									  impact, guard_plan_hint(st->text, rel->relid))
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

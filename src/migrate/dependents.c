/*-------------------------------------------------------------------------
 *
 * dependents.c
 *	  Who reads a column that moves at switch, and how each is carried to
 *	  the other column: found in the lineage catalog (lineage.h) and in
 *	  pg_depend, re-created in dependency order from its own definition as
 *	  the server deparses it before the swap, with its owner, privileges,
 *	  comments and options.
 *
 * The dependents, from the column out:
 *	 views             dropped and created again (CREATE VIEW ... AS the
 *	                   definition pg_get_viewdef() printed before the swap,
 *	                   which names the column by the name the new one takes);
 *	                   reloptions (security_barrier, check_option ...),
 *	                   column defaults, comments, privileges; their
 *	                   INSTEAD OF triggers and rules are dependents too;
 *	 materialized      a replacement is built and filled before the lock
 *	 views             (populated only if the original was), from the
 *	                   original's query with its Vars re-pointed to the new
 *	                   column, with copies of its indexes; under the lock
 *	                   the original is dropped and the replacement takes its
 *	                   name and its indexes' names;
 *	 triggers          (UPDATE OF lists, WHEN) from pg_get_triggerdef(),
 *	                   enabled as they were;
 *	 policies          from their catalog row and pg_get_expr();
 *	 rules, statistics from pg_get_ruledef(), pg_get_statisticsobjdef();
 *	 functions         with a body PostgreSQL keeps as a tree (BEGIN ATOMIC)
 *	                   or whose signature uses a view's row type, from
 *	                   pg_get_functiondef();
 *	 generated columns PostgreSQL cannot point a stored generated column at
 *	                   another column without rewriting the table: it becomes
 *	                   a plain column kept current by a trigger that computes
 *	                   the same expression (ALTER ... DROP EXPRESSION keeps
 *	                   every stored value); never dropped.
 * Everything depending on a view or function re-created is a dependent in
 * turn.  Function bodies kept as text (SQL, PL/pgSQL) find the column by
 * name when they run, so they follow the swap by themselves: they are
 * listed, and their lineage is computed again after the switch.
 * Anything else found on the way (a constraint or index of another table, a
 * column default calling a function re-created...) is refused, named, by
 * plan().  After the re-creation nothing but the migration's own objects
 * may depend on the column the readers left (switch.c checks).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "catalog/dependency.h"
#include "catalog/index.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_attrdef.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_index.h"
#include "catalog/pg_policy.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_rewrite.h"
#include "catalog/pg_statistic_ext.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/comment.h"
#include "commands/trigger.h"
#include "miscadmin.h"
#include "rewrite/rewriteSupport.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"

#include "lineage/lineage.h"
#include "migrate/internal.h"

typedef enum DepKind
{
	DEP_VIEW,
	DEP_MATVIEW,
	DEP_FUNCTION,
	DEP_TRIGGER,
	DEP_POLICY,
	DEP_RULE,
	DEP_STATISTICS,
	DEP_GENERATED
} DepKind;

static const char *const dep_kind_names[] = {
	"view", "materialized view", "function", "trigger", "policy", "rule",
	"statistics object", "generated column"
};

typedef struct DepItem
{
	DepKind		kind;
	ObjectAddress object;		/* DEP_GENERATED: the table's column */
	Oid			relid;			/* the relation it is or is on */
	int			depth;
	List	   *needs;			/* DepItems it depends on */
	char	   *identity;
	bool		visible;		/* the caller has USAGE on its schema */
} DepItem;

struct MigDependents
{
	List	   *items;			/* DepItem, in creation order once sorted */
	List	   *readers;		/* ObjectAddress: function bodies naming a column */
	List	   *reader_names;
	List	   *moves;			/* MigRepoint: the columns readers leave */
	bool		back;
};

/*
 * mig_depend_on
 *		The pg_depend rows that reference this object (refobjsubid -1: the
 *		object and any of its columns), normal and automatic ones.
 */
List *
mig_depend_on(Oid refclassid, Oid refobjid, int32 refobjsubid)
{
	Relation	rel = table_open(DependRelationId, AccessShareLock);
	ScanKeyData keys[3];
	SysScanDesc scan;
	HeapTuple	tuple;
	List	   *result = NIL;

	ScanKeyInit(&keys[0], Anum_pg_depend_refclassid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(refclassid));
	ScanKeyInit(&keys[1], Anum_pg_depend_refobjid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(refobjid));
	ScanKeyInit(&keys[2], Anum_pg_depend_refobjsubid, BTEqualStrategyNumber,
				F_INT4EQ, Int32GetDatum(refobjsubid));
	scan = systable_beginscan(rel, DependReferenceIndexId, true, NULL,
							  refobjsubid >= 0 ? 3 : 2, keys);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_depend dep = (Form_pg_depend) GETSTRUCT(tuple);
		MigDep	   *d;

		ListCell   *lc;
		bool		seen = false;

		if (dep->deptype != DEPENDENCY_NORMAL && dep->deptype != DEPENDENCY_AUTO)
			continue;
		foreach(lc, result)
		{
			MigDep	   *known = lfirst(lc);

			if (known->object.classId == dep->classid && known->object.objectId == dep->objid &&
				known->object.objectSubId == dep->objsubid)
				seen = true;
		}
		if (seen)
			continue;
		d = palloc(sizeof(MigDep));
		d->object.classId = dep->classid;
		d->object.objectId = dep->objid;
		d->object.objectSubId = dep->objsubid;
		d->deptype = dep->deptype;
		result = lappend(result, d);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return result;
}

/* The relation a rule, trigger, policy or statistics object is on. */
static Oid
object_relation(const ObjectAddress *object)
{
	HeapTuple	tuple;
	Oid			relid = InvalidOid;

	switch (object->classId)
	{
		case RewriteRelationId:
			{
				Relation	rel = table_open(RewriteRelationId, AccessShareLock);

				tuple = get_catalog_object_by_oid(rel, Anum_pg_rewrite_oid, object->objectId);
				if (tuple)
					relid = ((Form_pg_rewrite) GETSTRUCT(tuple))->ev_class;
				table_close(rel, AccessShareLock);
				break;
			}
		case TriggerRelationId:
			{
				Relation	rel = table_open(TriggerRelationId, AccessShareLock);

				tuple = get_catalog_object_by_oid(rel, Anum_pg_trigger_oid, object->objectId);
				if (tuple)
					relid = ((Form_pg_trigger) GETSTRUCT(tuple))->tgrelid;
				table_close(rel, AccessShareLock);
				break;
			}
		case PolicyRelationId:
			{
				Relation	rel = table_open(PolicyRelationId, AccessShareLock);

				tuple = get_catalog_object_by_oid(rel, Anum_pg_policy_oid, object->objectId);
				if (tuple)
					relid = ((Form_pg_policy) GETSTRUCT(tuple))->polrelid;
				table_close(rel, AccessShareLock);
				break;
			}
		case StatisticExtRelationId:
			tuple = SearchSysCache1(STATEXTOID, ObjectIdGetDatum(object->objectId));
			if (HeapTupleIsValid(tuple))
			{
				relid = ((Form_pg_statistic_ext) GETSTRUCT(tuple))->stxrelid;
				ReleaseSysCache(tuple);
			}
			break;
		case AttrDefaultRelationId:
			{
				AttrNumber	adnum;

				if (!mig_attrdef_column(object->objectId, &relid, &adnum))
					relid = InvalidOid;
				break;
			}
		default:
			break;
	}
	return relid;
}

static bool text_body(Oid funcid);

/*
 * The function of a trigger whose body names the column by text (lineage
 * keeps a trigger function's reads of NEW and OLD on each trigger that uses
 * it: lineage_names_by_text), if it is kept as text and bound by name when
 * it runs; else InvalidOid.
 */
static Oid
trigger_text_reader(const ObjectAddress *trigger, Oid relid, AttrNumber attnum)
{
	Relation	rel;
	HeapTuple	tuple;
	Oid			funcid = InvalidOid;
	ObjectAddress column;

	if (trigger->classId != TriggerRelationId)
		return InvalidOid;
	ObjectAddressSubSet(column, RelationRelationId, relid, attnum);
	if (!lineage_names_by_text(trigger, &column))
		return InvalidOid;
	rel = table_open(TriggerRelationId, AccessShareLock);
	tuple = get_catalog_object_by_oid(rel, Anum_pg_trigger_oid, trigger->objectId);
	if (tuple)
		funcid = ((Form_pg_trigger) GETSTRUCT(tuple))->tgfoid;
	table_close(rel, AccessShareLock);
	return OidIsValid(funcid) && text_body(funcid) ? funcid : InvalidOid;
}

static bool
is_sync_trigger(Oid trigid)
{
	Relation	rel = table_open(TriggerRelationId, AccessShareLock);
	HeapTuple	tuple = get_catalog_object_by_oid(rel, Anum_pg_trigger_oid, trigid);
	bool		result = false;

	if (tuple)
	{
		Form_pg_trigger trig = (Form_pg_trigger) GETSTRUCT(tuple);

		result = trig->tgisinternal ||
			strcmp(NameStr(trig->tgname), SYNC_TRIGGER_FIRST) == 0 ||
			strcmp(NameStr(trig->tgname), SYNC_TRIGGER_LAST) == 0;
	}
	table_close(rel, AccessShareLock);
	return result;
}

static DepItem *
find_item(MigDependents *d, DepKind kind, const ObjectAddress *object)
{
	ListCell   *lc;

	foreach(lc, d->items)
	{
		DepItem    *item = lfirst(lc);

		if (item->kind == kind && item->object.classId == object->classId &&
			item->object.objectId == object->objectId &&
			item->object.objectSubId == object->objectSubId)
			return item;
	}
	return NULL;
}

static void
refuse(Migration *m, const ObjectAddress *object, const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("a migration cannot carry %s across", getObjectDescription(object, false)),
			 errdetail("It reads a column of %s that moves at the switch, and %s.", m->qualname, why),
			 errhint("Drop it before the migration and create it again after the switch, or leave the change to a maintenance window.")));
}

/*
 * add_item
 *		The dependent `object' found from `from' (NULL: from a column that
 *		moves), as the item that re-creates it; NULL if nothing needs
 *		re-creating (the table's own indexes and constraints, which the
 *		change kind copies; a matview's own indexes; the engine's triggers).
 */
static DepItem *
add_item(Migration *m, MigDependents *d, ObjectAddress object, DepItem *from,
		 List **queue)
{
	DepKind		kind;
	Oid			relid = InvalidOid;
	DepItem    *item;

	switch (object.classId)
	{
		case RewriteRelationId:
			{
				char	   *rulename = mig_rule_name(object.objectId);

				relid = object_relation(&object);
				if (rulename && strcmp(rulename, ViewSelectRuleName) == 0)
				{
					char		relkind = get_rel_relkind(relid);

					ObjectAddressSet(object, RelationRelationId, relid);
					kind = relkind == RELKIND_MATVIEW ? DEP_MATVIEW : DEP_VIEW;
				}
				else
					kind = DEP_RULE;
				break;
			}
		case RelationRelationId:
			{
				char		relkind = get_rel_relkind(object.objectId);

				relid = object.objectId;
				if (relkind == RELKIND_VIEW || relkind == RELKIND_MATVIEW)
				{
					object.objectSubId = 0;
					kind = relkind == RELKIND_MATVIEW ? DEP_MATVIEW : DEP_VIEW;
				}
				else if (relkind == RELKIND_INDEX || relkind == RELKIND_SEQUENCE)
				{
					Oid			table = relkind == RELKIND_INDEX
						? IndexGetRelation(object.objectId, false) : InvalidOid;

					if (relkind == RELKIND_SEQUENCE || table == m->relid ||
						get_rel_relkind(table) == RELKIND_MATVIEW)
						return NULL;	/* copied by the kind, or with its matview */
					refuse(m, &object, "it is an index of another table");
					return NULL;
				}
				else if (object.objectId == m->relid && object.objectSubId > 0 &&
						 get_attgenerated(m->relid, object.objectSubId))
					kind = DEP_GENERATED;
				else if (object.objectId == m->relid)
					return NULL;	/* the table itself (lineage of a whole row) */
				else
				{
					refuse(m, &object, "it is not a view, a function, a trigger, a policy, a rule or a statistics object");
					return NULL;
				}
				break;
			}
		case ProcedureRelationId:
			kind = DEP_FUNCTION;
			break;
		case TriggerRelationId:
			if (is_sync_trigger(object.objectId))
				return NULL;
			kind = DEP_TRIGGER;
			relid = object_relation(&object);
			break;
		case PolicyRelationId:
			kind = DEP_POLICY;
			relid = object_relation(&object);
			break;
		case StatisticExtRelationId:
			kind = DEP_STATISTICS;
			relid = object_relation(&object);
			break;
		case AttrDefaultRelationId:
			{
				Oid			adrelid = InvalidOid;
				AttrNumber	adnum = 0;

				(void) mig_attrdef_column(object.objectId, &adrelid, &adnum);
				if (adrelid == m->relid && get_attgenerated(adrelid, adnum))
				{
					ObjectAddressSubSet(object, RelationRelationId, adrelid, adnum);
					kind = DEP_GENERATED;
					relid = adrelid;
					break;
				}
				if (from == NULL && adrelid == m->relid)
					return NULL;	/* the column's own default: moved by the kind */
				if (from && (from->kind == DEP_VIEW || from->kind == DEP_MATVIEW) &&
					adrelid == from->relid)
					return NULL;	/* a view column's default: with its view */
				refuse(m, &object, "it is a column default");
				return NULL;
			}
		case ConstraintRelationId:
			if (from == NULL)
				return NULL;	/* the table's own: copied by the kind */
			refuse(m, &object, "it is a constraint on something re-created");
			return NULL;
		case TypeRelationId:
			return NULL;		/* a view's row type: with its view */
		default:
			refuse(m, &object, "it is of a kind a migration does not re-create");
			return NULL;
	}

	/* a trigger or rule of a view goes with... its own item; an index of a matview with it */
	if ((kind == DEP_STATISTICS) && from && from->kind == DEP_MATVIEW && relid == from->relid)
		;						/* statistics on a matview: re-created after it */

	item = find_item(d, kind, &object);
	if (item == NULL)
	{
		Oid			nspid;

		item = palloc0(sizeof(DepItem));
		item->kind = kind;
		item->object = object;
		item->relid = relid;
		item->identity = kind == DEP_GENERATED
			? psprintf("%s.%s", m->qualname,
					   quote_identifier(get_attname(m->relid, object.objectSubId, false)))
			: getObjectIdentity(&object, false);
		nspid = OidIsValid(relid) ? get_rel_namespace(relid)
			: get_func_namespace(object.objectId);
		item->visible = !OidIsValid(nspid) ||
			pg_namespace_aclcheck(nspid, GetUserId(), ACL_USAGE) == ACLCHECK_OK;
		d->items = lappend(d->items, item);
		if (kind == DEP_VIEW || kind == DEP_MATVIEW || kind == DEP_FUNCTION)
			*queue = lappend(*queue, item);
	}
	if (from && !list_member_ptr(item->needs, from))
		item->needs = lappend(item->needs, from);
	if (item->kind == DEP_MATVIEW && from &&
		(from->kind == DEP_VIEW || from->kind == DEP_FUNCTION || from->kind == DEP_MATVIEW))
		refuse(m, &item->object,
			   psprintf("it reads %s %s, which is re-created too: a materialized view is built before the swap from the table alone",
						dep_kind_names[from->kind], from->identity));
	return item;
}

/* Functions whose text body names the column: listed, analyzed again. */
static void
add_reader(MigDependents *d, const ObjectAddress *object)
{
	ListCell   *lc;
	ObjectAddress *copy;

	foreach(lc, d->readers)
	{
		ObjectAddress *known = lfirst(lc);

		if (known->classId == object->classId && known->objectId == object->objectId)
			return;
	}
	copy = palloc(sizeof(ObjectAddress));
	*copy = *object;
	copy->objectSubId = 0;
	d->readers = lappend(d->readers, copy);
	d->reader_names = lappend(d->reader_names, getObjectIdentity(copy, false));
}

/* Does this function keep its body as text (bound by name when it runs)? */
static bool
text_body(Oid funcid)
{
	HeapTuple	tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
	bool		result;

	if (!HeapTupleIsValid(tuple))
		return false;
	result = heap_attisnull(tuple, Anum_pg_proc_prosqlbody, NULL);
	ReleaseSysCache(tuple);
	return result;
}

/* The objects depending on a re-created view, matview or function. */
static void
expand_item(Migration *m, MigDependents *d, DepItem *item, List **queue)
{
	List	   *deps;
	ListCell   *lc;

	if (item->kind == DEP_FUNCTION)
		deps = mig_depend_on(ProcedureRelationId, item->object.objectId, -1);
	else
	{
		Oid			rowtype = get_rel_type_id(item->relid);

		deps = mig_depend_on(RelationRelationId, item->relid, -1);
		if (OidIsValid(rowtype))
		{
			Oid			arraytype = get_array_type(rowtype);

			deps = list_concat(deps, mig_depend_on(TypeRelationId, rowtype, -1));
			if (OidIsValid(arraytype))
				deps = list_concat(deps, mig_depend_on(TypeRelationId, arraytype, -1));
		}
	}
	foreach(lc, deps)
	{
		MigDep	   *dep = lfirst(lc);

		/* the view's own rule and row type */
		if (dep->object.classId == RewriteRelationId && object_relation(&dep->object) == item->relid &&
			strcmp(mig_rule_name(dep->object.objectId), ViewSelectRuleName) == 0)
			continue;
		if (dep->object.classId == TypeRelationId)
			continue;
		(void) add_item(m, d, dep->object, item, queue);
	}
	/* function bodies naming the view, found by lineage */
	if (item->kind != DEP_FUNCTION)
	{
		ObjectAddress whole;

		ObjectAddressSet(whole, RelationRelationId, item->relid);
		foreach(lc, lineage_dependents(&whole))
		{
			ObjectAddress *obj = lfirst(lc);

			if (obj->classId == ProcedureRelationId && text_body(obj->objectId))
				add_reader(d, obj);
		}
	}
}

static int
compare_depth(const ListCell *a, const ListCell *b)
{
	DepItem    *x = lfirst(a);
	DepItem    *y = lfirst(b);

	return x->depth - y->depth;
}

/*
 * mig_dependents
 *		Everything that reads the columns the migration moves at its swap
 *		(moves: MigRepoint, from the column readers leave to the one they
 *		go to), sorted so that each comes after what it depends on.
 */
MigDependents *
mig_dependents(Migration *m, List *moves, bool back)
{
	MigDependents *d = palloc0(sizeof(MigDependents));
	List	   *queue = NIL;
	ListCell   *lc;
	bool		changed;

	d->moves = moves;
	d->back = back;
	foreach(lc, moves)
	{
		MigRepoint *mv = lfirst(lc);
		ListCell   *dc;

		foreach(dc, mig_depend_on(RelationRelationId, m->relid, mv->from))
			(void) add_item(m, d, ((MigDep *) lfirst(dc))->object, NULL, &queue);
		foreach(dc, lineage_column_readers(m->relid, mv->from))
		{
			LineageReader *r = lfirst(dc);
			Oid			funcid;

			if (r->object.classId == ProcedureRelationId && text_body(r->object.objectId))
				add_reader(d, &r->object);
			else if (r->object.classId != ProcedureRelationId)
			{
				(void) add_item(m, d, r->object, NULL, &queue);
				if (OidIsValid(funcid = trigger_text_reader(&r->object, m->relid, mv->from)))
				{
					ObjectAddress function;

					ObjectAddressSet(function, ProcedureRelationId, funcid);
					add_reader(d, &function);
				}
			}
		}
	}
	while (queue != NIL)
	{
		DepItem    *item = linitial(queue);

		queue = list_delete_first(queue);
		expand_item(m, d, item, &queue);
	}

	/* depth: one more than the deepest of what it needs */
	do
	{
		changed = false;
		foreach(lc, d->items)
		{
			DepItem    *item = lfirst(lc);
			ListCell   *nc;

			foreach(nc, item->needs)
			{
				DepItem    *need = lfirst(nc);

				if (item->depth <= need->depth)
				{
					item->depth = need->depth + 1;
					changed = true;
					if (item->depth > list_length(d->items) + 1)
						elog(ERROR, "dependency loop among the dependents of %s", m->qualname);
				}
			}
		}
	} while (changed);
	list_sort(d->items, compare_depth);
	return d;
}

/* The qualified name of a relation. */
static char *
relation_sql(Oid relid)
{
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
									  get_rel_name(relid));
}

/* A text result of a ruleutils function, without a trailing semicolon. */
static char *
trimmed(Datum value)
{
	char	   *s = TextDatumGetCString(value);
	int			len = strlen(s);

	while (len > 0 && (s[len - 1] == ';' || isspace((unsigned char) s[len - 1])))
		s[--len] = '\0';
	while (isspace((unsigned char) *s))
		s++;
	return s;
}

static MigStep *
object_step(MigPlan *plan, DepItem *item, Oid owner, char *sql, const char *description)
{
	MigStep    *step = mig_step(plan, sql, NULL, description);

	step->role = ROLE_OBJECT_OWNER;
	step->owner = owner;
	step->hidden = !item->visible;
	return step;
}

/*
 * The GRANTs that give an object the privileges of an ACL, each run as its
 * grantor (the owner's first): keyword is "TABLE" or "FUNCTION".  The new
 * object starts with the default privileges, which the owner's REVOKE
 * removes first.
 */
static void
acl_steps(MigPlan *plan, DepItem *item, const char *keyword, const char *target,
		  Datum acldatum, Oid owner)
{
	Acl		   *acl = DatumGetAclP(acldatum);
	AclItem    *items = ACL_DAT(acl);

	object_step(plan, item, owner,
				psprintf("REVOKE ALL ON %s %s FROM PUBLIC, %s", keyword, target,
						 quote_identifier(GetUserNameFromId(owner, false))),
				NULL);
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < ACL_NUM(acl); i++)
		{
			AclMode		privs = ACLITEM_GET_PRIVS(items[i]);
			AclMode		goptions = ACLITEM_GET_GOPTIONS(items[i]);
			const char *grantee;
			StringInfoData plain;
			StringInfoData granting;

			if ((items[i].ai_grantor == owner) != (pass == 0))
				continue;
			grantee = OidIsValid(items[i].ai_grantee)
				? quote_identifier(GetUserNameFromId(items[i].ai_grantee, false)) : "PUBLIC";
			initStringInfo(&plain);
			initStringInfo(&granting);
			for (int bit = 0; bit < N_ACL_RIGHTS; bit++)
			{
				AclMode		right = ((AclMode) 1) << bit;

				if (!(privs & right))
					continue;
				if (goptions & right)
					appendStringInfo(&granting, "%s%s", granting.len ? ", " : "",
									 mig_privilege_name(right));
				else
					appendStringInfo(&plain, "%s%s", plain.len ? ", " : "",
									 mig_privilege_name(right));
			}
			if (plain.len)
				object_step(plan, item, items[i].ai_grantor,
							psprintf("GRANT %s ON %s %s TO %s", plain.data, keyword, target, grantee),
							NULL);
			if (granting.len)
				object_step(plan, item, items[i].ai_grantor,
							psprintf("GRANT %s ON %s %s TO %s WITH GRANT OPTION",
									 granting.data, keyword, target, grantee),
							NULL);
		}
}

/* Comments of a relation and its columns, on target. */
static void
relation_comment_steps(MigPlan *plan, DepItem *item, Oid relid, const char *keyword,
					   const char *target, Oid owner)
{
	char	   *comment = GetComment(relid, RelationRelationId, 0);
	Relation	rel = relation_open(relid, AccessShareLock);
	int			natts = RelationGetDescr(rel)->natts;

	relation_close(rel, AccessShareLock);

	if (comment)
		object_step(plan, item, owner, psprintf("COMMENT ON %s %s IS %s", keyword, target,
												quote_literal_cstr(comment)), NULL);
	for (AttrNumber a = 1; a <= natts; a++)
	{
		comment = GetComment(relid, RelationRelationId, a);
		if (comment)
			object_step(plan, item, owner,
						psprintf("COMMENT ON COLUMN %s.%s IS %s", target,
								 quote_identifier(get_attname(relid, a, false)),
								 quote_literal_cstr(comment)), NULL);
	}
}

/* Privileges of a relation and of its columns, on target. */
static void
relation_acl_steps(MigPlan *plan, DepItem *item, Oid relid, const char *target, Oid owner)
{
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	bool		isnull;
	Datum		acl = SysCacheGetAttr(RELOID, tuple, Anum_pg_class_relacl, &isnull);
	int			natts = ((Form_pg_class) GETSTRUCT(tuple))->relnatts;

	if (!isnull)
		acl_steps(plan, item, "TABLE", target, acl, owner);
	ReleaseSysCache(tuple);
	for (AttrNumber a = 1; a <= natts; a++)
	{
		HeapTuple	att = SearchSysCache2(ATTNUM, ObjectIdGetDatum(relid), Int16GetDatum(a));
		Datum		attacl;

		if (!HeapTupleIsValid(att))
			continue;
		attacl = SysCacheGetAttr(ATTNUM, att, Anum_pg_attribute_attacl, &isnull);
		if (!isnull)
		{
			Acl		   *a_acl = DatumGetAclP(attacl);
			AclItem    *items = ACL_DAT(a_acl);
			const char *col = quote_identifier(NameStr(((Form_pg_attribute) GETSTRUCT(att))->attname));

			for (int i = 0; i < ACL_NUM(a_acl); i++)
			{
				const char *grantee = OidIsValid(items[i].ai_grantee)
					? quote_identifier(GetUserNameFromId(items[i].ai_grantee, false)) : "PUBLIC";

				for (int bit = 0; bit < N_ACL_RIGHTS; bit++)
				{
					AclMode		right = ((AclMode) 1) << bit;

					if (!(ACLITEM_GET_PRIVS(items[i]) & right))
						continue;
					object_step(plan, item, items[i].ai_grantor,
								psprintf("GRANT %s (%s) ON %s TO %s%s", mig_privilege_name(right),
										 col, target, grantee,
										 (ACLITEM_GET_GOPTIONS(items[i]) & right)
										 ? " WITH GRANT OPTION" : ""), NULL);
				}
			}
		}
		ReleaseSysCache(att);
	}
}

/*
 * mig_relation_acl_steps
 *		The GRANTs that give target (a view in place of the relation relid)
 *		the privileges relid has, on it and on its columns, each as its
 *		grantor: a rename's compatibility view (kinds/rename_table.c).
 */
void
mig_relation_acl_steps(MigPlan *plan, Oid relid, const char *target, Oid owner)
{
	DepItem		item;

	memset(&item, 0, sizeof(item));
	item.relid = relid;
	item.visible = true;
	relation_acl_steps(plan, &item, relid, target, owner);
}

/* A view's column defaults. */
static void
view_default_steps(MigPlan *plan, DepItem *item, Oid relid, const char *target, Oid owner)
{
	Relation	rel = relation_open(relid, AccessShareLock);
	TupleConstr *constr = RelationGetDescr(rel)->constr;

	for (int i = 0; constr && i < constr->num_defval; i++)
	{
		AttrNumber	a = constr->defval[i].adnum;

		object_step(plan, item, owner,
					psprintf("ALTER VIEW %s ALTER COLUMN %s SET DEFAULT %s", target,
							 quote_identifier(get_attname(relid, a, false)),
							 TextDatumGetCString(DirectFunctionCall2(pg_get_expr,
																	 CStringGetTextDatum(constr->defval[i].adbin),
																	 ObjectIdGetDatum(relid)))),
					NULL);
	}
	relation_close(rel, AccessShareLock);
}

static void
comment_step(MigPlan *plan, DepItem *item, Oid owner, Oid classid, Oid objid,
			 const char *what)
{
	char	   *comment = GetComment(objid, classid, 0);

	if (comment)
		object_step(plan, item, owner, psprintf("COMMENT ON %s IS %s", what,
												quote_literal_cstr(comment)), NULL);
}

/* The replacement of a materialized view: its name, kept on the item. */
typedef struct MatviewReplacement
{
	DepItem    *item;
	char	   *name;
	List	   *index_names;	/* original, replacement: pairs of char* */
} MatviewReplacement;

static List *replacements = NIL;	/* while one switch's steps are made */

/*
 * mig_dependents_prebuild
 *		Before the lock: each materialized view's replacement, filled, with
 *		its indexes, comments and privileges.
 */
void
mig_dependents_prebuild(Migration *m, MigDependents *d, MigPlan *plan)
{
	ListCell   *lc;

	replacements = NIL;
	foreach(lc, d->items)
	{
		DepItem    *item = lfirst(lc);
		MatviewReplacement *r;
		Oid			nspid;
		char	   *nsp;
		char	   *target;
		char	   *query;
		HeapTuple	tuple;
		bool		populated;
		Oid			owner;
		List	   *taken = NIL;
		ListCell   *ic;
		Relation	rel;
		List	   *indexes;
		char	  **names;
		int			natts;

		if (item->kind != DEP_MATVIEW)
			continue;
		nspid = get_rel_namespace(item->relid);
		nsp = get_namespace_name(nspid);
		tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(item->relid));
		populated = ((Form_pg_class) GETSTRUCT(tuple))->relispopulated;
		owner = ((Form_pg_class) GETSTRUCT(tuple))->relowner;
		natts = ((Form_pg_class) GETSTRUCT(tuple))->relnatts;
		ReleaseSysCache(tuple);

		r = palloc0(sizeof(MatviewReplacement));
		r->item = item;
		r->name = mig_choose_relation_name(nspid, get_rel_name(item->relid), "new", NIL);
		taken = lappend(taken, r->name);
		target = quote_qualified_identifier(nsp, r->name);
		if (m->state == STATE_PLANNED)
			query = trimmed(DirectFunctionCall1(pg_get_viewdef, ObjectIdGetDatum(item->relid)));
		else
			query = mig_query_repointed(item->relid, d->moves);
		object_step(plan, item, owner,
					psprintf("CREATE MATERIALIZED VIEW %s%s%s AS %s WITH %sDATA", target,
							 mig_reloptions_clause(item->relid),
							 mig_tablespace_clause(item->relid), query,
							 populated ? "" : "NO "),
					psprintf("Before the lock: the replacement of %s, %s, reading the column the switch gives the name%s.",
							 item->identity, populated ? "filled" : "not populated, as the original",
							 m->state == STATE_PLANNED ? " (plan() shows the original's definition: the replacement's is printed the same way once the new column exists)" : ""));

		names = palloc0((natts + 1) * sizeof(char *));
		for (AttrNumber a = 1; a <= natts; a++)
			names[a] = get_attname(item->relid, a, true);
		rel = relation_open(item->relid, AccessShareLock);
		indexes = RelationGetIndexList(rel);
		relation_close(rel, AccessShareLock);
		foreach(ic, indexes)
		{
			Oid			idx = lfirst_oid(ic);
			char	   *idxname = get_rel_name(idx);
			char	   *newname = mig_choose_relation_name(nspid, idxname, "new", taken);

			taken = lappend(taken, newname);
			r->index_names = lappend(r->index_names, idxname);
			r->index_names = lappend(r->index_names, newname);
			object_step(plan, item, owner,
						mig_index_sql(idx, newname, target, names, natts, item->relid, false),
						NULL);
			comment_step(plan, item, owner, RelationRelationId, idx,
						 psprintf("INDEX %s", quote_qualified_identifier(nsp, newname)));
		}
		relation_comment_steps(plan, item, item->relid, "MATERIALIZED VIEW", target, owner);
		relation_acl_steps(plan, item, item->relid, target, owner);
		replacements = lappend(replacements, r);
	}
}

/* The relations to lock ACCESS EXCLUSIVE, most dependent first. */
List *
mig_dependents_locks(MigDependents *d)
{
	List	   *relids = NIL;

	for (int i = list_length(d->items) - 1; i >= 0; i--)
	{
		DepItem    *item = list_nth(d->items, i);

		if (OidIsValid(item->relid) && !list_member_oid(relids, item->relid))
			relids = lappend_oid(relids, item->relid);
	}
	return relids;
}

/* Under the lock: every dependent dropped, most dependent first. */
void
mig_dependents_drop(Migration *m, MigDependents *d, MigPlan *plan)
{
	for (int i = list_length(d->items) - 1; i >= 0; i--)
	{
		DepItem    *item = list_nth(d->items, i);
		char	   *sql = NULL;
		Oid			owner = InvalidOid;

		switch (item->kind)
		{
			case DEP_VIEW:
				sql = psprintf("DROP VIEW %s", relation_sql(item->relid));
				owner = mig_rel_owner(item->relid);
				break;
			case DEP_MATVIEW:
				sql = psprintf("DROP MATERIALIZED VIEW %s", relation_sql(item->relid));
				owner = mig_rel_owner(item->relid);
				break;
			case DEP_FUNCTION:
				sql = psprintf("DROP %s %s",
							   get_func_prokind(item->object.objectId) == PROKIND_PROCEDURE
							   ? "PROCEDURE" : "FUNCTION",
							   format_procedure_qualified(item->object.objectId));
				owner = mig_func_owner(item->object.objectId);
				break;
			case DEP_TRIGGER:
				sql = psprintf("DROP TRIGGER %s ON %s",
							   quote_identifier(mig_trigger_name(item->object.objectId)),
							   relation_sql(item->relid));
				owner = mig_rel_owner(item->relid);
				break;
			case DEP_POLICY:
				sql = psprintf("DROP POLICY %s ON %s",
							   quote_identifier(mig_policy_name(item->object.objectId)),
							   relation_sql(item->relid));
				owner = mig_rel_owner(item->relid);
				break;
			case DEP_RULE:
				sql = psprintf("DROP RULE %s ON %s",
							   quote_identifier(mig_rule_name(item->object.objectId)),
							   relation_sql(item->relid));
				owner = mig_rel_owner(item->relid);
				break;
			case DEP_STATISTICS:
				sql = psprintf("DROP STATISTICS %s",
							   mig_statistics_name(item->object.objectId, &owner));
				break;
			case DEP_GENERATED:
				break;			/* kept: it only stops being generated */
		}
		if (sql)
			object_step(plan, item, owner, sql,
						psprintf("%s %s goes for a moment.", dep_kind_names[item->kind],
								 item->identity));
	}
}

/* The definition of a policy, from its catalog row. */
static char *
policy_sql(Oid policyid)
{
	Relation	rel = table_open(PolicyRelationId, AccessShareLock);
	HeapTuple	tuple = get_catalog_object_by_oid(rel, Anum_pg_policy_oid, policyid);
	Form_pg_policy pol = (Form_pg_policy) GETSTRUCT(tuple);
	StringInfoData buf;
	bool		isnull;
	Datum		datum;
	ArrayType  *roles;
	Oid		   *roleids;
	int			nroles;
	const char *cmd;

	initStringInfo(&buf);
	switch (pol->polcmd)
	{
		case 'r':
			cmd = "SELECT";
			break;
		case 'a':
			cmd = "INSERT";
			break;
		case 'w':
			cmd = "UPDATE";
			break;
		case 'd':
			cmd = "DELETE";
			break;
		default:
			cmd = "ALL";
			break;
	}
	appendStringInfo(&buf, "CREATE POLICY %s ON %s AS %s FOR %s TO ",
					 quote_identifier(NameStr(pol->polname)), relation_sql(pol->polrelid),
					 pol->polpermissive ? "PERMISSIVE" : "RESTRICTIVE", cmd);
	datum = heap_getattr(tuple, Anum_pg_policy_polroles, RelationGetDescr(rel), &isnull);
	roles = DatumGetArrayTypeP(datum);
	roleids = (Oid *) ARR_DATA_PTR(roles);
	nroles = ARR_DIMS(roles)[0];
	for (int i = 0; i < nroles; i++)
		appendStringInfo(&buf, "%s%s", i ? ", " : "",
						 roleids[i] == ACL_ID_PUBLIC ? "PUBLIC"
						 : quote_identifier(GetUserNameFromId(roleids[i], false)));
	datum = heap_getattr(tuple, Anum_pg_policy_polqual, RelationGetDescr(rel), &isnull);
	if (!isnull)
		appendStringInfo(&buf, " USING (%s)",
						 TextDatumGetCString(DirectFunctionCall2(pg_get_expr, datum,
																 ObjectIdGetDatum(pol->polrelid))));
	datum = heap_getattr(tuple, Anum_pg_policy_polwithcheck, RelationGetDescr(rel), &isnull);
	if (!isnull)
		appendStringInfo(&buf, " WITH CHECK (%s)",
						 TextDatumGetCString(DirectFunctionCall2(pg_get_expr, datum,
																 ObjectIdGetDatum(pol->polrelid))));
	table_close(rel, AccessShareLock);
	return buf.data;
}

static const char *
enable_keyword(char state)
{
	switch (state)
	{
		case TRIGGER_DISABLED:
			return "DISABLE";
		case TRIGGER_FIRES_ON_REPLICA:
			return "ENABLE REPLICA";
		case TRIGGER_FIRES_ALWAYS:
			return "ENABLE ALWAYS";
		default:
			return NULL;
	}
}

/* A generated column becomes a plain one kept current by a trigger. */
static void
generated_steps(Migration *m, MigPlan *plan, DepItem *item)
{
	AttrNumber	attnum = item->object.objectSubId;
	char	   *col = get_attname(m->relid, attnum, false);
	Relation	rel = relation_open(m->relid, AccessShareLock);
	TupleConstr *constr = RelationGetDescr(rel)->constr;
	Node	   *expr = NULL;
	char	   *function = mig_choose_function_name(psprintf("%s_%s", m->relname, col), "generated");
	char	   *trigger = mig_prefixed_name("~schemaguard_generated_", col, 0);
	MigStep    *step;

	for (int i = 0; constr && i < constr->num_defval; i++)
		if (constr->defval[i].adnum == attnum)
			expr = stringToNode(constr->defval[i].adbin);
	relation_close(rel, AccessShareLock);
	if (expr == NULL)
		elog(ERROR, "generated column %s has no expression", item->identity);

	step = mig_step(plan, psprintf("ALTER TABLE %s ALTER COLUMN %s DROP EXPRESSION",
								   m->qualname, quote_identifier(col)),
					NULL,
					psprintf("Generated column %s is computed from a column that moves; PostgreSQL cannot point a stored generated column at another column without rewriting the table. It becomes a plain column (every stored value kept) computed by a trigger from the same expression. Alternative: after contract, ALTER TABLE %s DROP COLUMN %s, ADD COLUMN %s ... GENERATED ALWAYS AS (...) STORED, which rewrites the table under the guard's judgement.",
							 item->identity, m->qualname, quote_identifier(col),
							 quote_identifier(col)));
	step->reversible = false;
	step = mig_step(plan, psprintf("CREATE OR REPLACE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS %s",
								   function,
								   mig_dollar_quote(psprintf("\nBEGIN\n    new.%s := %s;\n    RETURN new;\nEND\n",
															 quote_identifier(col),
															 mig_deparse_expr(m, expr, "new")),
													"gen")),
					NULL, NULL);
	step->role = ROLE_EXTENSION_OWNER;
	mig_step(plan, psprintf("CREATE TRIGGER %s BEFORE INSERT OR UPDATE ON %s FOR EACH ROW EXECUTE FUNCTION %s()",
							quote_identifier(trigger), m->qualname, function),
			 NULL, psprintf("Computes %s after the table's own BEFORE triggers, as PostgreSQL computes a generated column.",
							quote_identifier(col)));
}

/*
 * mig_dependents_create
 *		Under the lock, after the swap: every dependent created again from
 *		the definition deparsed before the swap, what it depends on first.
 */
void
mig_dependents_create(Migration *m, MigDependents *d, MigPlan *plan)
{
	ListCell   *lc;

	foreach(lc, d->items)
	{
		DepItem    *item = lfirst(lc);
		Oid			owner;
		char	   *target;

		switch (item->kind)
		{
			case DEP_VIEW:
				owner = mig_rel_owner(item->relid);
				target = relation_sql(item->relid);
				object_step(plan, item, owner,
							psprintf("CREATE VIEW %s%s AS %s", target,
									 mig_reloptions_clause(item->relid),
									 trimmed(DirectFunctionCall1(pg_get_viewdef,
																 ObjectIdGetDatum(item->relid)))),
							psprintf("View %s again, from its definition as deparsed before the swap: it reads the column by the name it now has.",
									 item->identity));
				view_default_steps(plan, item, item->relid, target, owner);
				relation_comment_steps(plan, item, item->relid, "VIEW", target, owner);
				relation_acl_steps(plan, item, item->relid, target, owner);
				break;
			case DEP_MATVIEW:
				{
					ListCell   *rc;
					MatviewReplacement *r = NULL;
					const char *nsp = quote_identifier(get_namespace_name(get_rel_namespace(item->relid)));

					foreach(rc, replacements)
						if (((MatviewReplacement *) lfirst(rc))->item == item)
							r = lfirst(rc);
					if (r == NULL)
						elog(ERROR, "materialized view %s has no replacement", item->identity);
					owner = mig_rel_owner(item->relid);
					object_step(plan, item, owner,
								psprintf("ALTER MATERIALIZED VIEW %s.%s RENAME TO %s", nsp,
										 quote_identifier(r->name),
										 quote_identifier(get_rel_name(item->relid))),
								psprintf("The replacement built before the lock is %s now.",
										 item->identity));
					for (ListCell *ic = list_head(r->index_names); ic; ic = lnext(r->index_names, ic))
					{
						char	   *original = lfirst(ic);

						ic = lnext(r->index_names, ic);
						object_step(plan, item, owner,
									psprintf("ALTER INDEX %s.%s RENAME TO %s", nsp,
											 quote_identifier((char *) lfirst(ic)),
											 quote_identifier(original)), NULL);
					}
					break;
				}
			case DEP_FUNCTION:
				{
					HeapTuple	tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(item->object.objectId));
					bool		isnull;
					Datum		acl;
					char	   *signature = format_procedure_qualified(item->object.objectId);
					const char *keyword = get_func_prokind(item->object.objectId) == PROKIND_PROCEDURE
						? "PROCEDURE" : "FUNCTION";

					owner = mig_func_owner(item->object.objectId);
					object_step(plan, item, owner,
								trimmed(DirectFunctionCall1(pg_get_functiondef,
															ObjectIdGetDatum(item->object.objectId))),
								psprintf("Function %s again, from its definition as deparsed before the swap.",
										 item->identity));
					comment_step(plan, item, owner, ProcedureRelationId, item->object.objectId,
								 psprintf("%s %s", keyword, signature));
					acl = SysCacheGetAttr(PROCOID, tuple, Anum_pg_proc_proacl, &isnull);
					if (!isnull)
						acl_steps(plan, item, keyword, signature, acl, owner);
					ReleaseSysCache(tuple);
					break;
				}
			case DEP_TRIGGER:
				{
					Relation	rel = table_open(TriggerRelationId, AccessShareLock);
					HeapTuple	tuple = get_catalog_object_by_oid(rel, Anum_pg_trigger_oid,
																  item->object.objectId);
					char		enabled = ((Form_pg_trigger) GETSTRUCT(tuple))->tgenabled;
					char	   *name = pstrdup(NameStr(((Form_pg_trigger) GETSTRUCT(tuple))->tgname));

					table_close(rel, AccessShareLock);
					owner = mig_rel_owner(item->relid);
					object_step(plan, item, owner,
								trimmed(DirectFunctionCall1(pg_get_triggerdef,
															ObjectIdGetDatum(item->object.objectId))),
								psprintf("Trigger %s again (its UPDATE OF list and WHEN as deparsed before the swap).",
										 item->identity));
					if (enable_keyword(enabled))
						object_step(plan, item, owner,
									psprintf("ALTER TABLE %s %s TRIGGER %s", relation_sql(item->relid),
											 enable_keyword(enabled), quote_identifier(name)), NULL);
					comment_step(plan, item, owner, TriggerRelationId, item->object.objectId,
								 psprintf("TRIGGER %s ON %s", quote_identifier(name),
										  relation_sql(item->relid)));
					break;
				}
			case DEP_POLICY:
				owner = mig_rel_owner(item->relid);
				object_step(plan, item, owner, policy_sql(item->object.objectId),
							psprintf("Policy %s again.", item->identity));
				comment_step(plan, item, owner, PolicyRelationId, item->object.objectId,
							 psprintf("POLICY %s ON %s",
									  quote_identifier(mig_policy_name(item->object.objectId)),
									  relation_sql(item->relid)));
				break;
			case DEP_RULE:
				owner = mig_rel_owner(item->relid);
				object_step(plan, item, owner,
							trimmed(DirectFunctionCall1(pg_get_ruledef,
														ObjectIdGetDatum(item->object.objectId))),
							psprintf("Rule %s again.", item->identity));
				comment_step(plan, item, owner, RewriteRelationId, item->object.objectId,
							 psprintf("RULE %s ON %s",
									  quote_identifier(mig_rule_name(item->object.objectId)),
									  relation_sql(item->relid)));
				break;
			case DEP_STATISTICS:
				{
					HeapTuple	tuple = SearchSysCache1(STATEXTOID, ObjectIdGetDatum(item->object.objectId));
					Form_pg_statistic_ext stx = (Form_pg_statistic_ext) GETSTRUCT(tuple);
					char	   *name = mig_statistics_name(item->object.objectId, NULL);
					int			target_stat = stx->stxstattarget;

					owner = stx->stxowner;
					ReleaseSysCache(tuple);
					object_step(plan, item, owner,
								pg_get_statisticsobjdef_string(item->object.objectId),
								psprintf("Statistics object %s again.", item->identity));
					if (target_stat >= 0)
						object_step(plan, item, owner,
									psprintf("ALTER STATISTICS %s SET STATISTICS %d", name, target_stat),
									NULL);
					comment_step(plan, item, owner, StatisticExtRelationId, item->object.objectId,
								 psprintf("STATISTICS %s", name));
					break;
				}
			case DEP_GENERATED:
				generated_steps(m, plan, item);
				break;
		}
	}
}

/* The function bodies that name a column that moves: listed, analyzed again. */
void
mig_dependents_readers(Migration *m, MigDependents *d, MigPlan *plan)
{
	ListCell   *lc;

	foreach(lc, d->reader_names)
	{
		MigStep    *step = mig_step(plan, NULL, NULL,
									psprintf("Function %s names the column in its body, which PostgreSQL binds by name when it runs: it reads the column that has the name from the switch on. Its lineage is analyzed again.",
											 (char *) lfirst(lc)));

		step->how = STEP_SHOWN;
	}
}

/*
 * mig_dependents_name_readers
 *		For a change whose readers stay on their column (a rename): the
 *		function bodies that name column `attnum' by `name', which reaches
 *		the copy from the switch on, listed (and analyzed again with the
 *		others).
 */
void
mig_dependents_name_readers(Migration *m, MigDependents *d, MigPlan *plan,
							AttrNumber attnum, const char *name, const char *newname)
{
	ListCell   *lc;
	List	   *listed = NIL;

	foreach(lc, lineage_column_readers(m->relid, attnum))
	{
		LineageReader *r = lfirst(lc);
		ObjectAddress whole;
		MigStep    *step;
		Oid			funcid;

		if (r->object.classId == ProcedureRelationId && text_body(r->object.objectId))
			funcid = r->object.objectId;
		else if (!OidIsValid(funcid = trigger_text_reader(&r->object, m->relid, attnum)))
			continue;
		/* a trigger function used by several triggers: listed once */
		if (list_member_oid(listed, funcid))
			continue;
		listed = lappend_oid(listed, funcid);
		ObjectAddressSet(whole, ProcedureRelationId, funcid);
		add_reader(d, &whole);
		step = mig_step(plan, NULL, NULL,
						psprintf("Function %s names \"%s\" in its body: from the switch on it reads and writes the copy that answers to that name, kept equal until contract, when it goes. Change the body to \"%s\" before contract.",
								 getObjectIdentity(&whole, false), name, newname));
		step->how = STEP_SHOWN;
	}
}

/*
 * mig_text_body_readers
 *		The functions with a body kept as text (SQL, PL/pgSQL) that read
 *		column attnum of the table, themselves or as a trigger's function:
 *		their oids, each once.
 */
List *
mig_text_body_readers(Migration *m, AttrNumber attnum)
{
	ListCell   *lc;
	List	   *result = NIL;

	foreach(lc, lineage_column_readers(m->relid, attnum))
	{
		LineageReader *r = lfirst(lc);
		Oid			funcid;

		if (r->object.classId == ProcedureRelationId && text_body(r->object.objectId))
			funcid = r->object.objectId;
		else if (!OidIsValid(funcid = trigger_text_reader(&r->object, m->relid, attnum)))
			continue;
		result = list_append_unique_oid(result, funcid);
	}
	return result;
}

List *
mig_dependents_reader_objects(MigDependents *d)
{
	return d->readers;
}

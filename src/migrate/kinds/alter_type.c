/*-------------------------------------------------------------------------
 *
 * alter_type.c
 *	  Change kind alter_type: ALTER COLUMN ... TYPE ... [USING ...] that
 *	  rewrites the table (the guard's own prediction decides, predict.h).
 *
 * expand   a new column of the new type beside the old one, empty
 *          ("_sg_new_<col>"); the old column's CHECK constraints, NOT NULL
 *          and foreign keys copied onto it NOT VALID; its indexes are built
 *          again on it CONCURRENTLY by backfill
 * sync     before switch the old column is written by the applications and
 *          the new one follows (converted with USING, or the cast); after,
 *          the other way round (the cast back), so that rollback finds the
 *          old column current
 * backfill new = conversion of old, where it differs
 * verify   every row: new = conversion of old
 * switch   the names swap (old -> "_sg_old_<col>", new -> <col>), the
 *          default, NOT NULL, comment, column privileges, statistics target
 *          and owned sequences move over, the copied indexes and constraints
 *          take the original names; every dependent that reads the column
 *          is re-created on the new one (dependents.c)
 * contract the old column is dropped (its indexes and constraints with it)
 * rollback the new column is dropped (after a switch, once switched back)
 *
 * Not covered (plan() says so): a column of the primary key, one a foreign
 * key of another table references, one in an exclusion constraint, an
 * identity or generated column.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/dependency.h"
#include "catalog/pg_attrdef.h"
#include "catalog/pg_class.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_index.h"
#include "catalog/namespace.h"
#include "miscadmin.h"
#include "commands/comment.h"
#include "nodes/makefuncs.h"
#include "parser/parse_coerce.h"
#include "parser/parse_collate.h"
#include "parser/parse_expr.h"
#include "parser/parse_relation.h"
#include "parser/parse_type.h"
#include "access/relation.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"

#include "guard/predict.h"
#include "migrate/internal.h"

/* Refuse a column this kind does not cover. */
static void
check_column(Migration *m, AttrNumber attnum, const char *colname)
{
	HeapTuple	tuple = SearchSysCache2(ATTNUM, ObjectIdGetDatum(m->relid),
										Int16GetDatum(attnum));
	Form_pg_attribute att = (Form_pg_attribute) GETSTRUCT(tuple);
	const char *why = NULL;
	ListCell   *lc;

	if (att->attidentity)
		why = "it is an identity column";
	else if (att->attgenerated)
		why = "it is a generated column";
	ReleaseSysCache(tuple);

	foreach(lc, why ? NIL : mig_depend_on(RelationRelationId, m->relid, attnum))
	{
		MigDep	   *d = lfirst(lc);
		HeapTuple	con;
		Form_pg_constraint form;

		if (d->object.classId != ConstraintRelationId)
			continue;
		con = SearchSysCache1(CONSTROID, ObjectIdGetDatum(d->object.objectId));
		if (!HeapTupleIsValid(con))
			continue;
		form = (Form_pg_constraint) GETSTRUCT(con);
		if (form->contype == CONSTRAINT_PRIMARY)
			why = psprintf("it is in the primary key %s", quote_identifier(NameStr(form->conname)));
		else if (form->contype == CONSTRAINT_EXCLUSION)
			why = psprintf("it is in the exclusion constraint %s", quote_identifier(NameStr(form->conname)));
		else if (form->contype == CONSTRAINT_FOREIGN && form->confrelid == m->relid &&
				 form->conrelid != m->relid)
			why = psprintf("the foreign key %s of table %s references it",
						   quote_identifier(NameStr(form->conname)),
						   get_rel_name(form->conrelid));
		ReleaseSysCache(con);
		if (why)
			break;
	}
	if (why)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("a migration cannot change the type of column \"%s\" of %s",
						colname, m->qualname),
				 errdetail("Not covered by this release: %s.", why)));
}

static MigChange *
recognize(Migration *m, Node *stmt, const char *source)
{
	AlterTableCmd *cmd = (AlterTableCmd *) stmt;
	ColumnDef  *def;
	AttrNumber	attnum;
	MigChange  *c;
	int			nestlevel;

	if (!IsA(stmt, AlterTableCmd) || cmd->subtype != AT_AlterColumnType)
		return NULL;
	def = castNode(ColumnDef, cmd->def);
	attnum = mig_user_column(m, cmd->name, "alter", false);
	if (!guard_predict_type_change_rewrites(m->relid, cmd, source))
		return NULL;			/* no rewrite: not a migration (direct.c) */
	check_column(m, attnum, cmd->name);

	c = mig_new_change(m, &mig_kind_alter_type, cmd->name);
	c->attnum = attnum;
	get_atttypetypmodcoll(m->relid, attnum, &c->oldtype, &c->oldtypmod, &c->oldcoll);
	c->old_notnull = mig_attnotnull(m->relid, attnum);
	typenameTypeIdAndMod(NULL, def->typeName, &c->newtype, &c->newtypmod);
	c->newcoll = def->collClause
		? LookupCollation(NULL, def->collClause->collname, -1)
		: get_typcollation(c->newtype);
	if (def->raw_default)
	{
		ParseState *pstate = make_parsestate(NULL);
		Relation	rel = relation_open(m->relid, AccessShareLock);
		ParseNamespaceItem *nsitem;
		Node	   *expr;

		pstate->p_sourcetext = source;
		nsitem = addRangeTableEntryForRelation(pstate, rel, AccessShareLock,
											   NULL, false, true);
		addNSItemToQuery(pstate, nsitem, false, true, true);
		expr = transformExpr(pstate, def->raw_default, EXPR_KIND_ALTER_COL_TRANSFORM);
		assign_expr_collations(pstate, expr);
		relation_close(rel, NoLock);
		c->using_sql = (char *) expr;	/* deparsed below */
	}

	/* names and SQL text under the engine's search_path: qualified */
	nestlevel = NewGUCNestLevel();
	mig_search_path_pinned();
	c->type_sql = format_type_with_typemod(c->newtype, c->newtypmod);
	if (def->collClause)
		c->collation_sql = generate_collation_name(c->newcoll);
	if (c->using_sql)
		c->using_sql = mig_deparse_expr(m, (Node *) c->using_sql, NULL);
	AtEOXact_GUC(true, nestlevel);

	c->newcol = mig_choose_column_name(m, c->colname, "new");
	c->oldcol = mig_choose_column_name(m, c->colname, "old");
	c->new_attnum = ++m->natts;
	return c;
}

static AttrNumber
column_or_error(Migration *m, const char *name)
{
	AttrNumber	attnum = get_attnum(m->relid, name);

	if (attnum == InvalidAttrNumber)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("column \"%s\" of %s, which migration " INT64_FORMAT " needs, does not exist",
						name, m->qualname, m->id),
				 errdetail("It was renamed or dropped outside the migration."),
				 errhint("Rename it back, or roll the migration back by hand.")));
	return attnum;
}

static void
resolve(Migration *m, MigChange *c)
{
	switch (m->state)
	{
		case STATE_PLANNED:
			return;				/* recognize() set it all */
		case STATE_EXPANDED:
		case STATE_BACKFILLED:
		case STATE_VERIFIED:
			c->attnum = column_or_error(m, c->colname);
			c->new_attnum = column_or_error(m, c->newcol);
			break;
		case STATE_SWITCHED:
			c->attnum = column_or_error(m, c->oldcol);
			c->new_attnum = column_or_error(m, c->colname);
			break;
		case STATE_CONTRACTED:
			c->attnum = 0;
			c->new_attnum = get_attnum(m->relid, c->colname);
			break;
		case STATE_ROLLED_BACK:
			c->attnum = get_attnum(m->relid, c->colname);
			c->new_attnum = 0;
			break;
	}
	if (c->attnum > 0)
	{
		get_atttypetypmodcoll(m->relid, c->attnum, &c->oldtype, &c->oldtypmod, &c->oldcoll);
		c->old_notnull = mig_attnotnull(m->relid, c->attnum);
	}
	if (c->new_attnum > 0)
		get_atttypetypmodcoll(m->relid, c->new_attnum, &c->newtype, &c->newtypmod, &c->newcoll);
	else
		typenameTypeIdAndMod(NULL, typeStringToTypeName(c->type_sql), &c->newtype, &c->newtypmod);
}

static List *
taken_names(Migration *m)
{
	List	   *taken = NIL;
	ListCell   *lc;

	foreach(lc, m->objects)
		taken = lappend(taken, ((MigObject *) lfirst(lc))->created);
	return taken;
}

/* The columns of a constraint's key, by name, with one attnum renamed. */
static char *
key_columns(Oid relid, Datum keys, AttrNumber from, const char *to)
{
	Datum	   *elems;
	int			n;
	StringInfoData buf;

	initStringInfo(&buf);
	deconstruct_array(DatumGetArrayTypeP(keys), INT2OID, 2, true, TYPALIGN_SHORT,
					  &elems, NULL, &n);
	for (int i = 0; i < n; i++)
	{
		AttrNumber	a = DatumGetInt16(elems[i]);

		appendStringInfo(&buf, "%s%s", i ? ", " : "",
						 quote_identifier(a == from ? to : get_attname(relid, a, false)));
	}
	return buf.data;
}

static const char *
fk_action(char action)
{
	switch (action)
	{
		case FKCONSTR_ACTION_RESTRICT:
			return "RESTRICT";
		case FKCONSTR_ACTION_CASCADE:
			return "CASCADE";
		case FKCONSTR_ACTION_SETNULL:
			return "SET NULL";
		case FKCONSTR_ACTION_SETDEFAULT:
			return "SET DEFAULT";
		default:
			return "NO ACTION";
	}
}

/* ALTER TABLE ... ADD CONSTRAINT for a copy of a CHECK or foreign key. */
static char *
constraint_copy_sql(Migration *m, MigChange *c, HeapTuple tuple, const char *name)
{
	Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tuple);
	bool		isnull;
	Datum		datum;

	if (con->contype == CONSTRAINT_CHECK)
	{
		datum = SysCacheGetAttr(CONSTROID, tuple, Anum_pg_constraint_conbin, &isnull);
		return psprintf("ALTER TABLE %s ADD CONSTRAINT %s CHECK (%s)%s NOT VALID",
						m->qualname, quote_identifier(name),
						mig_deparse_expr_renamed(m, stringToNode(TextDatumGetCString(datum)),
												 c->attnum, c->new_attnum),
						con->connoinherit ? " NO INHERIT" : "");
	}
	else
	{
		StringInfoData buf;
		char	   *refname = quote_qualified_identifier(get_namespace_name(get_rel_namespace(con->confrelid)),
														 get_rel_name(con->confrelid));

		initStringInfo(&buf);
		datum = SysCacheGetAttr(CONSTROID, tuple, Anum_pg_constraint_conkey, &isnull);
		appendStringInfo(&buf, "ALTER TABLE %s ADD CONSTRAINT %s FOREIGN KEY (%s)",
						 m->qualname, quote_identifier(name),
						 key_columns(m->relid, datum, c->attnum, c->newcol));
		datum = SysCacheGetAttr(CONSTROID, tuple, Anum_pg_constraint_confkey, &isnull);
		appendStringInfo(&buf, " REFERENCES %s (%s)", refname,
						 key_columns(con->confrelid, datum, 0, NULL));
		if (con->confmatchtype == FKCONSTR_MATCH_FULL)
			appendStringInfoString(&buf, " MATCH FULL");
		appendStringInfo(&buf, " ON UPDATE %s ON DELETE %s", fk_action(con->confupdtype),
						 fk_action(con->confdeltype));
		datum = SysCacheGetAttr(CONSTROID, tuple, Anum_pg_constraint_confdelsetcols, &isnull);
		if (!isnull)
			appendStringInfo(&buf, " (%s)", key_columns(m->relid, datum, c->attnum, c->newcol));
		if (con->condeferrable)
			appendStringInfo(&buf, " DEFERRABLE%s", con->condeferred ? " INITIALLY DEFERRED" : "");
		appendStringInfoString(&buf, " NOT VALID");
		return buf.data;
	}
}

/*
 * An index or constraint on the column that also uses another column this
 * migration changes the type of cannot be copied one column at a time.
 */
static void
check_single_column(Migration *m, MigChange *c, const ObjectAddress *object)
{
	ListCell   *lc;

	foreach(lc, m->changes)
	{
		MigChange  *other = lfirst(lc);
		ListCell   *dc;

		if (other == c || other->kind != &mig_kind_alter_type)
			continue;
		foreach(dc, mig_depend_on(RelationRelationId, m->relid, other->attnum))
		{
			MigDep	   *d = lfirst(dc);

			if (d->object.classId == object->classId && d->object.objectId == object->objectId)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("a migration cannot change the types of columns \"%s\" and \"%s\" of %s together",
								c->colname, other->colname, m->qualname),
						 errdetail("%s uses both.", getObjectDescription(object, false)),
						 errhint("Change them in two migrations, one after the other.")));
		}
	}
}

/*
 * expand: the new column, and beside each index and constraint of the old
 * column one on the new (constraints NOT VALID now, indexes by backfill).
 */
static void
expand(Migration *m, MigChange *c, MigPlan *plan)
{
	ListCell   *lc;
	char	  **names;
	Oid			nspid = get_rel_namespace(m->relid);

	mig_step(plan,
			 psprintf("ALTER TABLE %s ADD COLUMN %s %s%s%s", m->qualname,
					  quote_identifier(c->newcol), c->type_sql,
					  c->collation_sql ? " COLLATE " : "",
					  c->collation_sql ? c->collation_sql : ""),
			 mig_lock_on(m, "ACCESS EXCLUSIVE"),
			 psprintf("The new column of type %s beside \"%s\", empty: no row is written.",
					  c->type_sql, c->colname));

	names = mig_column_names(m);
	names[c->attnum] = c->newcol;
	foreach(lc, mig_depend_on(RelationRelationId, m->relid, c->attnum))
	{
		MigDep	   *d = lfirst(lc);

		if (d->object.classId == ConstraintRelationId ||
			(d->object.classId == RelationRelationId &&
			 get_rel_relkind(d->object.objectId) == RELKIND_INDEX))
			check_single_column(m, c, &d->object);
		if (d->object.classId == ConstraintRelationId)
		{
			HeapTuple	tuple = SearchSysCache1(CONSTROID, ObjectIdGetDatum(d->object.objectId));
			Form_pg_constraint con;
			char	   *name;

			if (!HeapTupleIsValid(tuple))
				continue;
			con = (Form_pg_constraint) GETSTRUCT(tuple);
			if (con->conrelid == m->relid &&
				(con->contype == CONSTRAINT_CHECK || con->contype == CONSTRAINT_FOREIGN))
			{
				name = mig_choose_constraint_name(m, NameStr(con->conname), "new", taken_names(m));
				mig_new_object(m, c, con->contype == CONSTRAINT_CHECK ? "check" : "foreign_key",
							   NameStr(con->conname), name,
							   constraint_copy_sql(m, c, tuple, name));
			}
			else if (con->conrelid == m->relid && con->contype == CONSTRAINT_UNIQUE)
			{
				name = mig_choose_relation_name(nspid, NameStr(con->conname), "new", taken_names(m));
				mig_new_object(m, c, "unique", NameStr(con->conname), name,
							   mig_index_sql(con->conindid, name, m->qualname, names,
											 m->natts, m->relid, true));
			}
			ReleaseSysCache(tuple);
		}
		else if (d->object.classId == RelationRelationId &&
				 get_rel_relkind(d->object.objectId) == RELKIND_INDEX &&
				 !OidIsValid(get_index_constraint(d->object.objectId)))
		{
			char	   *idxname = get_rel_name(d->object.objectId);
			char	   *name = mig_choose_relation_name(nspid, idxname, "new", taken_names(m));

			mig_new_object(m, c, "index", idxname, name,
						   mig_index_sql(d->object.objectId, name, m->qualname, names,
										 m->natts, m->relid, true));
		}
	}
	if (c->old_notnull)
	{
		char	   *name = mig_choose_constraint_name(m, c->colname, "not_null", taken_names(m));

		mig_new_object(m, c, "not_null", NULL, name,
					   psprintf("ALTER TABLE %s ADD CONSTRAINT %s CHECK (%s IS NOT NULL) NOT VALID",
								m->qualname, quote_identifier(name), quote_identifier(c->newcol)));
	}
}

/* The conversion of the old column's value into the new type. */
static Node *
conversion(Migration *m, MigChange *c)
{
	if (c->using_sql)
		return mig_transform_using(m, c);
	return mig_coerce(mig_column_var(m, c->attnum), c->newtype, c->newtypmod, InvalidOid);
}

/* The new column's value converted back into the old type. */
static Node *
conversion_back(Migration *m, MigChange *c)
{
	return mig_coerce(mig_column_var(m, c->new_attnum), c->oldtype, c->oldtypmod, InvalidOid);
}

static bool
kept_in_step(Migration *m, MigChange *c, MigSyncPair *pair)
{
	switch (m->state)
	{
		case STATE_PLANNED:
		case STATE_EXPANDED:
		case STATE_BACKFILLED:
		case STATE_VERIFIED:
			pair->p = c->attnum;
			pair->s = c->new_attnum;
			pair->f = conversion(m, c);
			pair->g = conversion_back(m, c);
			return true;
		case STATE_SWITCHED:
			pair->p = c->new_attnum;
			pair->s = c->attnum;
			pair->f = conversion_back(m, c);
			pair->g = conversion(m, c);
			return true;
		default:
			return false;
	}
}

static void
backfill(Migration *m, MigChange *c, const char *alias, StringInfo set, StringInfo todo)
{
	char	   *value = mig_deparse_expr(m, conversion(m, c), alias);

	appendStringInfo(set, "%s%s = %s", set->len ? ", " : "",
					 quote_identifier(c->newcol), value);
	appendStringInfo(todo, "%s%s.%s IS DISTINCT FROM %s", todo->len ? " OR " : "",
					 quote_identifier(alias), quote_identifier(c->newcol), value);
}

static void
verify(Migration *m, MigChange *c, const char *alias, StringInfo wrong)
{
	appendStringInfo(wrong, "%s%s.%s IS DISTINCT FROM %s", wrong->len ? " OR " : "",
					 quote_identifier(alias), quote_identifier(c->newcol),
					 mig_deparse_expr(m, conversion(m, c), alias));
}

static char *
rename_column_sql(Migration *m, const char *from, const char *to)
{
	return psprintf("ALTER TABLE %s RENAME COLUMN %s TO %s", m->qualname,
					quote_identifier(from), quote_identifier(to));
}

/* What moves with the column's name: default, owned sequences, and more. */
static void
move_column_properties(Migration *m, MigChange *c, MigPlan *plan, bool back)
{
	AttrNumber	from = back ? c->new_attnum : c->attnum;
	const char *from_name = back ? c->newcol : c->oldcol;	/* after the renames */
	HeapTuple	tuple;
	ListCell   *lc;

	/* the default */
	foreach(lc, mig_depend_on(RelationRelationId, m->relid, from))
	{
		MigDep	   *d = lfirst(lc);

		if (d->object.classId == AttrDefaultRelationId)
		{
			Node	   *expr = mig_column_default(m->relid, from);

			if (expr == NULL)
				continue;
			mig_step(plan, psprintf("ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT", m->qualname,
									quote_identifier(from_name)),
					 NULL, "The default moves to the column that now has the name.");
			mig_step(plan, psprintf("ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s", m->qualname,
									quote_identifier(c->colname),
									mig_deparse_expr(m, expr, NULL)),
					 NULL, NULL);
		}
		else if (d->object.classId == RelationRelationId && d->deptype == DEPENDENCY_AUTO &&
				 get_rel_relkind(d->object.objectId) == RELKIND_SEQUENCE)
			mig_step(plan, psprintf("ALTER SEQUENCE %s OWNED BY %s.%s",
									quote_qualified_identifier(get_namespace_name(get_rel_namespace(d->object.objectId)),
															   get_rel_name(d->object.objectId)),
									m->qualname, quote_identifier(c->colname)),
					 NULL, "The sequence the column owns goes with its name.");
	}
	if (back)
		return;					/* the old column kept the rest all along */

	/* NOT NULL, proven by the constraint validated before the lock */
	foreach(lc, m->objects)
	{
		MigObject  *o = lfirst(lc);

		if (o->change == c->ordinal && strcmp(o->kind, "not_null") == 0)
		{
			mig_step(plan, psprintf("ALTER TABLE %s ALTER COLUMN %s SET NOT NULL", m->qualname,
									quote_identifier(c->colname)),
					 NULL, psprintf("Without a scan: the validated constraint %s proves it.",
									quote_identifier(o->created)));
			mig_step(plan, psprintf("ALTER TABLE %s DROP CONSTRAINT %s", m->qualname,
									quote_identifier(o->created)),
					 NULL, NULL);
		}
	}

	/* comment, privileges, statistics target, options of the column */
	tuple = SearchSysCache2(ATTNUM, ObjectIdGetDatum(m->relid), Int16GetDatum(from));
	if (HeapTupleIsValid(tuple))
	{
		Form_pg_attribute att = (Form_pg_attribute) GETSTRUCT(tuple);
		char	   *comment = GetComment(m->relid, RelationRelationId, from);
		bool		isnull;
		Datum		acl = SysCacheGetAttr(ATTNUM, tuple, Anum_pg_attribute_attacl, &isnull);
		Datum		options;

		if (comment)
			mig_step(plan, psprintf("COMMENT ON COLUMN %s.%s IS %s", m->qualname,
									quote_identifier(c->colname), quote_literal_cstr(comment)),
					 NULL, NULL);
		if (!isnull)
		{
			Acl		   *a = DatumGetAclP(acl);
			AclItem    *items = ACL_DAT(a);

			for (int i = 0; i < ACL_NUM(a); i++)
			{
				AclMode		privs = ACLITEM_GET_PRIVS(items[i]);
				AclMode		goptions = ACLITEM_GET_GOPTIONS(items[i]);
				const char *grantee = OidIsValid(items[i].ai_grantee)
					? quote_identifier(GetUserNameFromId(items[i].ai_grantee, false)) : "PUBLIC";

				for (int bit = 0; bit < N_ACL_RIGHTS; bit++)
				{
					AclMode		right = ((AclMode) 1) << bit;

					if (!(privs & right))
						continue;
					mig_step(plan, psprintf("GRANT %s (%s) ON %s TO %s%s",
											mig_privilege_name(right),
											quote_identifier(c->colname), m->qualname, grantee,
											(goptions & right) ? " WITH GRANT OPTION" : ""),
							 NULL, NULL);
				}
			}
		}
		if (att->attstattarget >= 0)
			mig_step(plan, psprintf("ALTER TABLE %s ALTER COLUMN %s SET STATISTICS %d",
									m->qualname, quote_identifier(c->colname), att->attstattarget),
					 NULL, NULL);
		options = SysCacheGetAttr(ATTNUM, tuple, Anum_pg_attribute_attoptions, &isnull);
		if (!isnull && mig_column_options_sql(options) != NULL)
			mig_step(plan, psprintf("ALTER TABLE %s ALTER COLUMN %s SET (%s)",
									m->qualname, quote_identifier(c->colname),
									mig_column_options_sql(options)),
					 NULL, NULL);
		ReleaseSysCache(tuple);
	}
}

/*
 * What an index is for the table besides an index: its replica identity,
 * the index CLUSTER uses.  Given to the index that takes its name.
 */
static void
index_roles(Migration *m, MigPlan *plan, const char *name)
{
	Oid			idx = get_relname_relid(name, get_rel_namespace(m->relid));
	HeapTuple	tuple;

	if (!OidIsValid(idx))
		return;
	tuple = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(idx));
	if (!HeapTupleIsValid(tuple))
		return;
	if (((Form_pg_index) GETSTRUCT(tuple))->indisreplident)
		mig_step(plan, psprintf("ALTER TABLE %s REPLICA IDENTITY USING INDEX %s", m->qualname,
								quote_identifier(name)),
				 NULL, "The replica identity goes with the index's name.");
	if (((Form_pg_index) GETSTRUCT(tuple))->indisclustered)
		mig_step(plan, psprintf("ALTER TABLE %s CLUSTER ON %s", m->qualname, quote_identifier(name)),
				 NULL, NULL);
	ReleaseSysCache(tuple);
}

/* The copied indexes and constraints take the original names, or give them back. */
static void
swap_object_names(Migration *m, MigChange *c, MigPlan *plan, bool back)
{
	const char *nsp = quote_identifier(m->nspname);
	ListCell   *lc;

	foreach(lc, m->objects)
	{
		MigObject  *o = lfirst(lc);
		char	   *old = mig_prefixed_name("_sg_old_", o->original ? o->original : "", 0);

		if (o->original == NULL || o->change != c->ordinal)
			continue;
		if (strcmp(o->kind, "index") == 0 || strcmp(o->kind, "unique") == 0)
		{
			MigPlan		roles;

			/* read the flags now, from the index that has the name now */
			memset(&roles, 0, sizeof(roles));
			roles.phase = plan->phase;
			roles.group = plan->group;
			roles.lock = plan->lock;
			index_roles(m, &roles, o->original);
			o->roles = roles.steps;
		}
		if (strcmp(o->kind, "index") == 0)
		{
			const char *names[2][2] = {{o->original, old}, {o->created, o->original}};

			if (back)
			{
				names[0][0] = o->original;
				names[0][1] = o->created;
				names[1][0] = old;
				names[1][1] = o->original;
			}
			for (int i = 0; i < 2; i++)
				mig_step(plan, psprintf("ALTER INDEX %s.%s RENAME TO %s", nsp,
										quote_identifier(names[i][0]), quote_identifier(names[i][1])),
						 NULL, i == 0 ? psprintf("Index %s %s.", quote_identifier(o->original),
												back ? "goes back to the old column"
												: "is now the one on the new column") : NULL);
		}
		else if (strcmp(o->kind, "unique") == 0)
		{
			if (!back)
			{
				mig_step(plan, psprintf("ALTER TABLE %s RENAME CONSTRAINT %s TO %s", m->qualname,
										quote_identifier(o->original), quote_identifier(old)),
						 NULL, NULL);
				mig_step(plan, psprintf("ALTER TABLE %s ADD CONSTRAINT %s UNIQUE USING INDEX %s%s",
										m->qualname, quote_identifier(o->original),
										quote_identifier(o->created), mig_deferrable_clause(m, old)),
						 NULL, psprintf("The unique constraint %s is now the one on the new column.",
										quote_identifier(o->original)));
			}
			else
			{
				mig_step(plan, psprintf("ALTER TABLE %s DROP CONSTRAINT %s", m->qualname,
										quote_identifier(o->original)), NULL, NULL);
				mig_step(plan, psprintf("ALTER TABLE %s RENAME CONSTRAINT %s TO %s", m->qualname,
										quote_identifier(old), quote_identifier(o->original)),
						 NULL, NULL);
			}
		}
		else
		{
			const char *names[2][2] = {{o->original, old}, {o->created, o->original}};

			if (back)
			{
				names[0][0] = o->original;
				names[0][1] = o->created;
				names[1][0] = old;
				names[1][1] = o->original;
			}
			for (int i = 0; i < 2; i++)
				mig_step(plan, psprintf("ALTER TABLE %s RENAME CONSTRAINT %s TO %s", m->qualname,
										quote_identifier(names[i][0]), quote_identifier(names[i][1])),
						 NULL, NULL);
		}
		plan->steps = list_concat(plan->steps, o->roles);
		o->roles = NIL;
	}
}

static void
swap(Migration *m, MigChange *c, MigPlan *plan, bool back)
{
	if (!back)
	{
		mig_step(plan, rename_column_sql(m, c->colname, c->oldcol), NULL,
				 psprintf("The old column steps aside as \"%s\"...", c->oldcol));
		mig_step(plan, rename_column_sql(m, c->newcol, c->colname), NULL,
				 psprintf("...and the new one takes the name \"%s\".", c->colname));
	}
	else
	{
		mig_step(plan, rename_column_sql(m, c->colname, c->newcol), NULL,
				 psprintf("The new column steps aside as \"%s\" again...", c->newcol));
		mig_step(plan, rename_column_sql(m, c->oldcol, c->colname), NULL,
				 psprintf("...and the old one takes the name \"%s\" back.", c->colname));
	}
	move_column_properties(m, c, plan, back);
	swap_object_names(m, c, plan, back);
}

static void
renamed(Migration *m, MigChange *c, char **names, bool back)
{
	names[c->attnum] = back ? c->colname : c->oldcol;
	names[c->new_attnum] = back ? c->newcol : c->colname;
}

static void
contract(Migration *m, MigChange *c, MigPlan *plan)
{
	mig_drop_column_step(m, plan, c->oldcol,
						 "The old column goes, with its indexes and constraints; no row is rewritten (the space is reused as rows are updated).",
						 false);
}

static void
rollback(Migration *m, MigChange *c, MigPlan *plan)
{
	mig_drop_column_step(m, plan, c->newcol,
						 "The new column goes, with the indexes and constraints built on it.", true);
}

const MigKind mig_kind_alter_type = {
	.name = "alter_type",
	.recognize = recognize,
	.resolve = resolve,
	.expand = expand,
	.sync = kept_in_step,
	.backfill = backfill,
	.verify = verify,
	.swap = swap,
	.contract = contract,
	.rollback = rollback,
	.rename = renamed,
	.repoints = true
};

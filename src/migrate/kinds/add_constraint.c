/*-------------------------------------------------------------------------
 *
 * add_constraint.c
 *	  Change kind add_constraint: ADD CHECK, ADD FOREIGN KEY, ADD UNIQUE and
 *	  ADD PRIMARY KEY, which check every row (or build an index from every
 *	  row) under a lock that blocks writes.
 *
 * CHECK, FOREIGN KEY
 * expand   the constraint NOT VALID: rows written from now on are checked,
 *          no row is read (ACCESS EXCLUSIVE on the table -- SHARE ROW
 *          EXCLUSIVE on both tables for a foreign key --, catalog only)
 * switch   VALIDATE CONSTRAINT, in a transaction of its own under SHARE
 *          UPDATE EXCLUSIVE (the referenced table ROW SHARE): reads and
 *          writes go on while it reads every row
 * rollback the constraint goes
 *
 * UNIQUE, PRIMARY KEY
 * expand   for a primary key, each key column that is nullable gets a CHECK
 *          (c IS NOT NULL) NOT VALID
 * backfill CREATE UNIQUE INDEX CONCURRENTLY under the constraint's name
 *          (SHARE UPDATE EXCLUSIVE: reads and writes go on); one left
 *          INVALID by a failure (a duplicate) is dropped CONCURRENTLY and
 *          built again
 * switch   the checks validated (before any lock that blocks); then SET NOT
 *          NULL without a scan, the checks dropped, and ADD CONSTRAINT ...
 *          USING INDEX (ACCESS EXCLUSIVE, catalog only)
 * rollback before the switch the index and the checks go; after it, the
 *          constraint (with its index) and the NOT NULLs it set
 *
 * The names are the ones PostgreSQL would have chosen for the statement.
 * Not covered: EXCLUDE (PostgreSQL cannot attach an exclusion constraint to
 * an index built CONCURRENTLY), a constraint already NOT VALID or USING
 * INDEX (they read no row: run as written).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "catalog/namespace.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_coerce.h"
#include "parser/parse_collate.h"
#include "parser/parse_expr.h"
#include "parser/parse_relation.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "migrate/internal.h"

static const char *
con_type(Constraint *con)
{
	switch (con->contype)
	{
		case CONSTR_CHECK:
			return "CHECK";
		case CONSTR_FOREIGN:
			return "FOREIGN KEY";
		case CONSTR_UNIQUE:
			return "UNIQUE";
		case CONSTR_PRIMARY:
			return "PRIMARY KEY";
		default:
			return NULL;
	}
}

static bool
is_index_constraint(MigChange *c)
{
	return strcmp(c->type_sql, "UNIQUE") == 0 || strcmp(c->type_sql, "PRIMARY KEY") == 0;
}

static char *
name_list(List *names)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, names)
		appendStringInfo(&buf, "%s%s", buf.len ? ", " : "", quote_identifier(strVal(lfirst(lc))));
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
			return NULL;
	}
}

static char *
deferrable_clause(Constraint *con)
{
	if (!con->deferrable)
		return "";
	return con->initdeferred ? " DEFERRABLE INITIALLY DEFERRED" : " DEFERRABLE";
}

/* CHECK (expr), the expression analyzed against the table and deparsed. */
static char *
check_sql(Migration *m, Constraint *con, const char *source, char **colname)
{
	ParseState *pstate = make_parsestate(NULL);
	Relation	rel = relation_open(m->relid, AccessShareLock);
	ParseNamespaceItem *nsitem;
	Node	   *expr;
	List	   *vars;
	char	   *sql;
	int			nestlevel;

	pstate->p_sourcetext = source;
	nsitem = addRangeTableEntryForRelation(pstate, rel, AccessShareLock, NULL, false, true);
	addNSItemToQuery(pstate, nsitem, true, true, true);
	expr = transformExpr(pstate, copyObject(con->raw_expr), EXPR_KIND_CHECK_CONSTRAINT);
	expr = coerce_to_boolean(pstate, expr, "CHECK");
	assign_expr_collations(pstate, expr);
	relation_close(rel, NoLock);
	/* a single column: its name is in the constraint's name */
	vars = pull_var_clause(expr, 0);
	*colname = list_length(vars) == 1
		? get_attname(m->relid, ((Var *) linitial(vars))->varattno, false) : NULL;
	nestlevel = NewGUCNestLevel();
	mig_search_path_pinned();
	sql = mig_deparse_expr(m, expr, NULL);
	AtEOXact_GUC(true, nestlevel);
	return psprintf("CHECK (%s)%s", sql, con->is_no_inherit ? " NO INHERIT" : "");
}

/* FOREIGN KEY (...) REFERENCES ..., the referenced table qualified. */
static char *
foreign_key_sql(Migration *m, Constraint *con, Oid *pkrelid)
{
	StringInfoData sql;
	const char *action;

	*pkrelid = RangeVarGetRelid(con->pktable, NoLock, false);
	initStringInfo(&sql);
	appendStringInfo(&sql, "FOREIGN KEY (%s) REFERENCES %s", name_list(con->fk_attrs),
					 quote_qualified_identifier(get_namespace_name(get_rel_namespace(*pkrelid)),
												get_rel_name(*pkrelid)));
	if (con->pk_attrs)
		appendStringInfo(&sql, " (%s)", name_list(con->pk_attrs));
	if (con->fk_matchtype == FKCONSTR_MATCH_FULL)
		appendStringInfoString(&sql, " MATCH FULL");
	if ((action = fk_action(con->fk_upd_action)) != NULL && con->fk_upd_action != FKCONSTR_ACTION_NOACTION)
		appendStringInfo(&sql, " ON UPDATE %s", action);
	if ((action = fk_action(con->fk_del_action)) != NULL && con->fk_del_action != FKCONSTR_ACTION_NOACTION)
	{
		appendStringInfo(&sql, " ON DELETE %s", action);
		if (con->fk_del_set_cols)
			appendStringInfo(&sql, " (%s)", name_list(con->fk_del_set_cols));
	}
	appendStringInfoString(&sql, deferrable_clause(con));
	return sql.data;
}

static MigChange *
recognize(Migration *m, Node *stmt, const char *source)
{
	AlterTableCmd *cmd = (AlterTableCmd *) stmt;
	Constraint *con;
	MigChange  *c;
	char	   *name;
	char	   *colname = NULL;
	ListCell   *lc;

	if (!IsA(stmt, AlterTableCmd) || cmd->subtype != AT_AddConstraint)
		return NULL;
	con = castNode(Constraint, cmd->def);
	if (con->contype == CONSTR_EXCLUSION)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("a migration cannot add an EXCLUDE constraint online"),
				 errdetail("PostgreSQL cannot attach an exclusion constraint to an index built CONCURRENTLY."),
				 errhint("Run it when the table may be locked, with a short lock_timeout.")));
	if (con_type(con) == NULL)
		return NULL;
	if (con->skip_validation || con->indexname)
		return NULL;			/* reads no row: as written (direct) */

	if (con->contype == CONSTR_CHECK || con->contype == CONSTR_FOREIGN)
	{
		char	   *def;
		MigObject  *o;

		if (con->contype == CONSTR_CHECK)
		{
			def = check_sql(m, con, source, &colname);
			name = con->conname ? pstrdup(con->conname) : NULL;
		}
		else
		{
			Oid			pkrelid;
			StringInfoData cols;

			def = foreign_key_sql(m, con, &pkrelid);
			initStringInfo(&cols);
			foreach(lc, con->fk_attrs)
				appendStringInfo(&cols, "%s%s", cols.len ? "_" : "", strVal(lfirst(lc)));
			colname = cols.data;
			name = con->conname ? pstrdup(con->conname) : NULL;
		}
		if (name == NULL)
			name = mig_constraint_name(m, colname, con->contype == CONSTR_CHECK ? "check" : "fkey");
		if (ConstraintNameIsUsed(CONSTRAINT_RELATION, m->relid, name))
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_OBJECT),
					 errmsg("constraint \"%s\" for relation \"%s\" already exists",
							name, m->relname)));
		c = mig_new_change(m, &mig_kind_add_constraint, name);
		c->type_sql = pstrdup(con_type(con));
		c->sql = psprintf("ALTER TABLE %s ADD CONSTRAINT %s %s NOT VALID", m->qualname,
						  quote_identifier(name), def);
		o = mig_new_object(m, c, con->contype == CONSTR_CHECK ? "check" : "foreign_key",
						   NULL, name, c->sql);
		o->description = psprintf("The %s constraint NOT VALID: rows written from now on are checked, no row is read.",
								  c->type_sql);
		return c;
	}

	/* UNIQUE, PRIMARY KEY: the index first, CONCURRENTLY */
	{
		bool		primary = (con->contype == CONSTR_PRIMARY);
		List	   *keys = NIL;
		StringInfoData sql;
		MigObject  *o;

		if (primary)
		{
			Relation	rel = relation_open(m->relid, AccessShareLock);
			bool		has_pk = OidIsValid(RelationGetPrimaryKeyIndex(rel));

			relation_close(rel, AccessShareLock);
			if (has_pk)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_TABLE_DEFINITION),
						 errmsg("multiple primary keys for table \"%s\" are not allowed",
								m->relname)));
		}
		foreach(lc, con->keys)
		{
			char	   *key = strVal(lfirst(lc));
			AttrNumber	attnum = get_attnum(m->relid, key);

			if (attnum == InvalidAttrNumber)
				ereport(ERROR,
						(errcode(ERRCODE_UNDEFINED_COLUMN),
						 errmsg("column \"%s\" named in key does not exist", key)));
			keys = lappend(keys, key);
		}
		if (con->conname)
			name = pstrdup(con->conname);
		else
		{
			/* as DefineIndex names it: key and included columns */
			List	   *names = list_copy(keys);

			foreach(lc, con->including)
				names = lappend(names, strVal(lfirst(lc)));
			name = mig_index_name(m, primary ? NIL : names, primary ? "pkey" : "key");
		}
		if (OidIsValid(get_relname_relid(name, get_rel_namespace(m->relid))))
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_TABLE),
					 errmsg("relation \"%s\" already exists", name)));
		c = mig_new_change(m, &mig_kind_add_constraint, name);
		c->type_sql = pstrdup(con_type(con));
		initStringInfo(&sql);
		appendStringInfo(&sql, "CREATE UNIQUE INDEX CONCURRENTLY %s ON %s (%s)",
						 quote_identifier(name), m->qualname, name_list(con->keys));
		if (con->including)
			appendStringInfo(&sql, " INCLUDE (%s)", name_list(con->including));
		if (con->nulls_not_distinct)
			appendStringInfoString(&sql, " NULLS NOT DISTINCT");
		if (con->options)
		{
			StringInfoData opts;

			initStringInfo(&opts);
			foreach(lc, con->options)
			{
				DefElem    *def = lfirst(lc);

				appendStringInfo(&opts, "%s%s = %s", opts.len ? ", " : "",
								 quote_identifier(def->defname),
								 quote_literal_cstr(defGetString(def)));
			}
			appendStringInfo(&sql, " WITH (%s)", opts.data);
		}
		if (con->indexspace)
			appendStringInfo(&sql, " TABLESPACE %s", quote_identifier(con->indexspace));
		o = mig_new_object(m, c, "unique", NULL, name, sql.data);
		o->description = psprintf("The %s constraint's index, built without blocking writes; a build that failed (an INVALID index: a duplicate) is dropped and built again.",
								  c->type_sql);
		c->sql = psprintf("ALTER TABLE %s ADD CONSTRAINT %s %s USING INDEX %s%s", m->qualname,
						  quote_identifier(name), c->type_sql, quote_identifier(name),
						  deferrable_clause(con));
		if (primary)
		{
			foreach(lc, keys)
			{
				char	   *key = lfirst(lc);
				char	   *check;

				if (mig_attnotnull(m->relid, get_attnum(m->relid, key)))
					continue;
				check = mig_constraint_name(m, key, "not_null");
				o = mig_new_object(m, c, "not_null", key, check,
								   psprintf("ALTER TABLE %s ADD CONSTRAINT %s CHECK (%s IS NOT NULL) NOT VALID",
											m->qualname, quote_identifier(check), quote_identifier(key)));
				o->description = psprintf("Key column \"%s\" is nullable: NOT NULL as a CHECK constraint NOT VALID first, validated before the switch, so that the primary key's SET NOT NULL reads no row.",
										  key);
			}
		}
		return c;
	}
}

static bool
swaps(Migration *m, MigChange *c)
{
	return is_index_constraint(c);
}

static void
swap(Migration *m, MigChange *c, MigPlan *plan, bool back)
{
	ListCell   *lc;

	if (!is_index_constraint(c))
		return;
	if (back)
	{
		mig_step(plan, psprintf("ALTER TABLE %s DROP CONSTRAINT %s", m->qualname,
								quote_identifier(c->colname)),
				 NULL, psprintf("The %s constraint goes, with its index.", c->type_sql));
		foreach(lc, m->objects)
		{
			MigObject  *o = lfirst(lc);

			if (o->change == c->ordinal && strcmp(o->kind, "not_null") == 0)
				mig_step(plan, psprintf("ALTER TABLE %s ALTER COLUMN %s DROP NOT NULL", m->qualname,
										quote_identifier(o->original)),
						 NULL, psprintf("\"%s\" takes nulls again.", o->original));
		}
		return;
	}
	foreach(lc, m->objects)
	{
		MigObject  *o = lfirst(lc);

		if (o->change != c->ordinal || strcmp(o->kind, "not_null") != 0)
			continue;
		mig_step(plan, psprintf("ALTER TABLE %s ALTER COLUMN %s SET NOT NULL", m->qualname,
								quote_identifier(o->original)),
				 NULL, psprintf("Without a scan: the validated constraint %s proves it.",
								quote_identifier(o->created)));
		mig_step(plan, psprintf("ALTER TABLE %s DROP CONSTRAINT %s", m->qualname,
								quote_identifier(o->created)),
				 NULL, NULL);
	}
	mig_step(plan, c->sql, NULL,
			 psprintf("The index built CONCURRENTLY becomes the %s constraint: no row is read.",
					  c->type_sql));
}

static void
rollback(Migration *m, MigChange *c, MigPlan *plan)
{
	ListCell   *lc;

	if (!is_index_constraint(c))
	{
		mig_step(plan, psprintf("ALTER TABLE %s DROP CONSTRAINT IF EXISTS %s", m->qualname,
								quote_identifier(c->colname)),
				 mig_lock_on(m, "ACCESS EXCLUSIVE"),
				 psprintf("The %s constraint goes.", c->type_sql));
		return;
	}
	if (m->state == STATE_SWITCHED)
		return;					/* swapped back already */
	mig_step(plan, psprintf("DROP INDEX IF EXISTS %s",
							quote_qualified_identifier(m->nspname, c->colname)),
			 mig_lock_on(m, "ACCESS EXCLUSIVE"),
			 "The index built for the constraint goes (valid or not).");
	foreach(lc, m->objects)
	{
		MigObject  *o = lfirst(lc);

		if (o->change == c->ordinal && strcmp(o->kind, "not_null") == 0)
			mig_step(plan, psprintf("ALTER TABLE %s DROP CONSTRAINT IF EXISTS %s", m->qualname,
									quote_identifier(o->created)),
					 mig_lock_on(m, "ACCESS EXCLUSIVE"), NULL);
	}
}

const MigKind mig_kind_add_constraint = {
	.name = "add_constraint",
	.recognize = recognize,
	.resolve = mig_no_resolve,
	.expand = mig_no_steps,
	.sync = mig_no_sync,
	.backfill = mig_no_backfill,
	.verify = mig_no_verify,
	.swap = swap,
	.contract = mig_no_steps,
	.rollback = rollback,
	.repoints = false,
	.names_object = true,
	.no_rows = true,
	.swaps = swaps
};

/*-------------------------------------------------------------------------
 *
 * add_column.c
 *	  Change kind add_column: ADD COLUMN with a default that must be
 *	  computed for each existing row (a volatile default: the guard's own
 *	  prediction says the table would be rewritten), NOT NULL or not.
 *
 * expand   the column without a default (nothing written), then its default
 *          for the rows inserted from now on; NOT NULL as a CHECK (c IS NOT
 *          NULL) NOT VALID
 * backfill c = the default, for each row where it is NULL
 * verify   with NOT NULL: no row is NULL
 * switch   with NOT NULL: the check is validated (before the lock), SET NOT
 *          NULL uses it instead of a scan, and it is dropped
 * contract nothing left to do
 * rollback the column is dropped
 *
 * Until the switch the column is nullable: a row inserted meanwhile with an
 * explicit NULL in it gets the default from the backfill, as the rows that
 * existed before (docs/migrate.md).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "nodes/nodeFuncs.h"
#include "parser/parse_coerce.h"
#include "parser/parse_collate.h"
#include "parser/parse_expr.h"
#include "parser/parse_type.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/ruleutils.h"

#include "guard/predict.h"
#include "migrate/internal.h"

static MigChange *
recognize(Migration *m, Node *stmt, const char *source)
{
	AlterTableCmd *cmd = (AlterTableCmd *) stmt;
	ColumnDef  *def;
	const char *why;
	Node	   *raw_default = NULL;
	bool		not_null = false;
	ListCell   *lc;
	MigChange  *c;
	ParseState *pstate;
	Node	   *expr;
	int			nestlevel;

	if (!IsA(stmt, AlterTableCmd) || cmd->subtype != AT_AddColumn)
		return NULL;
	def = castNode(ColumnDef, cmd->def);
	if (get_attnum(m->relid, def->colname) != InvalidAttrNumber)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_COLUMN),
				 errmsg("column \"%s\" of relation \"%s\" already exists",
						def->colname, m->relname)));
	why = guard_predict_add_column_rewrites(m->relid, cmd, source);
	if (why == NULL)
		return NULL;			/* no rewrite: not a migration (direct.c) */
	foreach(lc, def->constraints)
	{
		Constraint *con = lfirst(lc);

		if (con->contype == CONSTR_DEFAULT)
			raw_default = con->raw_expr;
		else if (con->contype == CONSTR_NOTNULL)
			not_null = true;
		else if (con->contype != CONSTR_NULL)
			raw_default = NULL, why = NULL;
	}
	if (raw_default == NULL || why == NULL || cmd->missing_ok)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("a migration cannot add column \"%s\" to %s as written", def->colname,
						m->qualname),
				 errdetail("A migration adds a column whose default must be computed for each row (a volatile default), with NOT NULL or not; this one would rewrite the table because %s.",
						   why ? why : "of its other constraints"),
				 errhint("Add the column plainly, fill it, then add its constraints NOT VALID and validate them.")));

	c = mig_new_change(m, &mig_kind_add_column, def->colname);
	c->newcol = pstrdup(def->colname);
	c->not_null = not_null;
	typenameTypeIdAndMod(NULL, def->typeName, &c->newtype, &c->newtypmod);
	c->newcoll = def->collClause
		? LookupCollation(NULL, def->collClause->collname, -1)
		: get_typcollation(c->newtype);
	pstate = make_parsestate(NULL);
	pstate->p_sourcetext = source;
	expr = transformExpr(pstate, raw_default, EXPR_KIND_COLUMN_DEFAULT);
	expr = coerce_to_target_type(pstate, expr, exprType(expr), c->newtype, c->newtypmod,
								 COERCION_ASSIGNMENT, COERCE_IMPLICIT_CAST, -1);
	if (expr == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("the default of column \"%s\" cannot be converted to type %s",
						def->colname, format_type_with_typemod(c->newtype, c->newtypmod))));
	assign_expr_collations(pstate, expr);

	nestlevel = NewGUCNestLevel();
	mig_search_path_pinned();
	c->type_sql = format_type_with_typemod(c->newtype, c->newtypmod);
	if (def->collClause)
		c->collation_sql = generate_collation_name(c->newcoll);
	c->default_sql = mig_deparse_expr(m, expr, NULL);
	AtEOXact_GUC(true, nestlevel);
	c->new_attnum = ++m->natts;
	return c;
}

static void
resolve(Migration *m, MigChange *c)
{
	if (m->state == STATE_PLANNED)
		return;
	c->attnum = 0;
	c->new_attnum = m->state == STATE_ROLLED_BACK ? 0 : get_attnum(m->relid, c->colname);
	if (c->new_attnum == InvalidAttrNumber && m->state != STATE_ROLLED_BACK)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("column \"%s\" of %s, which migration " INT64_FORMAT " added, does not exist",
						c->colname, m->qualname, m->id),
				 errdetail("It was renamed or dropped outside the migration.")));
	if (c->new_attnum > 0)
		get_atttypetypmodcoll(m->relid, c->new_attnum, &c->newtype, &c->newtypmod, &c->newcoll);
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

static void
expand(Migration *m, MigChange *c, MigPlan *plan)
{
	mig_step(plan,
			 psprintf("ALTER TABLE %s ADD COLUMN %s %s%s%s", m->qualname,
					  quote_identifier(c->colname), c->type_sql,
					  c->collation_sql ? " COLLATE " : "",
					  c->collation_sql ? c->collation_sql : ""),
			 mig_lock_on(m, "ACCESS EXCLUSIVE"),
			 psprintf("The column, without a default: no row is written."));
	mig_step(plan,
			 psprintf("ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s", m->qualname,
					  quote_identifier(c->colname), c->default_sql),
			 mig_lock_on(m, "ACCESS EXCLUSIVE"),
			 "Its default, for the rows inserted from now on.");
	if (c->not_null)
	{
		MigObject  *o = palloc0(sizeof(MigObject));

		o->ordinal = list_length(m->objects) + 1;
		o->change = c->ordinal;
		o->kind = "not_null";
		o->created = mig_choose_constraint_name(m, c->colname, "not_null", taken_names(m));
		o->sql = psprintf("ALTER TABLE %s ADD CONSTRAINT %s CHECK (%s IS NOT NULL) NOT VALID",
						  m->qualname, quote_identifier(o->created), quote_identifier(c->colname));
		m->objects = lappend(m->objects, o);
	}
}

static bool
kept_in_step(Migration *m, MigChange *c, MigSyncPair *pair)
{
	return false;
}

static void
backfill(Migration *m, MigChange *c, const char *alias, StringInfo set, StringInfo todo)
{
	appendStringInfo(set, "%s%s = %s", set->len ? ", " : "",
					 quote_identifier(c->colname), c->default_sql);
	appendStringInfo(todo, "%s%s.%s IS NULL", todo->len ? " OR " : "",
					 quote_identifier(alias), quote_identifier(c->colname));
}

static void
verify(Migration *m, MigChange *c, const char *alias, StringInfo wrong)
{
	if (c->not_null)
		appendStringInfo(wrong, "%s%s.%s IS NULL", wrong->len ? " OR " : "",
						 quote_identifier(alias), quote_identifier(c->colname));
}

static void
swap(Migration *m, MigChange *c, MigPlan *plan, bool back)
{
	ListCell   *lc;

	if (back || !c->not_null)
		return;
	foreach(lc, m->objects)
	{
		MigObject  *o = lfirst(lc);

		if (o->change != c->ordinal || strcmp(o->kind, "not_null") != 0)
			continue;
		mig_step(plan, psprintf("ALTER TABLE %s ALTER COLUMN %s SET NOT NULL", m->qualname,
								quote_identifier(c->colname)),
				 NULL, psprintf("Without a scan: the validated constraint %s proves it.",
								quote_identifier(o->created)));
		mig_step(plan, psprintf("ALTER TABLE %s DROP CONSTRAINT %s", m->qualname,
								quote_identifier(o->created)),
				 NULL, NULL);
	}
}

static void
contract(Migration *m, MigChange *c, MigPlan *plan)
{
}

static void
rollback(Migration *m, MigChange *c, MigPlan *plan)
{
	mig_drop_column_step(m, plan, c->colname,
						 "The column added goes, with what was written into it.", true);
}

const MigKind mig_kind_add_column = {
	.name = "add_column",
	.recognize = recognize,
	.resolve = resolve,
	.expand = expand,
	.sync = kept_in_step,
	.backfill = backfill,
	.verify = verify,
	.swap = swap,
	.contract = contract,
	.rollback = rollback,
	.repoints = false
};

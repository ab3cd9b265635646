/*-------------------------------------------------------------------------
 *
 * direct.c
 *	  Change kind direct: a subcommand that needs no migration, because it
 *	  rewrites nothing (the guard's prediction decides): a plain ADD COLUMN
 *	  (no default, or one stored once in the catalog), an ALTER COLUMN TYPE
 *	  that is binary-coercible.  It runs as written at expand, in the same
 *	  short transaction as the rest; an added column is dropped again by
 *	  rollback, a type change stays (it is not reversible).  A ddl made of
 *	  these only is not a migration: plan() says so and shows the
 *	  statements, start() refuses it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "nodes/nodeFuncs.h"
#include "parser/parse_coerce.h"
#include "parser/parse_collate.h"
#include "parser/parse_expr.h"
#include "parser/parse_type.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/ruleutils.h"

#include "migrate/internal.h"

static MigChange *
recognize(Migration *m, Node *stmt, const char *source)
{
	AlterTableCmd *cmd = (AlterTableCmd *) stmt;
	ColumnDef  *def;
	MigChange  *c;
	Oid			type;
	int32		typmod;
	Oid			coll;
	Node	   *raw_default = NULL;
	bool		not_null = false;
	ListCell   *lc;
	int			nestlevel;
	StringInfoData sql;

	if (!IsA(stmt, AlterTableCmd) ||
		(cmd->subtype != AT_AddColumn && cmd->subtype != AT_AlterColumnType))
		return NULL;
	def = castNode(ColumnDef, cmd->def);
	if (cmd->subtype == AT_AddColumn)
	{
		foreach(lc, def->constraints)
		{
			Constraint *con = lfirst(lc);

			if (con->contype == CONSTR_DEFAULT)
				raw_default = con->raw_expr;
			else if (con->contype == CONSTR_NOTNULL)
				not_null = true;
			else if (con->contype != CONSTR_NULL)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("a migration cannot add column \"%s\" with a %s constraint",
								def->colname,
								con->contype == CONSTR_CHECK ? "CHECK" :
								con->contype == CONSTR_FOREIGN ? "FOREIGN KEY" :
								con->contype == CONSTR_UNIQUE ? "UNIQUE" :
								con->contype == CONSTR_PRIMARY ? "PRIMARY KEY" : "column"),
						 errdetail("Adding the constraint with the column checks every row under an ACCESS EXCLUSIVE lock."),
						 errhint("Add the column in the migration, and the constraint NOT VALID afterwards, then validate it.")));
		}
		if (cmd->missing_ok)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("a migration cannot use ADD COLUMN IF NOT EXISTS")));
		c = mig_new_change(m, &mig_kind_direct, def->colname);
		c->newcol = pstrdup(def->colname);
		c->new_attnum = ++m->natts;
	}
	else
		c = mig_new_change(m, &mig_kind_direct, cmd->name);

	typenameTypeIdAndMod(NULL, def->typeName, &type, &typmod);
	coll = def->collClause ? LookupCollation(NULL, def->collClause->collname, -1) : InvalidOid;
	if (raw_default)
	{
		ParseState *pstate = make_parsestate(NULL);

		pstate->p_sourcetext = source;
		raw_default = transformExpr(pstate, raw_default, EXPR_KIND_COLUMN_DEFAULT);
		raw_default = coerce_to_target_type(pstate, raw_default, exprType(raw_default),
											type, typmod, COERCION_ASSIGNMENT,
											COERCE_IMPLICIT_CAST, -1);
		if (raw_default == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("the default of column \"%s\" cannot be converted to type %s",
							def->colname, format_type_with_typemod(type, typmod))));
		assign_expr_collations(pstate, raw_default);
	}

	nestlevel = NewGUCNestLevel();
	mig_search_path_pinned();
	initStringInfo(&sql);
	if (cmd->subtype == AT_AddColumn)
		appendStringInfo(&sql, "ALTER TABLE %s ADD COLUMN %s %s", m->qualname,
						 quote_identifier(def->colname), format_type_with_typemod(type, typmod));
	else
		appendStringInfo(&sql, "ALTER TABLE %s ALTER COLUMN %s TYPE %s", m->qualname,
						 quote_identifier(cmd->name), format_type_with_typemod(type, typmod));
	if (OidIsValid(coll))
		appendStringInfo(&sql, " COLLATE %s", generate_collation_name(coll));
	if (raw_default)
		appendStringInfo(&sql, " DEFAULT %s", mig_deparse_expr(m, raw_default, NULL));
	if (not_null)
		appendStringInfoString(&sql, " NOT NULL");
	c->type_sql = format_type_with_typemod(type, typmod);
	AtEOXact_GUC(true, nestlevel);
	if (cmd->subtype == AT_AlterColumnType && def->raw_default)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("a migration cannot run ALTER COLUMN \"%s\" TYPE ... USING that rewrites nothing",
						cmd->name),
				 errhint("Run the statement as it is: it rewrites nothing.")));
	c->sql = sql.data;
	return c;
}

static void
resolve(Migration *m, MigChange *c)
{
	if (m->state != STATE_PLANNED && c->newcol)
		c->new_attnum = get_attnum(m->relid, c->newcol);
}

static void
expand(Migration *m, MigChange *c, MigPlan *plan)
{
	MigStep    *step = mig_step(plan, c->sql, mig_lock_on(m, "ACCESS EXCLUSIVE"),
								c->newcol
								? psprintf("Column \"%s\" as written: it rewrites nothing.", c->colname)
								: psprintf("The type of \"%s\" changes without a rewrite (binary-coercible): nothing to migrate.",
										   c->colname));

	step->reversible = (c->newcol != NULL);
}

static bool
kept_in_step(Migration *m, MigChange *c, MigSyncPair *pair)
{
	return false;
}

static void
backfill(Migration *m, MigChange *c, const char *alias, StringInfo set, StringInfo todo)
{
}

static void
verify(Migration *m, MigChange *c, const char *alias, StringInfo wrong)
{
}

static void
swap(Migration *m, MigChange *c, MigPlan *plan, bool back)
{
}

static void
contract(Migration *m, MigChange *c, MigPlan *plan)
{
}

static void
rollback(Migration *m, MigChange *c, MigPlan *plan)
{
	if (c->newcol)
		mig_drop_column_step(m, plan, c->colname,
							 psprintf("Column \"%s\" goes, with what was written into it.", c->colname),
							 true);
}

const MigKind mig_kind_direct = {
	.name = "direct",
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

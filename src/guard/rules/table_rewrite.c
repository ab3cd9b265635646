/*-------------------------------------------------------------------------
 *
 * table_rewrite.c
 *	  Rule table-rewrite: a command that writes a new copy of a large table
 *	  (and rebuilds its indexes) while holding ACCESS EXCLUSIVE on it.
 *
 * Whether ALTER COLUMN TYPE rewrites is decided the way ALTER TABLE itself
 * decides it (tablecmds.c, ATPrepAlterColumnType): the old column (or the
 * USING expression) is coerced to the new type by assignment, planned --
 * which lets the types' support functions drop length coercions that
 * cannot change a value, such as varchar(50) to varchar(255) or a numeric
 * precision increase -- and the result is a rewrite unless it is the
 * column itself under binary relabelings, domains without constraints, or
 * a timestamp/timestamptz conversion under a TimeZone of UTC.  ADD COLUMN
 * rewrites when the new column needs a value per row that cannot be stored
 * once in the catalog: a volatile default (volatility is read from
 * pg_proc.provolatile by contain_volatile_functions), an identity or serial
 * column, a stored generated column, or a domain with constraints.
 *
 * Planning runs no user code (user_code.c): a USING expression whose
 * planning would fold a user function to a constant is not the column, and
 * rewrites; a default's volatility is then read from the unplanned tree.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/relation.h"
#include "catalog/namespace.h"
#include "catalog/pg_attribute.h"
#include "commands/defrem.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_coerce.h"
#include "parser/parse_collate.h"
#include "parser/parse_expr.h"
#include "parser/parse_relation.h"
#include "parser/parse_type.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

#include "guard/guard.h"

/*
 * guard_type_change_target
 *		The column's current type and the one ALTER COLUMN TYPE asks for.
 *		False if the column or the type does not exist (the command fails).
 */
bool
guard_type_change_target(GuardChange *change, Oid *oldtype, int32 *oldtypmod,
						 Oid *newtype, int32 *newtypmod)
{
	AlterTableCmd *cmd = castNode(AlterTableCmd, change->node);
	ColumnDef  *def = castNode(ColumnDef, cmd->def);
	HeapTuple	tuple;
	Form_pg_attribute att;
	Type		type;

	if (change->rel == NULL || change->attnum <= 0)
		return false;
	tuple = SearchSysCache2(ATTNUM, ObjectIdGetDatum(change->rel->relid),
							Int16GetDatum(change->attnum));
	if (!HeapTupleIsValid(tuple))
		return false;
	att = (Form_pg_attribute) GETSTRUCT(tuple);
	*oldtype = att->atttypid;
	*oldtypmod = att->atttypmod;
	ReleaseSysCache(tuple);
	type = LookupTypeName(NULL, def->typeName, NULL, true);
	if (type == NULL)
		return false;
	ReleaseSysCache(type);
	typenameTypeIdAndMod(NULL, def->typeName, newtype, newtypmod);
	return true;
}

/* ALTER TABLE's own test: is the planned conversion more than a relabel? */
static bool
conversion_rewrites(Node *expr, AttrNumber attnum)
{
	while (expr != NULL)
	{
		if (IsA(expr, Var))
			return ((Var *) expr)->varattno != attnum;
		if (IsA(expr, RelabelType))
			expr = (Node *) ((RelabelType *) expr)->arg;
		else if (IsA(expr, CoerceToDomain))
		{
			if (DomainHasConstraints(((CoerceToDomain *) expr)->resulttype))
				return true;
			expr = (Node *) ((CoerceToDomain *) expr)->arg;
		}
		else if (IsA(expr, FuncExpr) &&
				 (((FuncExpr *) expr)->funcid == F_TIMESTAMP_TIMESTAMPTZ ||
				  ((FuncExpr *) expr)->funcid == F_TIMESTAMPTZ_TIMESTAMP))
		{
			if (TimestampTimestampTzRequiresRewrite())
				return true;
			expr = linitial(((FuncExpr *) expr)->args);
		}
		else
			return true;
	}
	return true;
}

/*
 * guard_type_change_rewrites
 *		Would this ALTER COLUMN TYPE rewrite the table?  *using_sql: the
 *		USING expression as written, if any.  A change that does not rewrite
 *		changes nothing a reader of the column sees but its declared type:
 *		the breaks-dependents rule leaves it alone too.
 */
bool
guard_type_change_rewrites(GuardStatement *st, GuardChange *change, char **using_sql)
{
	AlterTableCmd *cmd = castNode(AlterTableCmd, change->node);
	ColumnDef  *def = castNode(ColumnDef, cmd->def);
	ParseState *pstate = make_parsestate(NULL);
	HeapTuple	tuple;
	Form_pg_attribute att;
	Oid			newtype;
	int32		newtypmod;
	Node	   *expr;
	Relation	rel = NULL;
	bool		result;

	*using_sql = NULL;
	tuple = SearchSysCache2(ATTNUM, ObjectIdGetDatum(change->rel->relid),
							Int16GetDatum(change->attnum));
	if (!HeapTupleIsValid(tuple))
		return false;
	att = (Form_pg_attribute) GETSTRUCT(tuple);
	typenameTypeIdAndMod(NULL, def->typeName, &newtype, &newtypmod);
	pstate->p_sourcetext = st->source;

	if (def->raw_default)
	{
		ParseNamespaceItem *nsitem;

		/* the USING expression reads the table: bind it as ALTER TABLE does */
		if (!ConditionalLockRelationOid(change->rel->relid, AccessShareLock))
		{
			ReleaseSysCache(tuple);
			return true;		/* busy: assume the worst */
		}
		rel = relation_open(change->rel->relid, NoLock);
		nsitem = addRangeTableEntryForRelation(pstate, rel, AccessShareLock,
											   NULL, false, true);
		addNSItemToQuery(pstate, nsitem, false, true, true);
		expr = transformExpr(pstate, copyObject(def->raw_default),
							 EXPR_KIND_ALTER_COL_TRANSFORM);
	}
	else
		expr = (Node *) makeVar(1, change->attnum, att->atttypid, att->atttypmod,
								att->attcollation, 0);

	expr = coerce_to_target_type(pstate, expr, exprType(expr), newtype, newtypmod,
								 COERCION_ASSIGNMENT, COERCE_IMPLICIT_CAST, -1);
	if (expr == NULL)
		result = false;			/* no such cast: the command fails */
	else
	{
		Node	   *planned;

		assign_expr_collations(pstate, expr);
		planned = guard_simplify(expr, true);
		if (planned)
		{
			expr = planned;
			result = conversion_rewrites(expr, change->attnum);
		}
		else
			result = true;		/* a user function folded to a constant: not the column */
	}
	if (rel)
	{
		if (def->raw_default && expr)
			*using_sql = deparse_expression(expr,
											deparse_context_for(change->rel->relname,
																change->rel->relid),
											false, false);
		relation_close(rel, NoLock);
		UnlockRelationOid(change->rel->relid, AccessShareLock);
	}
	ReleaseSysCache(tuple);
	return result;
}

static bool
is_serial(TypeName *typename)
{
	static const char *const serials[] = {"smallserial", "serial2", "serial",
	"serial4", "bigserial", "serial8"};
	const char *name;

	if (list_length(typename->names) != 1 || typename->pct_type)
		return false;
	name = strVal(linitial(typename->names));
	for (int i = 0; i < lengthof(serials); i++)
		if (strcmp(name, serials[i]) == 0)
			return true;
	return false;
}

static const char *
serial_base_type(const char *serial)
{
	if (strncmp(serial, "big", 3) == 0 || strcmp(serial, "serial8") == 0)
		return "bigint";
	if (strncmp(serial, "small", 5) == 0 || strcmp(serial, "serial2") == 0)
		return "smallint";
	return "integer";
}

/*
 * guard_add_column_rewrites
 *		ADD COLUMN: the reason it rewrites, or NULL; and the hint (if hint
 *		is not NULL).  A rewrite also checks the new column's constraints,
 *		in the same pass: the full-scan-under-lock rule asks this first.
 */
const char *
guard_add_column_rewrites(GuardStatement *st, GuardChange *change, char **hint)
{
	AlterTableCmd *cmd = castNode(AlterTableCmd, change->node);
	ColumnDef  *def = castNode(ColumnDef, cmd->def);
	GuardRelation *rel = change->rel;
	const char *col = quote_identifier(def->colname);
	Node	   *raw_default = NULL;
	Constraint *generated = NULL;
	bool		identity = false;
	ListCell   *lc;
	Oid			typid;
	int32		typmod;
	char	   *typesql;
	Node	   *defval = NULL;
	Node	   *planned;
	char	   *unused;

	if (hint == NULL)
		hint = &unused;
	foreach(lc, def->constraints)
	{
		Constraint *con = lfirst(lc);

		if (con->contype == CONSTR_DEFAULT)
			raw_default = con->raw_expr;
		else if (con->contype == CONSTR_IDENTITY)
			identity = true;
		else if (con->contype == CONSTR_GENERATED)
			generated = con;
	}

	if (is_serial(def->typeName) || identity)
	{
		const char *base = identity ? NULL : serial_base_type(strVal(linitial(def->typeName->names)));
		char	   *seq = quote_qualified_identifier(rel->nspname,
													 guard_choose_relation_name(rel, def->colname, "seq", false));

		if (base == NULL)
		{
			typenameTypeIdAndMod(NULL, def->typeName, &typid, &typmod);
			base = format_type_with_typemod(typid, typmod);
		}
		*hint = psprintf("Add the column without values, give it a sequence default for new rows, then number the existing rows in batches:\n"
						 "ALTER TABLE %s ADD COLUMN %s %s;\n"
						 "CREATE SEQUENCE %s OWNED BY %s.%s;\n"
						 "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT nextval(%s);\n"
						 "UPDATE %s SET %s = DEFAULT WHERE ctid IN (SELECT ctid FROM %s WHERE %s IS NULL LIMIT 10000);  -- repeat until it updates no row",
						 rel->sql_name, col, base,
						 seq, rel->sql_name, col,
						 rel->sql_name, col, quote_literal_cstr(seq),
						 rel->sql_name, col, rel->sql_name, col);
		return identity ? "an identity column is numbered from its sequence"
			: "a serial column is numbered from its sequence";
	}

	typenameTypeIdAndMod(NULL, def->typeName, &typid, &typmod);
	typesql = format_type_with_typemod(typid, typmod);

	if (generated)
	{
		char	   *expr = guard_paren_text(st->source, generated->location);

		if (expr == NULL)
			expr = pstrdup("(...)");
		*hint = psprintf("Add a plain column and fill it in batches (PostgreSQL 15 cannot make an existing column generated; keep it current with a trigger):\n"
						 "ALTER TABLE %s ADD COLUMN %s %s;\n"
						 "UPDATE %s SET %s = %s WHERE ctid IN (SELECT ctid FROM %s WHERE %s IS DISTINCT FROM %s LIMIT 10000);  -- repeat until it updates no row",
						 rel->sql_name, col, typesql,
						 rel->sql_name, col, expr, rel->sql_name, col, expr);
		return "a stored generated column is computed for each row";
	}

	if (raw_default)
	{
		ParseState *pstate = make_parsestate(NULL);

		pstate->p_sourcetext = st->source;
		defval = transformExpr(pstate, copyObject(raw_default), EXPR_KIND_COLUMN_DEFAULT);
		defval = coerce_to_target_type(pstate, defval, exprType(defval), typid, typmod,
									   COERCION_ASSIGNMENT, COERCE_IMPLICIT_CAST, -1);
		if (defval == NULL)
			return NULL;		/* the command fails */
		assign_expr_collations(pstate, defval);
	}
	else if (get_typtype(typid) == TYPTYPE_DOMAIN)
		defval = get_typdefault(typid);

	if (DomainHasConstraints(typid))
	{
		Oid			base = getBaseType(typid);

		*hint = psprintf("Add the column with the domain's base type, fill it in batches, then check it with a constraint added NOT VALID and validated:\n"
						 "ALTER TABLE %s ADD COLUMN %s %s;",
						 rel->sql_name, col, format_type_be(base));
		return "a column of a domain with constraints is checked in each row";
	}
	/*
	 * Volatile after planning, as ATExecAddColumn decides it; when planning
	 * would fold a user function (which the guard does not run), the
	 * unplanned tree's volatility (planning only ever removes some).
	 */
	if (defval && (planned = guard_simplify(defval, true)) == NULL)
		planned = defval;
	if (defval && contain_volatile_functions(planned))
	{
		char	   *sql = deparse_expression(defval, NIL, false, false);

		*hint = psprintf("Add the column without a default, set the default for new rows, then fill the existing rows in batches:\n"
						 "ALTER TABLE %s ADD COLUMN %s %s;\n"
						 "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s;\n"
						 "UPDATE %s SET %s = DEFAULT WHERE ctid IN (SELECT ctid FROM %s WHERE %s IS NULL LIMIT 10000);  -- repeat until it updates no row",
						 rel->sql_name, col, typesql,
						 rel->sql_name, col, sql,
						 rel->sql_name, col, rel->sql_name, col);
		return psprintf("its default %s is volatile", sql);
	}
	return NULL;
}

static void
report(GuardStatement *st, GuardChange *change, const char *what, const char *why,
	   char *hint)
{
	guard_add_finding(st, RULE_TABLE_REWRITE,
					  psprintf("%s rewrites table \"%s.%s\"", what,
							   change->rel->nspname, change->rel->relname),
					  psprintf("%s %s. %s writes a new copy of every row and rebuilds the indexes while holding %s, %s, for as long as the copy takes.",
							   guard_size_evidence(change->rel), why,
							   change->command,
							   guard_lock_phrase(change->lockmode),
							   guard_lock_effect(change->lockmode)),
					  hint);
}

void
rule_table_rewrite(GuardStatement *st)
{
	ListCell   *lc;

	foreach(lc, st->changes)
	{
		GuardChange *change = lfirst(lc);
		GuardRelation *rel = change->rel;
		char	   *hint = NULL;

		if (!guard_relation_large(rel))
			continue;
		switch (change->kind)
		{
			case CHANGE_ALTER_TYPE:
				{
					Oid			oldtype,
								newtype;
					int32		oldtypmod,
								newtypmod;
					char	   *using_sql;
					char	   *from,
							   *to;

					if (!guard_type_change_target(change, &oldtype, &oldtypmod,
												  &newtype, &newtypmod) ||
						!guard_type_change_rewrites(st, change, &using_sql))
						break;
					from = format_type_with_typemod(oldtype, oldtypmod);
					to = format_type_with_typemod(newtype, newtypmod);
					report(st, change,
						   psprintf("changing the type of column \"%s\" to %s",
									change->colname, to),
						   psprintf("Changing %s to %s%s is not binary-coercible", from, to,
									using_sql ? " with USING" : ""),
						   guard_expand_contract_hint(rel, change->colname, to, using_sql,
													  "Change the type online"));
					break;
				}
			case CHANGE_ADD_COLUMN:
				{
					const char *why = guard_add_column_rewrites(st, change, &hint);

					if (why)
						report(st, change,
							   psprintf("adding column \"%s\"", change->colname),
							   psprintf("The new column needs a value stored in every row: %s", why),
							   hint);
					break;
				}
			case CHANGE_SET_PERSISTENCE:
				report(st, change,
					   ((AlterTableCmd *) change->node)->subtype == AT_SetLogged
					   ? "SET LOGGED" : "SET UNLOGGED",
					   "Changing persistence copies the table",
					   psprintf("There is no online form; run it when the table may be locked for the copy, waiting for the lock at most a few seconds:\n"
								"SET lock_timeout = '5s';\n%s",
								guard_statement_sql(st->text)));
				break;
			case CHANGE_SET_ACCESS_METHOD:
			case CHANGE_SET_TABLESPACE:
				report(st, change,
					   change->kind == CHANGE_SET_TABLESPACE ? "SET TABLESPACE" : "SET ACCESS METHOD",
					   change->kind == CHANGE_SET_TABLESPACE
					   ? "Moving to another tablespace copies the table's data files"
					   : "Changing the access method copies every row",
					   psprintf("Move the data online with pg_repack (%s), or run it when the table may be locked, waiting for the lock at most a few seconds:\n"
								"SET lock_timeout = '5s';\n%s",
								change->kind == CHANGE_SET_TABLESPACE ? "--tablespace" : "a new table filled in batches",
								guard_statement_sql(st->text)));
				break;
			case CHANGE_VACUUM_FULL:
				report(st, change, "VACUUM FULL",
					   "VACUUM FULL copies the table to give its free space back",
					   psprintf("A plain VACUUM makes the space reusable without blocking; pg_repack gives it back to the operating system online:\n"
								"VACUUM (VERBOSE) %s;", rel->sql_name));
				break;
			case CHANGE_CLUSTER:
				report(st, change, "CLUSTER",
					   "CLUSTER copies the table in index order",
					   psprintf("pg_repack --order-by reorders a table online; to keep reads fast meanwhile, refresh the statistics instead:\n"
								"ANALYZE %s;", rel->sql_name));
				break;
			default:
				break;
		}
	}
}

/*-------------------------------------------------------------------------
 *
 * full_scan_under_lock.c
 *	  Rule full-scan-under-lock: a command that reads every row of a large
 *	  table to check it, while holding a lock that blocks writes (or reads).
 *
 * SET NOT NULL scans unless a validated CHECK constraint already proves
 * the column has no null, which is tested the way ALTER TABLE tests it
 * (NotNullImpliedByRelConstraints: predicate_implied_by over the validated
 * CHECK constraints, for every table the command reaches).  ADD CHECK and
 * ADD FOREIGN KEY scan unless NOT VALID; ADD UNIQUE / PRIMARY KEY build an
 * index under ACCESS EXCLUSIVE unless USING INDEX, and a primary key over a
 * nullable column scans for nulls.  ADD COLUMN with constraints of its own
 * is checked the same way (and NOT NULL without a default fails on a table
 * with rows).  ALTER DOMAIN ADD CONSTRAINT (and SET NOT NULL) scans every
 * table with a column of the domain.  ATTACH PARTITION scans the table it
 * attaches, and the parent's default partition, unless their validated
 * constraints prove the bound (tested as ALTER TABLE tests it).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "catalog/dependency.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_index.h"
#include "catalog/pg_type.h"
#include "commands/tablecmds.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "parser/parse_coerce.h"
#include "parser/parse_expr.h"
#include "parser/parse_node.h"
#include "parser/parse_type.h"
#include "parser/parse_utilcmd.h"
#include "partitioning/partbounds.h"
#include "optimizer/optimizer.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/partcache.h"
#include "utils/ruleutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "guard/guard.h"

/* What a table's constraints say about a predicate */
typedef enum Proof
{
	NOT_PROVEN = 0,
	PROVEN,
	UNDECIDED					/* only folding user code could tell */
} Proof;

/*
 * Do one table's validated CHECK constraints prove the column NOT NULL?
 * Tested as ALTER TABLE tests it (NotNullImpliedByRelConstraints), without
 * running user code (guard_constraints_imply).
 */
static Proof
member_proves_not_null(Oid relid, const char *colname)
{
	Relation	rel;
	AttrNumber	attnum;
	Form_pg_attribute att;
	Proof		result;
	bool		undecided;

	if (!ConditionalLockRelationOid(relid, AccessShareLock))
		return NOT_PROVEN;
	rel = relation_open(relid, NoLock);
	attnum = get_attnum(relid, colname);
	if (attnum <= 0)
		result = NOT_PROVEN;
	else if ((att = TupleDescAttr(RelationGetDescr(rel), attnum - 1))->attnotnull)
		result = PROVEN;
	else
		result = guard_constraints_imply(rel, list_make1(guard_not_null_test(att)),
										 false, &undecided)
			? PROVEN : undecided ? UNDECIDED : NOT_PROVEN;
	relation_close(rel, NoLock);
	UnlockRelationOid(relid, AccessShareLock);
	return result;
}

/* The proof for every table under rel that holds rows. */
static Proof
not_null_proof(GuardRelation *rel, const char *colname)
{
	ListCell   *lc;
	Proof		result = PROVEN;

	foreach(lc, rel->member_oids)
	{
		Oid			member = lfirst_oid(lc);
		Proof		proof;

		if (get_rel_relkind(member) == RELKIND_PARTITIONED_TABLE)
			continue;			/* holds no row */
		proof = member_proves_not_null(member, colname);
		if (proof == NOT_PROVEN)
			return NOT_PROVEN;
		if (proof == UNDECIDED)
			result = UNDECIDED;
	}
	return result;
}

static bool
proves_not_null(GuardRelation *rel, const char *colname)
{
	return not_null_proof(rel, colname) == PROVEN;
}

/* The CHECK, VALIDATE, SET NOT NULL, DROP CHECK recipe for one column. */
static char *
not_null_recipe(GuardRelation *rel, const char *colname)
{
	const char *name = quote_identifier(guard_choose_constraint_name(rel, colname, "not_null"));
	const char *col = quote_identifier(colname);

	return psprintf("ALTER TABLE %s ADD CONSTRAINT %s CHECK (%s IS NOT NULL) NOT VALID;\n"
					"ALTER TABLE %s VALIDATE CONSTRAINT %s;\n"
					"ALTER TABLE %s ALTER COLUMN %s SET NOT NULL;\n"
					"ALTER TABLE %s DROP CONSTRAINT %s;",
					rel->sql_name, name, col,
					rel->sql_name, name,
					rel->sql_name, col,
					rel->sql_name, name);
}

static char *
name_list(List *names)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, names)
		appendStringInfo(&buf, "%s%s", foreach_current_index(lc) ? ", " : "",
						 quote_identifier(strVal(lfirst(lc))));
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

/* The table a FOREIGN KEY references, as a hint writes it. */
static char *
referenced_table_sql(Constraint *con)
{
	Oid			pkrelid = RangeVarGetRelid(con->pktable, NoLock, true);

	if (OidIsValid(pkrelid))
		return quote_qualified_identifier(get_namespace_name(get_rel_namespace(pkrelid)),
										  get_rel_name(pkrelid));
	return con->pktable->schemaname
		? quote_qualified_identifier(con->pktable->schemaname, con->pktable->relname)
		: pstrdup(quote_identifier(con->pktable->relname));
}

/* ADD CONSTRAINT ... FOREIGN KEY ... NOT VALID, then VALIDATE. */
static char *
foreign_key_recipe(GuardRelation *rel, Constraint *con, const char *name,
				   List *fk_attrs, const char *pkname)
{
	StringInfoData sql;
	const char *action;

	initStringInfo(&sql);
	appendStringInfo(&sql, "ALTER TABLE %s ADD CONSTRAINT %s FOREIGN KEY (%s) REFERENCES %s",
					 rel->sql_name, name, name_list(fk_attrs), pkname);
	if (con->pk_attrs)
		appendStringInfo(&sql, " (%s)", name_list(con->pk_attrs));
	if (con->fk_matchtype == FKCONSTR_MATCH_FULL)
		appendStringInfoString(&sql, " MATCH FULL");
	if ((action = fk_action(con->fk_upd_action)) != NULL)
		appendStringInfo(&sql, " ON UPDATE %s", action);
	if ((action = fk_action(con->fk_del_action)) != NULL)
		appendStringInfo(&sql, " ON DELETE %s", action);
	if (con->deferrable)
		appendStringInfo(&sql, " DEFERRABLE%s",
						 con->initdeferred ? " INITIALLY DEFERRED" : "");
	appendStringInfo(&sql, " NOT VALID;\nALTER TABLE %s VALIDATE CONSTRAINT %s;",
					 rel->sql_name, name);
	return sql.data;
}

static void
report(GuardStatement *st, GuardChange *change, const char *what, const char *why,
	   char *hint)
{
	guard_add_finding(st, RULE_FULL_SCAN_UNDER_LOCK,
					  psprintf("%s scans table \"%s.%s\" under lock", what,
							   change->rel->nspname, change->rel->relname),
					  psprintf("%s %s It reads every row while holding %s, %s, for as long as the scan takes.",
							   guard_size_evidence(change->rel), why,
							   guard_lock_phrase(change->lockmode),
							   guard_lock_effect(change->lockmode)),
					  hint);
}

/*
 * cannot_judge
 *		A note that the scan cannot be judged without running user code:
 *		what it would cost if it happens, and why the guard cannot tell.
 */
static void
cannot_judge(GuardStatement *st, GuardChange *change, const char *what,
			 const char *why)
{
	guard_add_note(st, RULE_FULL_SCAN_UNDER_LOCK,
				   psprintf("%s may scan table \"%s.%s\" under lock: cannot judge without running user code",
							what, change->rel->nspname, change->rel->relname),
				   psprintf("%s %s If it does, it reads every row while holding %s, %s.",
							guard_size_evidence(change->rel), why,
							guard_lock_phrase(change->lockmode),
							guard_lock_effect(change->lockmode)),
				   NULL);
}

static void
add_constraint(GuardStatement *st, GuardChange *change)
{
	Constraint *con = castNode(Constraint, ((AlterTableCmd *) change->node)->def);
	GuardRelation *rel = change->rel;

	switch (con->contype)
	{
		case CONSTR_CHECK:
			{
				const char *name;
				char	   *expr;

				if (con->skip_validation)
					return;
				name = quote_identifier(con->conname ? con->conname
										: guard_choose_constraint_name(rel, NULL, "check"));
				expr = guard_paren_text(st->source, con->location);
				if (expr == NULL)
					return;
				report(st, change, "adding a CHECK constraint",
					   "Without NOT VALID the constraint is checked against every existing row.",
					   psprintf("Add it NOT VALID (new rows are checked at once), then validate it, which takes a lock that lets reads and writes go on:\n"
								"ALTER TABLE %s ADD CONSTRAINT %s CHECK %s NOT VALID;\n"
								"ALTER TABLE %s VALIDATE CONSTRAINT %s;",
								rel->sql_name, name, expr, rel->sql_name, name));
				return;
			}
		case CONSTR_FOREIGN:
			{
				const char *name;
				char	   *pkname;

				if (con->skip_validation)
					return;
				pkname = referenced_table_sql(con);
				name = quote_identifier(con->conname ? con->conname
										: guard_choose_constraint_name(rel,
																	   strVal(linitial(con->fk_attrs)),
																	   "fkey"));
				change->lockmode = ShareRowExclusiveLock;
				report(st, change, "adding a FOREIGN KEY",
					   psprintf("Without NOT VALID every existing row is looked up in %s; the referenced table is locked too.",
								pkname),
					   psprintf("Add it NOT VALID (new rows are checked at once), then validate it, which lets reads and writes go on:\n%s",
								foreign_key_recipe(rel, con, name, con->fk_attrs, pkname)));
				return;
			}
		case CONSTR_PRIMARY:
		case CONSTR_UNIQUE:
			{
				bool		primary = (con->contype == CONSTR_PRIMARY);
				const char *name;
				StringInfoData sql;
				ListCell   *lc;

				if (con->indexname)
				{
					/* USING INDEX: only a primary key over nullable columns scans */
					Oid			indexid;
					HeapTuple	tuple;
					Form_pg_index index;
					StringInfoData recipe;
					bool		scans = false;

					if (!primary)
						return;
					indexid = get_relname_relid(con->indexname, get_rel_namespace(rel->relid));
					if (!OidIsValid(indexid) ||
						!HeapTupleIsValid(tuple = SearchSysCache1(INDEXRELID,
																  ObjectIdGetDatum(indexid))))
						return;
					index = (Form_pg_index) GETSTRUCT(tuple);
					initStringInfo(&recipe);
					for (int i = 0; i < index->indnkeyatts; i++)
					{
						char	   *colname = get_attname(rel->relid, index->indkey.values[i], true);

						if (colname && !proves_not_null(rel, colname))
						{
							appendStringInfo(&recipe, "%s\n", not_null_recipe(rel, colname));
							scans = true;
						}
					}
					ReleaseSysCache(tuple);
					if (scans)
						report(st, change, "adding a PRIMARY KEY over nullable columns",
							   "A primary key makes its columns NOT NULL, and that is checked against every existing row.",
							   psprintf("Prove the columns NOT NULL first with validated CHECK constraints:\n%s%s",
										recipe.data, guard_statement_sql(st->text)));
					return;
				}
				name = con->conname ? con->conname
					: guard_choose_relation_name(rel, primary ? NULL : strVal(linitial(con->keys)),
												 primary ? "pkey" : "key", true);
				initStringInfo(&sql);
				if (primary)
				{
					foreach(lc, con->keys)
					{
						if (!proves_not_null(rel, strVal(lfirst(lc))))
							appendStringInfo(&sql, "%s\n", not_null_recipe(rel, strVal(lfirst(lc))));
					}
				}
				appendStringInfo(&sql, "CREATE UNIQUE INDEX CONCURRENTLY %s ON %s (%s)",
								 quote_identifier(name), rel->sql_name, name_list(con->keys));
				if (con->including)
					appendStringInfo(&sql, " INCLUDE (%s)", name_list(con->including));
				appendStringInfo(&sql, ";\nALTER TABLE %s ADD CONSTRAINT %s %s USING INDEX %s;",
								 rel->sql_name, quote_identifier(name),
								 primary ? "PRIMARY KEY" : "UNIQUE", quote_identifier(name));
				report(st, change, primary ? "adding a PRIMARY KEY" : "adding a UNIQUE constraint",
					   "Its index is built from every existing row.",
					   psprintf("Build the index CONCURRENTLY (reads and writes go on), then attach it:\n%s",
								sql.data));
				return;
			}
		case CONSTR_EXCLUSION:
			if (con->indexname)
				return;
			report(st, change, "adding an EXCLUDE constraint",
				   "Its index is built from every existing row.",
				   psprintf("PostgreSQL cannot attach an exclusion constraint to an index built CONCURRENTLY; run it when the table may be locked, waiting for the lock at most a few seconds:\n"
							"SET lock_timeout = '5s';\n%s", guard_statement_sql(st->text)));
			return;
		default:
			return;
	}
}

/*
 * column_sql
 *		The new column as a hint adds it, without its constraints: name,
 *		type, collation and default.
 */
static char *
column_sql(GuardStatement *st, ColumnDef *def, Node *raw_default)
{
	Oid			typid;
	int32		typmod;
	StringInfoData sql;

	if (raw_default && IsA(raw_default, A_Const) && ((A_Const *) raw_default)->isnull)
		raw_default = NULL;		/* DEFAULT NULL: no default */
	typenameTypeIdAndMod(NULL, def->typeName, &typid, &typmod);
	initStringInfo(&sql);
	appendStringInfo(&sql, "%s %s", quote_identifier(def->colname),
					 format_type_with_typemod(typid, typmod));
	if (def->collClause)
		appendStringInfo(&sql, " COLLATE %s",
						 NameListToQuotedString(def->collClause->collname));
	if (raw_default)
	{
		ParseState *pstate = make_parsestate(NULL);
		Node	   *expr;

		pstate->p_sourcetext = st->source;
		expr = transformExpr(pstate, copyObject(raw_default), EXPR_KIND_COLUMN_DEFAULT);
		expr = coerce_to_target_type(pstate, expr, exprType(expr), typid, typmod,
									 COERCION_ASSIGNMENT, COERCE_IMPLICIT_CAST, -1);
		if (expr)
			appendStringInfo(&sql, " DEFAULT %s", deparse_expression(expr, NIL, false, false));
	}
	return sql.data;
}

/*
 * foreign_keys_validated
 *		Does ALTER TABLE validate the foreign keys that ADD COLUMN clauses
 *		declare?  Not when the new columns are null in every row -- unless
 *		any of its ADD COLUMNs has a default or it adds a FOREIGN KEY
 *		constraint (transformAlterTableStmt's skipValidation).
 */
static bool
foreign_keys_validated(AlterTableStmt *stmt)
{
	ListCell   *lc;

	foreach(lc, stmt->cmds)
	{
		AlterTableCmd *cmd = lfirst(lc);
		ListCell   *lcon;

		if (cmd->subtype == AT_AddConstraint &&
			castNode(Constraint, cmd->def)->contype == CONSTR_FOREIGN)
			return true;
		if (cmd->subtype != AT_AddColumn)
			continue;
		foreach(lcon, castNode(ColumnDef, cmd->def)->constraints)
		{
			if (castNode(Constraint, lfirst(lcon))->contype == CONSTR_DEFAULT)
				return true;
		}
	}
	return false;
}

/*
 * add_column
 *		ADD COLUMN with constraints of its own.  Unless the new column makes
 *		ALTER TABLE rewrite the table (table-rewrite's finding: the
 *		constraints are then checked in that same pass), they are checked in
 *		a scan under ACCESS EXCLUSIVE: NOT NULL (or PRIMARY KEY) on a column
 *		that has no value in the existing rows -- which fails at the first
 *		row --, CHECK, UNIQUE and PRIMARY KEY (an index build), and
 *		REFERENCES when foreign_keys_validated().
 */
static void
add_column(GuardStatement *st, GuardChange *change)
{
	ColumnDef  *def = castNode(ColumnDef, castNode(AlterTableCmd, change->node)->def);
	GuardRelation *rel = change->rel;
	const char *col = quote_identifier(def->colname);
	Node	   *raw_default = NULL;
	bool		not_null = def->is_not_null;
	bool		null_in_rows;
	char	   *column;
	Oid			typid;
	int32		typmod;
	ListCell   *lc;

	if (def->constraints == NIL && !def->is_not_null)
		return;
	if (guard_add_column_rewrites(st, change, NULL) != NULL)
		return;
	foreach(lc, def->constraints)
	{
		Constraint *con = lfirst(lc);

		if (con->contype == CONSTR_DEFAULT)
			raw_default = con->raw_expr;
		else if (con->contype == CONSTR_NOTNULL || con->contype == CONSTR_PRIMARY)
			not_null = true;
	}
	typenameTypeIdAndMod(NULL, def->typeName, &typid, &typmod);
	null_in_rows = raw_default
		? IsA(raw_default, A_Const) && ((A_Const *) raw_default)->isnull
		: get_typdefault(typid) == NULL;
	column = column_sql(st, def, raw_default);

	if (not_null && null_in_rows)
	{
		guard_add_finding(st, RULE_FULL_SCAN_UNDER_LOCK,
						  psprintf("adding column \"%s\" NOT NULL without a default fails on table \"%s.%s\"",
								   def->colname, rel->nspname, rel->relname),
						  psprintf("%s The new column is null in every existing row, so the NOT NULL check fails at the first row it reads, after waiting for %s, %s: the statement cannot succeed while the table has rows.",
								   guard_size_evidence(rel), guard_lock_phrase(change->lockmode),
								   guard_lock_effect(change->lockmode)),
						  psprintf("Give the column a constant default (stored once, no scan: ADD COLUMN %s NOT NULL DEFAULT ...), or add it nullable, fill it in batches, then prove it NOT NULL with a validated CHECK constraint:\n"
								   "ALTER TABLE %s ADD COLUMN %s;\n"
								   "-- fill %s in every row, in batches, then:\n%s",
								   column, rel->sql_name, column, col,
								   not_null_recipe(rel, def->colname)));
		return;
	}

	foreach(lc, def->constraints)
	{
		Constraint *con = lfirst(lc);

		switch (con->contype)
		{
			case CONSTR_CHECK:
				{
					char	   *expr = guard_paren_text(st->source, con->location);
					const char *name;

					if (expr == NULL)
						break;
					name = quote_identifier(con->conname ? con->conname
											: guard_choose_constraint_name(rel, def->colname, "check"));
					report(st, change,
						   psprintf("adding column \"%s\" with a CHECK constraint", def->colname),
						   "The constraint is checked against every existing row.",
						   psprintf("Add the column, then the constraint NOT VALID (new rows are checked at once), then validate it, which lets reads and writes go on:\n"
									"ALTER TABLE %s ADD COLUMN %s;\n"
									"ALTER TABLE %s ADD CONSTRAINT %s CHECK %s NOT VALID;\n"
									"ALTER TABLE %s VALIDATE CONSTRAINT %s;",
									rel->sql_name, column, rel->sql_name, name, expr,
									rel->sql_name, name));
					break;
				}
			case CONSTR_UNIQUE:
			case CONSTR_PRIMARY:
				{
					bool		primary = (con->contype == CONSTR_PRIMARY);
					const char *name = quote_identifier(con->conname ? con->conname
														: guard_choose_relation_name(rel,
																					 primary ? NULL : def->colname,
																					 primary ? "pkey" : "key", true));

					report(st, change,
						   psprintf("adding column \"%s\" with a %s", def->colname,
									primary ? "PRIMARY KEY" : "UNIQUE constraint"),
						   "Its index is built from every existing row.",
						   psprintf("Add the column, build the index CONCURRENTLY (reads and writes go on), then attach it:\n"
									"ALTER TABLE %s ADD COLUMN %s;\n"
									"CREATE UNIQUE INDEX CONCURRENTLY %s ON %s (%s);\n"
									"ALTER TABLE %s ADD CONSTRAINT %s %s USING INDEX %s;",
									rel->sql_name, column, name, rel->sql_name, col,
									rel->sql_name, name, primary ? "PRIMARY KEY" : "UNIQUE", name));
					break;
				}
			case CONSTR_FOREIGN:
				{
					char	   *pkname;
					const char *name;

					if (!foreign_keys_validated(castNode(AlterTableStmt, st->parsetree)))
						break;
					pkname = referenced_table_sql(con);
					name = quote_identifier(con->conname ? con->conname
											: guard_choose_constraint_name(rel, def->colname, "fkey"));
					report(st, change,
						   psprintf("adding column \"%s\" with a FOREIGN KEY", def->colname),
						   psprintf("With a default in the statement the key is validated: every existing row is looked up in %s; the referenced table is locked too.",
									pkname),
						   psprintf("Add the column, then the key NOT VALID (new rows are checked at once), then validate it, which lets reads and writes go on:\n"
									"ALTER TABLE %s ADD COLUMN %s;\n%s",
									rel->sql_name, column,
									foreign_key_recipe(rel, con, name,
													   list_make1(makeString(def->colname)),
													   pkname)));
					break;
				}
			default:
				break;
		}
	}
}

/*
 * implied_by_constraints
 *		Do the validated constraints of every table under rel that holds
 *		rows prove qual (in the attribute numbers of parent)?  ALTER TABLE's
 *		own test (PartConstraintImpliedByRelConstraint), table by table as
 *		QueuePartitionConstraintValidation goes, without running user code
 *		(UNDECIDED: only folding a constraint's user code could tell).  A
 *		table someone else holds locked counts as not proven.
 */
static Proof
implied_by_constraints(Relation parent, GuardRelation *rel, List *qual)
{
	ListCell   *lc;
	Proof		result = PROVEN;

	foreach(lc, rel->member_oids)
	{
		Oid			member = lfirst_oid(lc);
		Relation	r;
		bool		implied;
		bool		undecided;

		if (get_rel_relkind(member) == RELKIND_PARTITIONED_TABLE)
			continue;			/* holds no row */
		if (!ConditionalLockRelationOid(member, AccessShareLock))
			return NOT_PROVEN;
		r = relation_open(member, NoLock);
		implied = guard_constraints_imply(r, map_partition_varattnos(qual, 1, r, parent),
										  true, &undecided);
		relation_close(r, NoLock);
		UnlockRelationOid(member, AccessShareLock);
		if (!implied && !undecided)
			return NOT_PROVEN;
		if (!implied)
			result = UNDECIDED;
	}
	return result;
}

/*
 * could_prove_anything
 *		Has any table under rel that holds rows a validated CHECK constraint
 *		or a NOT NULL column, with which ALTER TABLE could prove a partition
 *		bound?  A table someone else holds locked counts as not.
 */
static bool
could_prove_anything(GuardRelation *rel)
{
	ListCell   *lc;

	foreach(lc, rel->member_oids)
	{
		Oid			member = lfirst_oid(lc);
		Relation	r;
		TupleConstr *constr;
		bool		result = false;

		if (get_rel_relkind(member) == RELKIND_PARTITIONED_TABLE ||
			!ConditionalLockRelationOid(member, AccessShareLock))
			continue;
		r = relation_open(member, NoLock);
		constr = RelationGetDescr(r)->constr;
		for (int i = 0; constr && i < constr->num_check; i++)
			result |= constr->check[i].ccvalid;
		if (constr && constr->has_not_null)
			result = true;
		relation_close(r, NoLock);
		UnlockRelationOid(member, AccessShareLock);
		if (result)
			return true;
	}
	return false;
}

/*
 * default_constraint
 *		The constraint the default partition must satisfy once a partition
 *		with this bound qual exists: get_proposed_default_constraint(),
 *		simplified only if that runs no user code (NIL if it would).
 */
static List *
default_constraint(List *bound_qual)
{
	Expr	   *expr = makeBoolExpr(NOT_EXPR, list_make1(make_ands_explicit(bound_qual)), -1);
	Node	   *simplified = guard_simplify((Node *) expr, false);

	if (simplified == NULL)
		return NIL;
	return make_ands_implicit(canonicalize_qual((Expr *) simplified, true));
}

/*
 * bound_unknown
 *		Why the partition bound's values cannot be worked out without
 *		running user code (or a function with side effects), or NULL when
 *		transformPartitionBound() can evaluate every one of them with the
 *		server's own immutable functions.  Each value is transformed and
 *		coerced to the key column's type as transformPartitionBoundValue()
 *		does, and only looked at.
 */
static char *
bound_value_unknown(ParseState *pstate, PartitionKey key, int col, Node *raw)
{
	Node	   *value;
	char	   *why;

	/* MINVALUE and MAXVALUE of a range come as column references */
	if (IsA(raw, ColumnRef) && list_length(((ColumnRef *) raw)->fields) == 1 &&
		IsA(linitial(((ColumnRef *) raw)->fields), String) &&
		(strcmp(strVal(linitial(((ColumnRef *) raw)->fields)), "minvalue") == 0 ||
		 strcmp(strVal(linitial(((ColumnRef *) raw)->fields)), "maxvalue") == 0))
		return NULL;
	if (col >= get_partition_natts(key))
		return NULL;			/* the statement fails */
	value = transformExpr(pstate, copyObject(raw), EXPR_KIND_PARTITION_BOUND);
	value = coerce_to_target_type(pstate, value, exprType(value),
								  get_partition_col_typid(key, col),
								  get_partition_col_typmod(key, col),
								  COERCION_ASSIGNMENT, COERCE_IMPLICIT_CAST, -1);
	if (value == NULL || IsA(value, Const) || guard_expr_evaluable(value, &why))
		return NULL;
	return why;
}

static char *
bound_unknown(ParseState *pstate, Relation parent, PartitionBoundSpec *spec)
{
	PartitionKey key = RelationGetPartitionKey(parent);
	ListCell   *lc;
	char	   *why = NULL;

	if (spec->is_default)
		return NULL;
	if (spec->strategy == PARTITION_STRATEGY_LIST)
		foreach(lc, spec->listdatums)
		{
			if ((why = bound_value_unknown(pstate, key, 0, lfirst(lc))) != NULL)
				return why;
		}
	else if (spec->strategy == PARTITION_STRATEGY_RANGE)
	{
		foreach(lc, spec->lowerdatums)
		{
			if ((why = bound_value_unknown(pstate, key, foreach_current_index(lc),
										   lfirst(lc))) != NULL)
				return why;
		}
		foreach(lc, spec->upperdatums)
		{
			if ((why = bound_value_unknown(pstate, key, foreach_current_index(lc),
										   lfirst(lc))) != NULL)
				return why;
		}
	}
	return NULL;				/* hash: modulus and remainder are integers */
}

/*
 * check_sql
 *		qual (one expression, in the attribute numbers of parent) as the
 *		text of a CHECK constraint on the table rel; NULL if that table is
 *		locked by someone else.
 */
static char *
check_sql(Relation parent, GuardRelation *rel, List *qual)
{
	Relation	r;
	char	   *sql;

	if (!ConditionalLockRelationOid(rel->relid, AccessShareLock))
		return NULL;
	r = relation_open(rel->relid, NoLock);
	sql = deparse_expression(linitial(map_partition_varattnos(qual, 1, r, parent)),
							 deparse_context_for(RelationGetRelationName(r), rel->relid),
							 false, false);
	relation_close(r, NoLock);
	UnlockRelationOid(rel->relid, AccessShareLock);
	return sql;
}

/* Prove qual with a validated CHECK on rel, then run the statement. */
static char *
proven_attach_recipe(GuardStatement *st, Relation parent, GuardRelation *rel,
					 List *qual, const char *intro)
{
	char	   *expr = check_sql(parent, rel, qual);
	char	   *whole;
	const char *name;

	if (expr == NULL)
		return NULL;
	name = quote_identifier(guard_choose_constraint_name(rel, NULL, "bound"));
	/* deparsed whole in parentheses already, as a CHECK wants it */
	whole = (expr[0] == '(') ? guard_paren_text(expr, 0) : NULL;
	if (whole == NULL || strlen(whole) != strlen(expr))
		expr = psprintf("(%s)", expr);
	return psprintf("%s:\n"
					"ALTER TABLE %s ADD CONSTRAINT %s CHECK %s NOT VALID;\n"
					"ALTER TABLE %s VALIDATE CONSTRAINT %s;\n"
					"%s\n"
					"ALTER TABLE %s DROP CONSTRAINT %s;",
					intro, rel->sql_name, name, expr, rel->sql_name, name,
					guard_statement_sql(st->text), rel->sql_name, name);
}

/*
 * attach_partition
 *		ATTACH PARTITION (and CREATE TABLE ... PARTITION OF, which attaches
 *		a new, empty table) reads every row of the table it attaches, under
 *		ACCESS EXCLUSIVE, to check it fits the partition bound -- unless
 *		that table's validated constraints prove the bound; and, when the
 *		parent has a default partition, every row of that one, under ACCESS
 *		EXCLUSIVE too, to check none belongs in the new partition -- unless
 *		its constraints prove it.  Bounds and constraints are worked out as
 *		ALTER TABLE works them out (ATExecAttachPartition).  No partition
 *		key built here, with the trap of user_code.c armed, stays in the
 *		relcache (guard_partition_keys_unbuilt).
 */
static void
attach_partition(GuardStatement *st, GuardChange *change)
{
	Oid			parentid = change->object.objectId;
	GuardRelation *part = change->rel;
	GuardRelation *def = NULL;
	PartitionBoundSpec *spec;
	RangeVar   *partrv;
	char	   *what;
	Oid			defaultid;
	Relation	parent;
	ParseState *pstate;
	PartitionBoundSpec *bound;
	List	   *bound_qual;
	List	   *qual;
	char	   *unknown;
	List	   *unbuilt;
	bool		part_large = guard_relation_large(part);

	if (IsA(change->node, CreateStmt))
	{
		spec = ((CreateStmt *) change->node)->partbound;
		partrv = ((CreateStmt *) change->node)->relation;
	}
	else
	{
		PartitionCmd *cmd = castNode(PartitionCmd, castNode(AlterTableCmd, change->node)->def);

		spec = cmd->bound;
		partrv = cmd->name;
	}
	what = psprintf("%s partition \"%s\"",
					IsA(change->node, CreateStmt) ? "creating" : "attaching",
					part ? psprintf("%s.%s", part->nspname, part->relname)
					: psprintf("%s.%s", partrv->schemaname ? partrv->schemaname
							   : get_namespace_name(RangeVarGetCreationNamespace(partrv)),
							   partrv->relname));
	if (!spec->is_default &&
		OidIsValid(defaultid = get_default_partition_oid(parentid)) &&
		(part == NULL || defaultid != part->relid))
		def = guard_relation(st, defaultid, true);
	if (!part_large && !guard_relation_large(def))
		return;
	if (def && !guard_schema_usable(get_rel_namespace(def->relid)))
	{
		/* its name and evidence are not the caller's to see */
		st->withheld++;
		def = NULL;
		if (!part_large)
			return;
	}
	if (!ConditionalLockRelationOid(parentid, AccessShareLock))
		return;
	unbuilt = guard_partition_keys_unbuilt(parentid);
	parent = relation_open(parentid, NoLock);
	pstate = make_parsestate(NULL);
	pstate->p_sourcetext = st->source;

	/*
	 * A bound whose value takes user code to compute (or a function with
	 * side effects) is not evaluated: a table is then read for certain only
	 * if it has nothing that could prove any bound.
	 */
	if ((unknown = bound_unknown(pstate, parent, spec)) != NULL)
	{
		char	   *why = psprintf("The partition bound is not evaluated by the guard: %s.", unknown);
		const char *hint = "Write the partition bound with constants: the guard then gives the CHECK constraint that proves it, added NOT VALID and validated first (reads and writes go on), after which the scan is skipped.";

		for (int i = 0; i < 2; i++)
		{
			GuardChange scan = *change;

			scan.rel = (i == 0) ? (part_large ? part : NULL) : def;
			if (scan.rel == NULL || (i == 1 && !guard_relation_large(def)))
				continue;
			if (could_prove_anything(scan.rel))
				cannot_judge(st, &scan, what,
							 psprintf("%s Only its value tells whether the table's validated constraints prove %s.",
									  why, i == 0 ? "that its rows fit the bound"
									  : "that none of its rows belongs in the new partition"));
			else
				report(st, &scan, what,
					   psprintf("%s %s, and the table has no validated CHECK constraint or NOT NULL column that could prove anything, so every row is checked.",
								why, i == 0 ? "Its rows must fit the bound"
								: psprintf("It is the default partition of %s: none of its rows may belong in the new partition", change->object_name)),
					   pstrdup(hint));
		}
		relation_close(parent, NoLock);
		UnlockRelationOid(parentid, AccessShareLock);
		guard_forget_partition_keys(unbuilt);
		return;
	}
	bound = transformPartitionBound(pstate, parent, copyObject(spec));
	bound_qual = get_qual_from_partbound(parent, bound);
	qual = list_concat_copy(bound_qual, RelationGetPartitionQual(parent));

	if (part_large && qual != NIL)
	{
		Node	   *simplified = guard_simplify((Node *) qual, false);
		List	   *check = simplified ? list_make1(make_ands_explicit((List *) simplified)) : NIL;
		Proof		proof = check ? implied_by_constraints(parent, part, check) : UNDECIDED;

		if (proof == UNDECIDED)
			cannot_judge(st, change, what,
						 "Its validated constraints, or the partition key, call a function that PostgreSQL folds to a constant when it looks for a proof that the rows fit the bound; the guard does not run it.");
		else if (proof == NOT_PROVEN)
			report(st, change,
				   what,
				   psprintf("No validated CHECK constraint proves its rows fit the partition bound of %s, so every row is checked.",
							change->object_name),
				   proven_attach_recipe(st, parent, part, check,
										"Prove the bound first with a CHECK constraint added NOT VALID and validated (reads and writes go on); ATTACH PARTITION then skips the scan"));
	}
	if (guard_relation_large(def))
	{
		List	   *check = default_constraint(bound_qual);
		Proof		proof = check ? implied_by_constraints(parent, def, check) : UNDECIDED;
		GuardChange scan = *change;

		scan.rel = def;
		if (proof == UNDECIDED)
			cannot_judge(st, &scan, what,
						 psprintf("It is the default partition of %s. Its validated constraints, or the partition key, call a function that PostgreSQL folds to a constant when it looks for a proof that none of its rows belongs in the new partition; the guard does not run it.",
								  change->object_name));
		else if (proof == NOT_PROVEN)
			report(st, &scan,
				   what,
				   psprintf("It is the default partition of %s: every row is checked not to belong in the new partition (one that does makes the statement fail).",
							change->object_name),
				   proven_attach_recipe(st, parent, def, check,
										psprintf("Prove first that no row of the default partition belongs in the new one, with a CHECK constraint added NOT VALID and validated (reads and writes go on; move any such row out first); %s then skips the scan",
												 IsA(change->node, CreateStmt) ? "CREATE TABLE" : "ATTACH PARTITION")));
	}
	relation_close(parent, NoLock);
	UnlockRelationOid(parentid, AccessShareLock);
	guard_forget_partition_keys(unbuilt);
}

/* The tables with a column of the domain (or of an array over it). */
static List *
domain_tables(Oid typid)
{
	Relation	depend = table_open(DependRelationId, AccessShareLock);
	ScanKeyData keys[2];
	SysScanDesc scan;
	HeapTuple	tuple;
	List	   *result = NIL;

	ScanKeyInit(&keys[0], Anum_pg_depend_refclassid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(TypeRelationId));
	ScanKeyInit(&keys[1], Anum_pg_depend_refobjid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(typid));
	scan = systable_beginscan(depend, DependReferenceIndexId, true, NULL, 2, keys);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_depend dep = (Form_pg_depend) GETSTRUCT(tuple);
		char		relkind;

		if (dep->classid != RelationRelationId || dep->objsubid <= 0)
			continue;
		relkind = get_rel_relkind(dep->objid);
		if (relkind == RELKIND_RELATION || relkind == RELKIND_MATVIEW)
			result = list_append_unique_oid(result, dep->objid);
	}
	systable_endscan(scan);
	table_close(depend, AccessShareLock);
	return result;
}

static void
domain_constraint(GuardStatement *st, GuardChange *change)
{
	AlterDomainStmt *stmt = castNode(AlterDomainStmt, change->node);
	ListCell   *lc;
	StringInfoData tables;
	int64		bytes = 0;
	int			nlarge = 0;
	char	   *hint;
	HeapTuple	typtup;
	char	   *typname;
	Oid			nspid;

	typtup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(change->object.objectId));
	if (!HeapTupleIsValid(typtup))
		return;
	typname = pstrdup(NameStr(((Form_pg_type) GETSTRUCT(typtup))->typname));
	nspid = ((Form_pg_type) GETSTRUCT(typtup))->typnamespace;
	ReleaseSysCache(typtup);

	initStringInfo(&tables);
	foreach(lc, domain_tables(change->object.objectId))
	{
		GuardRelation *rel;

		/* tables in schemas the caller may not use: counted, not named */
		if (!guard_schema_usable(get_rel_namespace(lfirst_oid(lc))))
		{
			st->withheld++;
			continue;
		}
		rel = guard_relation(st, lfirst_oid(lc), false);
		if (!guard_relation_large(rel))
			continue;
		appendStringInfo(&tables, "%s\"%s.%s\"", nlarge ? ", " : "", rel->nspname, rel->relname);
		bytes += guard_relation_bytes(rel);
		nlarge++;
	}
	if (nlarge == 0)
		return;

	if (stmt->subtype == 'C')
	{
		Constraint *con = castNode(Constraint, stmt->def);
		char	   *expr = guard_paren_text(st->source, con->location);
		const char *name;

		if (expr == NULL)
			return;
		name = quote_identifier(con->conname ? con->conname
								: ChooseConstraintName(typname, NULL, "check", nspid, NIL));
		hint = psprintf("Add it NOT VALID (new values are checked at once), then validate it:\n"
						"ALTER DOMAIN %s ADD CONSTRAINT %s CHECK %s NOT VALID;\n"
						"ALTER DOMAIN %s VALIDATE CONSTRAINT %s;",
						change->object_name, name, expr, change->object_name, name);
	}
	else
	{
		const char *name = quote_identifier(ChooseConstraintName(typname, NULL, "not_null",
																 nspid, NIL));

		hint = psprintf("A domain's NOT NULL has no NOT VALID form; use a CHECK constraint added NOT VALID, then validated:\n"
						"ALTER DOMAIN %s ADD CONSTRAINT %s CHECK (VALUE IS NOT NULL) NOT VALID;\n"
						"ALTER DOMAIN %s VALIDATE CONSTRAINT %s;",
						change->object_name, name, change->object_name, name);
	}

	guard_add_finding(st, RULE_FULL_SCAN_UNDER_LOCK,
					  psprintf("ALTER DOMAIN %s scans the large tables that use it under lock",
							   format_type_be(change->object.objectId)),
					  psprintf("%d large table%s with a column of this domain (%s, %s in all) %s read row by row while holding a SHARE lock, %s.",
							   nlarge, nlarge > 1 ? "s" : "", tables.data,
							   text_to_cstring(DatumGetTextPP(DirectFunctionCall1(pg_size_pretty,
																				  Int64GetDatum(bytes)))),
							   nlarge > 1 ? "are" : "is",
							   guard_lock_effect(ShareLock)),
					  hint);
}

/*
 * foreign_key_blocks_referenced
 *		ADD FOREIGN KEY scans the table it is added to while it holds SHARE
 *		ROW EXCLUSIVE on the referenced table as well, which blocks that
 *		table's writers: a large table whose own lock blocks nobody
 *		(sessions.c: this session created it) is judged all the same when
 *		the referenced table is one others use.
 */
static bool
foreign_key_blocks_referenced(GuardStatement *st, GuardChange *change)
{
	Constraint *con;
	Oid			refid;
	GuardRelation *ref;
	bool		large;

	if (change->kind != CHANGE_ADD_CONSTRAINT || change->rel == NULL ||
		!guard_relation_is_unwatched(change->rel))
		return false;
	con = castNode(Constraint, ((AlterTableCmd *) change->node)->def);
	if (con->contype != CONSTR_FOREIGN || con->skip_validation)
		return false;
	refid = RangeVarGetRelid(con->pktable, NoLock, true);
	ref = OidIsValid(refid) ? guard_relation(st, refid, false) : NULL;
	if (ref == NULL || ref->is_new || guard_relation_is_unwatched(ref))
		return false;
	change->rel->unwatched = 0;
	large = guard_relation_large(change->rel);
	change->rel->unwatched = large ? 0 : 1;
	return large;
}

void
rule_full_scan_under_lock(GuardStatement *st)
{
	ListCell   *lc;

	foreach(lc, st->changes)
	{
		GuardChange *change = lfirst(lc);

		if (change->kind == CHANGE_DOMAIN_CONSTRAINT)
		{
			domain_constraint(st, change);
			continue;
		}
		if (change->kind == CHANGE_ATTACH_PARTITION)
		{
			attach_partition(st, change);	/* the default partition counts too */
			continue;
		}
		if (!guard_relation_large(change->rel) &&
			!foreign_key_blocks_referenced(st, change))
			continue;
		if (change->kind == CHANGE_SET_NOT_NULL)
		{
			Proof		proof;

			if (change->attnum <= 0 ||
				(proof = not_null_proof(change->rel, change->colname)) == PROVEN)
				continue;
			if (proof == UNDECIDED)
			{
				cannot_judge(st, change,
							 psprintf("SET NOT NULL on column \"%s\"", change->colname),
							 "A validated CHECK constraint of it calls a function that PostgreSQL folds to a constant when it looks for a proof that the column has no null; the guard does not run it, so it cannot tell whether every row will be checked.");
				continue;
			}
			report(st, change,
				   psprintf("SET NOT NULL on column \"%s\"", change->colname),
				   "No validated CHECK constraint proves the column has no null, so every row is checked.",
				   psprintf("Prove it with a CHECK constraint added NOT VALID and validated (reads and writes go on), after which SET NOT NULL skips the scan:\n%s",
							not_null_recipe(change->rel, change->colname)));
		}
		else if (change->kind == CHANGE_ADD_CONSTRAINT)
			add_constraint(st, change);
		else if (change->kind == CHANGE_ADD_COLUMN)
			add_column(st, change);

	}
}

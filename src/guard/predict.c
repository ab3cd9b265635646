/*-------------------------------------------------------------------------
 *
 * predict.c
 *	  The guard's predictions offered to other rooms (predict.h): thin
 *	  wrappers that judge one ALTER TABLE subcommand the way the
 *	  table-rewrite rule does, and the hint naming schemaguard.plan().
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/lsyscache.h"

#include "guard/guard.h"
#include "guard/predict.h"
#include "migrate/migrate.h"

/* One change of kind `kind' on relid, as changes.c would make it. */
static void
one_change(GuardStatement *st, GuardChange *change, GuardChangeKind kind,
		   Oid relid, AlterTableCmd *cmd, const char *source)
{
	memset(st, 0, sizeof(*st));
	st->parsetree = (Node *) cmd;
	st->source = source ? source : "";
	st->text = st->source;
	memset(change, 0, sizeof(*change));
	change->kind = kind;
	change->command = "ALTER TABLE";
	change->rel = guard_relation(st, relid, true);
	change->lockmode = AccessExclusiveLock;
	change->node = (Node *) cmd;
	change->colname = cmd->name;
	if (kind == CHANGE_ALTER_TYPE)
		change->attnum = get_attnum(relid, cmd->name);
	else
		change->colname = castNode(ColumnDef, cmd->def)->colname;
}

bool
guard_predict_type_change_rewrites(Oid relid, AlterTableCmd *cmd, const char *source)
{
	GuardStatement st;
	GuardChange change;
	char	   *using_sql;

	Assert(cmd->subtype == AT_AlterColumnType);
	one_change(&st, &change, CHANGE_ALTER_TYPE, relid, cmd, source);
	if (change.rel == NULL || change.attnum <= 0)
		return false;
	return guard_type_change_rewrites(&st, &change, &using_sql);
}

const char *
guard_predict_add_column_rewrites(Oid relid, AlterTableCmd *cmd, const char *source)
{
	GuardStatement st;
	GuardChange change;

	Assert(cmd->subtype == AT_AddColumn);
	one_change(&st, &change, CHANGE_ADD_COLUMN, relid, cmd, source);
	if (change.rel == NULL)
		return NULL;
	return guard_add_column_rewrites(&st, &change, NULL);
}

/*
 * guard_plan_hint
 *		The statement inside a dollar quote whose tag it does not contain,
 *		if a migration can change the table.
 */
char *
guard_plan_hint(const char *statement_text, Oid relid)
{
	const char *why;

	if (!migrate_table_supported(relid, &why))
		return "";
	return guard_plan_hint_text(statement_text);
}

/* The hint naming plan() for the statement (the table is not looked at). */
char *
guard_plan_hint_text(const char *statement_text)
{
	char	   *sql;
	char	   *tag = pstrdup("$$");

	sql = guard_statement_sql(statement_text);
	for (int i = 0; strstr(sql, tag) != NULL; i++)
		tag = psprintf("$sg%d$", i);
	return psprintf(GUARD_PLAN_HINT_START ", in steps that each hold a lock only briefly:\n"
					"SELECT * FROM schemaguard.plan(%s%s%s);",
					tag, sql, tag);
}

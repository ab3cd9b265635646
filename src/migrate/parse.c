/*-------------------------------------------------------------------------
 *
 * parse.c
 *	  A migration's ddl text into a Migration: each statement parsed by the
 *	  server's parser, its table resolved with the caller's search_path (as
 *	  the statement itself would be), each subcommand handed to the change
 *	  kinds in turn (mig_kinds[]: one file each under kinds/), and the names
 *	  of the objects the migration will add chosen so that they collide with
 *	  nothing.
 *
 * One migration changes one table: an ordinary table, not partitioned, not
 * in an inheritance tree, not temporary, without FORCE ROW LEVEL SECURITY
 * (the backfill runs as its owner and must see every row).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_proc.h"
#include "mb/pg_wchar.h"
#include "parser/parser.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/catcache.h"
#include "utils/syscache.h"

#include "migrate/internal.h"
#include "migrate/migrate.h"

/* The change kinds, asked in this order; direct takes what the others leave. */
static const MigKind *const mig_kinds[] = {
	&mig_kind_alter_type,
	&mig_kind_rename_column,
	&mig_kind_add_column,
	&mig_kind_set_not_null,
	&mig_kind_add_constraint,
	&mig_kind_create_index,
	&mig_kind_drop_index,
	&mig_kind_reindex,
	&mig_kind_drop_column,
	&mig_kind_rename_table,
	&mig_kind_drop_table,
	&mig_kind_direct
};

const MigKind *
mig_kind_by_name(const char *name)
{
	for (int i = 0; i < lengthof(mig_kinds); i++)
		if (strcmp(mig_kinds[i]->name, name) == 0)
			return mig_kinds[i];
	elog(ERROR, "unknown migration change kind \"%s\"", name);
	return NULL;				/* keep compiler quiet */
}

/* The text of one statement of the ddl. */
static char *
statement_text(const char *ddl, RawStmt *raw)
{
	int			len = raw->stmt_len > 0 ? raw->stmt_len : strlen(ddl + raw->stmt_location);

	return pnstrdup(ddl + raw->stmt_location, len);
}

static void
not_covered(const char *ddl, RawStmt *raw, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("a migration cannot %s", what),
			 errdetail("In: %s", statement_text(ddl, raw)),
			 errhint("A migration's ddl holds statements on one table: ALTER TABLE (ALTER COLUMN ... TYPE, RENAME COLUMN, ADD COLUMN, SET NOT NULL, ADD CONSTRAINT, DROP COLUMN, RENAME TO), CREATE INDEX, DROP INDEX, REINDEX, DROP TABLE; run other statements on their own.")));
}

/*
 * migrate_table_supported
 *		Can a migration change this table?  If not, *why says why (a
 *		sentence fragment).  See the header comment.
 */
bool
migrate_table_supported(Oid relid, const char **why)
{
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Form_pg_class form;

	*why = NULL;
	if (!HeapTupleIsValid(tuple))
	{
		*why = "it does not exist";
		return false;
	}
	form = (Form_pg_class) GETSTRUCT(tuple);
	if (form->relkind == RELKIND_PARTITIONED_TABLE || form->relispartition)
		*why = "it is partitioned, or a partition";
	else if (form->relkind != RELKIND_RELATION)
		*why = "it is not a table";
	else if (form->relpersistence == RELPERSISTENCE_TEMP)
		*why = "it is temporary: nobody else can be blocked by a change to it, run the statement as it is";
	else if (form->relhassubclass || has_superclass(relid))
		*why = "it is in an inheritance tree";
	else if (OidIsValid(form->reloftype))
		*why = "it is a typed table";
	else if (form->relforcerowsecurity)
		*why = "it has FORCE ROW LEVEL SECURITY: the backfill runs as its owner and must see every row";
	ReleaseSysCache(tuple);
	return *why == NULL;
}

static void
check_table(Oid relid)
{
	const char *why;

	if (!migrate_table_supported(relid, &why))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("a migration cannot change table %s",
						isTempNamespace(get_rel_namespace(relid))
						? quote_identifier(get_rel_name(relid))
						: quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
													 get_rel_name(relid))),
				 errdetail("The table cannot be migrated online: %s.", why)));
}

/*
 * statement_table
 *		The table a statement of the ddl changes (resolved with the caller's
 *		search_path, as the statement would be), and the commands handed to
 *		the kinds: an ALTER TABLE's subcommands, or the statement itself.
 */
static Oid
statement_table(const char *ddl, RawStmt *raw, List **cmds)
{
	Node	   *stmt = raw->stmt;
	RangeVar   *rv = NULL;
	bool		missing_ok = false;
	Oid			relid;

	*cmds = list_make1(stmt);
	if (IsA(stmt, AlterTableStmt) && ((AlterTableStmt *) stmt)->objtype == OBJECT_TABLE)
	{
		rv = ((AlterTableStmt *) stmt)->relation;
		*cmds = ((AlterTableStmt *) stmt)->cmds;
		missing_ok = ((AlterTableStmt *) stmt)->missing_ok;
	}
	else if (IsA(stmt, RenameStmt) &&
			 ((((RenameStmt *) stmt)->renameType == OBJECT_COLUMN &&
			   ((RenameStmt *) stmt)->relationType == OBJECT_TABLE) ||
			  ((RenameStmt *) stmt)->renameType == OBJECT_TABLE))
	{
		rv = ((RenameStmt *) stmt)->relation;
		missing_ok = ((RenameStmt *) stmt)->missing_ok;
	}
	else if (IsA(stmt, IndexStmt))
		rv = ((IndexStmt *) stmt)->relation;
	else if (IsA(stmt, ReindexStmt) &&
			 (((ReindexStmt *) stmt)->kind == REINDEX_OBJECT_INDEX ||
			  ((ReindexStmt *) stmt)->kind == REINDEX_OBJECT_TABLE))
	{
		rv = ((ReindexStmt *) stmt)->relation;
		if (((ReindexStmt *) stmt)->kind == REINDEX_OBJECT_INDEX)
			return IndexGetRelation(RangeVarGetRelid(rv, NoLock, false), false);
	}
	else if (IsA(stmt, DropStmt) &&
			 (((DropStmt *) stmt)->removeType == OBJECT_INDEX ||
			  ((DropStmt *) stmt)->removeType == OBJECT_TABLE))
	{
		DropStmt   *ds = (DropStmt *) stmt;

		if (list_length(ds->objects) != 1)
			not_covered(ddl, raw, "drop several objects in one statement: one per statement");
		rv = makeRangeVarFromNameList(linitial(ds->objects));
		missing_ok = ds->missing_ok;
		if (ds->removeType == OBJECT_INDEX)
		{
			Oid			indexid = RangeVarGetRelid(rv, NoLock, missing_ok);

			if (!OidIsValid(indexid))
				not_covered(ddl, raw, "use DROP INDEX IF EXISTS on an index that does not exist");
			if (get_rel_relkind(indexid) != RELKIND_INDEX)
				not_covered(ddl, raw, "drop this index (a partitioned index)");
			return IndexGetRelation(indexid, false);
		}
	}
	else
		not_covered(ddl, raw, psprintf("run %s", CreateCommandName(stmt)));
	relid = RangeVarGetRelid(rv, NoLock, missing_ok);
	if (!OidIsValid(relid))
		not_covered(ddl, raw, "use IF EXISTS on a table that does not exist");
	return relid;
}

/*
 * mig_parse
 *		The migration a ddl text asks for, not started (state planned):
 *		its table and changes, the names it will use.  Names in the ddl are
 *		resolved with the caller's search_path.
 */
Migration *
mig_parse(const char *ddl)
{
	Migration  *m = palloc0(sizeof(Migration));
	List	   *raws;
	ListCell   *lc;

	if (ddl == NULL || strspn(ddl, " \t\r\n;") == strlen(ddl))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the ddl of a migration must not be empty"),
				 errhint("Give the change as you would run it, e.g. ALTER TABLE t ALTER COLUMN c TYPE bigint.")));
	m->ddl = pstrdup(ddl);
	m->state = STATE_PLANNED;
	raws = raw_parser(ddl, RAW_PARSE_DEFAULT);
	foreach(lc, raws)
	{
		RawStmt    *raw = lfirst_node(RawStmt, lc);
		List	   *cmds;
		Oid			relid;
		ListCell   *cc;

		relid = statement_table(ddl, raw, &cmds);
		if (!OidIsValid(m->relid))
		{
			check_table(relid);
			m->relid = relid;
			mig_resolve(m);
			m->sync_function = mig_choose_function_name(m->relname, "sync");
		}
		else if (relid != m->relid)
			not_covered(ddl, raw, "change two tables: start one migration per table");

		foreach(cc, cmds)
		{
			Node	   *cmd = lfirst(cc);
			MigChange  *c = NULL;

			for (int k = 0; k < lengthof(mig_kinds) && c == NULL; k++)
				c = mig_kinds[k]->recognize(m, cmd, ddl);
			if (c == NULL)
				not_covered(ddl, raw, "run this subcommand");
		}
	}
	if (m->changes == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the ddl of a migration holds no statement")));
	return m;
}

/*
 * mig_new_change
 *		A new change of the migration on column colname (refused if another
 *		change of the same migration is on it already).
 */
MigChange *
mig_new_change(Migration *m, const MigKind *kind, const char *colname)
{
	MigChange  *c = palloc0(sizeof(MigChange));
	ListCell   *lc;

	foreach(lc, m->changes)
	{
		MigChange  *other = lfirst(lc);

		if (other->kind->names_object != kind->names_object)
			continue;			/* a column and an index may share a name */
		if (strcmp(other->colname, colname) == 0 ||
			(!kind->names_object && other->newcol && strcmp(other->newcol, colname) == 0))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("a migration changes column \"%s\" once", colname),
					 errdetail("The ddl changes column \"%s\" of %s twice.", colname, m->qualname),
					 errhint("Start a second migration for the second change, once the first is contracted.")));
	}
	c->kind = kind;
	c->ordinal = list_length(m->changes) + 1;
	c->colname = pstrdup(colname);
	m->changes = lappend(m->changes, c);
	return c;
}

/* prefix + base (+ "_n"), cut on a character boundary to fit NAMEDATALEN. */
char *
mig_prefixed_name(const char *prefix, const char *base, int n)
{
	char		suffix[16] = "";
	int			room;
	int			len;

	if (n > 0)
		snprintf(suffix, sizeof(suffix), "_%d", n);
	room = NAMEDATALEN - 1 - strlen(prefix) - strlen(suffix);
	len = pg_mbcliplen(base, strlen(base), room);
	return psprintf("%s%.*s%s", prefix, len, base, suffix);
}

static bool
name_taken(List *taken, const char *name)
{
	ListCell   *lc;

	foreach(lc, taken)
		if (strcmp((char *) lfirst(lc), name) == 0)
			return true;
	return false;
}

/*
 * mig_choose_column_name
 *		"_sg_<label>_<base>", not a column of the table yet nor chosen by
 *		this migration already.
 */
char *
mig_choose_column_name(Migration *m, const char *base, const char *label)
{
	char	   *prefix = psprintf("_sg_%s_", label);
	List	   *taken = NIL;
	ListCell   *lc;

	foreach(lc, m->changes)
	{
		MigChange  *c = lfirst(lc);

		if (c->newcol)
			taken = lappend(taken, c->newcol);
		if (c->oldcol)
			taken = lappend(taken, c->oldcol);
	}
	for (int n = 0;; n++)
	{
		char	   *name = mig_prefixed_name(prefix, base, n);

		if (get_attnum(m->relid, name) == InvalidAttrNumber && !name_taken(taken, name))
			return name;
	}
}

/* "_sg_<label>_<base>": no relation of schema nspid has it yet. */
char *
mig_choose_relation_name(Oid nspid, const char *base, const char *label, List *taken)
{
	char	   *prefix = psprintf("_sg_%s_", label);

	for (int n = 0;; n++)
	{
		char	   *name = mig_prefixed_name(prefix, base, n);

		if (!OidIsValid(get_relname_relid(name, nspid)) && !name_taken(taken, name))
			return name;
	}
}

/*
 * mig_choose_function_name
 *		"<label>_<base>" in schema schemaguard, not the name of a function
 *		there yet; quoted and qualified.
 */
char *
mig_choose_function_name(const char *base, const char *label)
{
	Oid			nspid = get_namespace_oid(SCHEMAGUARD_SCHEMA, false);
	char	   *prefix = psprintf("%s_", label);

	for (int n = 0;; n++)
	{
		char	   *name = mig_prefixed_name(prefix, base, n);
		CatCList   *list = SearchSysCacheList1(PROCNAMEARGSNSP, CStringGetDatum(name));
		bool		taken = false;

		for (int i = 0; i < list->n_members; i++)
			if (((Form_pg_proc) GETSTRUCT(&list->members[i]->tuple))->pronamespace == nspid)
				taken = true;
		ReleaseSysCacheList(list);
		if (!taken)
			return quote_qualified_identifier(SCHEMAGUARD_SCHEMA, name);
	}
}

/* "_sg_<label>_<base>": no constraint of the table nor relation of its schema has it. */
char *
mig_choose_constraint_name(Migration *m, const char *base, const char *label, List *taken)
{
	char	   *prefix = psprintf("_sg_%s_", label);
	Oid			nspid = get_rel_namespace(m->relid);

	for (int n = 0;; n++)
	{
		char	   *name = mig_prefixed_name(prefix, base, n);

		if (!ConstraintNameIsUsed(CONSTRAINT_RELATION, m->relid, name) &&
			!OidIsValid(get_relname_relid(name, nspid)) && !name_taken(taken, name))
			return name;
	}
}

/*-------------------------------------------------------------------------
 *
 * report.c
 *	  schemaguard.impact_report(script text): a Markdown report of what a
 *	  migration script would do, for a pull request.
 *
 * For each statement of the script: the guard's findings (check_ddl()'s
 * rows, read through SPI so the report says exactly what check_ddl() says),
 * what the statement changes (the guard's own reading of it, with the
 * script's earlier statements followed as check_ddl() follows them), the
 * dependents it touches (lineage, through lineage/lineage.h: transitively
 * for a column or relation, directly for a function), grouped by kind, and
 * the evidence the server has of their use: scans of the tables and
 * indexes (pg_stat_user_tables, pg_stat_user_indexes), calls of the
 * functions (pg_stat_user_functions, when track_functions counts them), and
 * how often statements naming the tables ran (pg_stat_statements, when it
 * is installed and readable).  A last section says what the report could
 * not know.
 *
 * Nothing is run: each statement's changes are read in a subtransaction
 * that is always rolled back.  The report shows only what the caller may
 * see: dependents in schemas without USAGE are left out (lineage_walk), and
 * the findings are check_ddl()'s, under the caller's rights.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_class.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "commands/proclang.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "parser/parser.h"
#include "pgstat.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/syscache.h"

#include "guard/guard.h"
#include "lineage/lineage.h"

PG_FUNCTION_INFO_V1(schemaguard_impact_report);

/* One row of check_ddl(). */
typedef struct ReportFinding
{
	int			statement;
	char	   *rule;
	char	   *severity;
	char	   *message;
	char	   *detail;
	char	   *hint;
	int			line;
} ReportFinding;

/* One dependent, its rows of the walk merged. */
typedef struct Dependent
{
	const char *type;
	const char *identity;
	ObjectAddress address;		/* objectSubId 0 */
	char		relkind;
	int			depth;			/* the smallest */
	List	   *columns;		/* char *, each once */
	List	   *usages;			/* const char *, each once */
} Dependent;

/* What the report learnt it could not know, said once at the end. */
typedef struct Unknowns
{
	bool		hidden;			/* a path went through what the caller may not see */
	bool		dynamic;		/* a dependent names a table in dynamic SQL */
	bool		unjudged;		/* a statement's changes could not be read */
	bool		functions_untracked;
	bool		functions_pl_only;
	const char *pgss;			/* why pg_stat_statements was not read; NULL: read */
	char	   *pgss_schema;	/* where it is installed */
	bool		pgss_hidden;	/* other roles' statements not visible */
	List	   *names;			/* String: schemas of the relations changed, quoted */
} Unknowns;

/*
 * Markdown: text with every character that Markdown or a GFM table may
 * read as syntax inline backslash-escaped, and those that start a list or
 * heading escaped at the start; newlines as line breaks.
 */
static void
md_text(StringInfo buf, const char *s)
{
	if (*s && strchr("#+-=>", *s) != NULL)
		appendStringInfoChar(buf, '\\');
	for (; *s; s++)
	{
		if (*s == '\n')
			appendStringInfoString(buf, "<br>");
		else
		{
			if (strchr("\\`*_[]<>|~&", *s) != NULL)
				appendStringInfoChar(buf, '\\');
			appendStringInfoChar(buf, *s);
		}
	}
}

/*
 * Markdown: a name as a code span, fenced with more backticks than it
 * holds; '|' escaped (GFM tables), a newline shown as \n.
 */
static void
md_code(StringInfo buf, const char *s)
{
	int			run = 0;
	int			longest = 0;
	const char *p;
	int			i;

	for (p = s; *p; p++)
	{
		run = (*p == '`') ? run + 1 : 0;
		longest = Max(longest, run);
	}
	for (i = 0; i <= longest; i++)
		appendStringInfoChar(buf, '`');
	if (longest > 0 || s[0] == '`')
		appendStringInfoChar(buf, ' ');
	for (p = s; *p; p++)
	{
		if (*p == '|')
			appendStringInfoString(buf, "\\|");
		else if (*p == '\n')
			appendStringInfoString(buf, "\\n");
		else
			appendStringInfoChar(buf, *p);
	}
	if (longest > 0 || (s[0] && s[strlen(s) - 1] == '`'))
		appendStringInfoChar(buf, ' ');
	for (i = 0; i <= longest; i++)
		appendStringInfoChar(buf, '`');
}

/* A fenced code block that no line of the text can close. */
static void
md_block(StringInfo buf, const char *indent, const char *lang, const char *text)
{
	int			run = 0;
	int			longest = 0;
	const char *p;
	int			i;
	int			fence;

	for (p = text; *p; p++)
	{
		run = (*p == '`') ? run + 1 : 0;
		longest = Max(longest, run);
	}
	fence = Max(3, longest + 1);
	appendStringInfoString(buf, indent);
	for (i = 0; i < fence; i++)
		appendStringInfoChar(buf, '`');
	appendStringInfo(buf, "%s\n%s", lang, indent);
	for (p = text; *p; p++)
	{
		appendStringInfoChar(buf, *p);
		if (*p == '\n')
			appendStringInfoString(buf, indent);
	}
	appendStringInfo(buf, "\n%s", indent);
	for (i = 0; i < fence; i++)
		appendStringInfoChar(buf, '`');
	appendStringInfoString(buf, "\n");
}

static char *
spi_text(int row, int col)
{
	return SPI_getvalue(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col);
}

/*
 * The report's own queries (statistics, pg_stat_statements, unresolved
 * references) run with search_path pg_catalog, pg_temp, as a function with
 * SET search_path would; check_ddl() and the reading of the script's
 * statements keep the caller's, which the script's names need.  Undone
 * with AtEOXact_GUC(true, nestlevel), as fmgr undoes a SET clause.
 */
static int
pin_search_path(void)
{
	int			nestlevel = NewGUCNestLevel();

	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	return nestlevel;
}

/* check_ddl()'s rows for the script. */
static List *
guard_findings(const char *script)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	List	   *result = NIL;
	uint64		i;

	args[0] = CStringGetTextDatum(script);
	if (SPI_execute_with_args("SELECT statement, rule, severity, message, detail, hint, line "
							  "FROM schemaguard.check_ddl($1) "
							  "ORDER BY statement, severity = 'warning', rule",
							  1, argtypes, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not run schemaguard.check_ddl()");
	for (i = 0; i < SPI_processed; i++)
	{
		ReportFinding *f = palloc0(sizeof(ReportFinding));
		char	   *line = spi_text(i, 7);

		f->statement = atoi(spi_text(i, 1));
		f->rule = spi_text(i, 2);
		f->severity = spi_text(i, 3);
		f->message = spi_text(i, 4);
		f->detail = spi_text(i, 5);
		f->hint = spi_text(i, 6);
		f->line = line ? atoi(line) : 0;
		result = lappend(result, f);
	}
	return result;
}

/*
 * The changes of each statement, as the guard reads them, with the names
 * the earlier statements left; in a subtransaction that is rolled back.
 * A statement whose changes cannot be read gets none (noted).
 */
static List *
statement_changes(RawStmt *raw, const char *script, List **names,
				  Unknowns *unknowns)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	GuardStatement st;

	memset(&st, 0, sizeof(st));
	st.parsetree = raw->stmt;
	st.source = script;
	st.text = raw->stmt_len > 0
		? pnstrdup(script + raw->stmt_location, raw->stmt_len)
		: pstrdup(script + raw->stmt_location);
	st.dry_run = true;
	st.names = *names;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		if (guard_statement_relevant(st.parsetree))
			guard_collect_changes(&st);
		guard_script_note(&st, names);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		FlushErrorState();
		st.changes = NIL;
		unknowns->unjudged = true;
	}
	PG_END_TRY();
	RollbackAndReleaseCurrentSubTransaction();
	MemoryContextSwitchTo(cxt);
	CurrentResourceOwner = owner;
	return st.changes;
}

/* Does this change alter or remove what dependents read? */
static bool
change_reaches_dependents(GuardChangeKind kind)
{
	switch (kind)
	{
		case CHANGE_ALTER_TYPE:
		case CHANGE_DROP_COLUMN:
		case CHANGE_RENAME_COLUMN:
		case CHANGE_DROP_RELATION:
		case CHANGE_RENAME_RELATION:
		case CHANGE_TRUNCATE:
		case CHANGE_DROP_FUNCTION:
		case CHANGE_RENAME_FUNCTION:
			return true;
		default:
			return false;
	}
}

static Dependent *
find_dependent(List *deps, const ObjectAddress *address)
{
	ListCell   *lc;

	foreach(lc, deps)
	{
		Dependent  *d = lfirst(lc);

		if (d->address.classId == address->classId &&
			d->address.objectId == address->objectId)
			return d;
	}
	return NULL;
}

static List *
add_string(List *list, const char *s)
{
	ListCell   *lc;

	foreach(lc, list)
		if (strcmp(lfirst(lc), s) == 0)
			return list;
	return lappend(list, (void *) s);
}

/* The dependents of a column (attnum > 0) or relation, transitively. */
static List *
relation_dependents(List *deps, Oid relid, AttrNumber attnum, Unknowns *unknowns)
{
	LineageImpactRow *rows;
	int			nrows;
	int			i;

	rows = lineage_walk(relid, attnum, 0, true, &nrows);
	for (i = 0; i < nrows; i++)
	{
		LineageImpactRow *row = &rows[i];
		ObjectAddress whole = row->object.address;
		Dependent  *d;

		whole.objectSubId = 0;
		if (!row->via.visible)
			unknowns->hidden = true;
		if (strcmp(row->usage, "dynamic") == 0)
			unknowns->dynamic = true;
		d = find_dependent(deps, &whole);
		if (d == NULL)
		{
			d = palloc0(sizeof(Dependent));
			d->type = row->object.type;
			d->identity = row->object.identity;
			d->address = whole;
			d->relkind = row->object.relkind;
			d->depth = row->depth;
			deps = lappend(deps, d);
		}
		d->depth = Min(d->depth, row->depth);
		if (row->object.column)
			d->columns = add_string(d->columns, row->object.column);
		d->usages = add_string(d->usages, row->usage);
	}
	return deps;
}

/* The direct dependents of a function (those that call it). */
static List *
function_dependents(List *deps, Oid funcid)
{
	ObjectAddress function;
	ListCell   *lc;

	ObjectAddressSet(function, ProcedureRelationId, funcid);
	foreach(lc, lineage_dependents(&function))
	{
		ObjectAddress *object = lfirst(lc);
		Oid			nspid = lineage_object_schema(object);
		Dependent  *d;

		if (OidIsValid(nspid) &&
			pg_namespace_aclcheck(nspid, GetUserId(), ACL_USAGE) != ACLCHECK_OK)
			continue;
		if (find_dependent(deps, object))
			continue;
		d = palloc0(sizeof(Dependent));
		d->type = getObjectTypeDescription(object, false);
		d->identity = getObjectIdentity(object, false);
		d->address = *object;
		d->relkind = object->classId == RelationRelationId
			? get_rel_relkind(object->objectId) : '\0';
		d->depth = 1;
		d->usages = list_make1("call");
		deps = lappend(deps, d);
	}
	return deps;
}

static int
compare_dependents(const ListCell *a, const ListCell *b)
{
	const Dependent *x = lfirst(a);
	const Dependent *y = lfirst(b);
	int			c = strcmp(x->type, y->type);

	return c != 0 ? c : strcmp(x->identity, y->identity);
}

static void
join_strings(StringInfo buf, List *strings, bool code)
{
	ListCell   *lc;

	foreach(lc, strings)
	{
		if (foreach_current_index(lc) > 0)
			appendStringInfoString(buf, ", ");
		if (code)
			md_code(buf, lfirst(lc));
		else
			md_text(buf, lfirst(lc));
	}
}

static Oid
function_language(Oid funcid)
{
	HeapTuple	tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
	Oid			language = InvalidOid;

	if (HeapTupleIsValid(tuple))
	{
		language = ((Form_pg_proc) GETSTRUCT(tuple))->prolang;
		ReleaseSysCache(tuple);
	}
	return language;
}

/* One row of the evidence table: the server's counters of one object. */
static bool
object_evidence(StringInfo buf, const char *type, const char *identity,
				const ObjectAddress *object, Unknowns *unknowns)
{
	Oid			argtypes[1] = {OIDOID};
	Datum		args[1] = {ObjectIdGetDatum(object->objectId)};
	const char *sql;
	char		relkind = object->classId == RelationRelationId
		? get_rel_relkind(object->objectId) : '\0';

	if (object->classId == ProcedureRelationId)
	{
		if (pgstat_track_functions == TRACK_FUNC_OFF)
		{
			unknowns->functions_untracked = true;
			return false;
		}
		if (pgstat_track_functions == TRACK_FUNC_PL &&
			function_language(object->objectId) != get_language_oid("plpgsql", true))
		{
			unknowns->functions_pl_only = true;
			return false;
		}
		sql = "SELECT calls || CASE WHEN calls = 1 THEN ' call, ' ELSE ' calls, ' END "
			"|| round(total_time::numeric, 1) || ' ms in all' "
			"FROM pg_catalog.pg_stat_user_functions WHERE funcid = $1";
	}
	else if (relkind == RELKIND_INDEX || relkind == RELKIND_PARTITIONED_INDEX)
		sql = "SELECT idx_scan || ' index scans' "
			"FROM pg_catalog.pg_stat_user_indexes WHERE indexrelid = $1";
	else if (relkind == RELKIND_RELATION || relkind == RELKIND_MATVIEW ||
			 relkind == RELKIND_PARTITIONED_TABLE)
		sql = "SELECT seq_scan || ' sequential scans, ' || coalesce(idx_scan, 0) || ' index scans, ' "
			"|| n_tup_ins + n_tup_upd + n_tup_del || ' rows written, about ' || n_live_tup || ' rows' "
			"FROM pg_catalog.pg_stat_user_tables WHERE relid = $1";
	else
		return false;

	if (SPI_execute_with_args(sql, 1, argtypes, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the statistics of %s", identity);
	appendStringInfoString(buf, "| ");
	md_text(buf, type);
	appendStringInfoString(buf, " | ");
	md_code(buf, identity);
	appendStringInfoString(buf, " | ");
	if (SPI_processed > 0 && spi_text(0, 1) != NULL)
		md_text(buf, spi_text(0, 1));
	else if (object->classId == ProcedureRelationId)
		appendStringInfoString(buf, "no call counted");
	else
		appendStringInfoString(buf, "no statistics");
	appendStringInfoString(buf, " |\n");
	return true;
}

/*
 * pg_stat_statements: where it is installed, or why it cannot be read
 * (not installed, not loaded); run in a subtransaction, as reading the view
 * fails when the library is not preloaded.
 */
static void
find_pg_stat_statements(Unknowns *unknowns)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;

	if (SPI_execute("SELECT n.nspname FROM pg_catalog.pg_extension e "
					"JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace "
					"WHERE e.extname = 'pg_stat_statements'", true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not look for pg_stat_statements");
	if (SPI_processed == 0)
	{
		unknowns->pgss = "pg_stat_statements is not installed in this database";
		return;
	}
	unknowns->pgss_schema = spi_text(0, 1);

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		(void) SPI_execute(psprintf("SELECT count(*) FILTER (WHERE query = '<insufficient privilege>') "
									"FROM %s.pg_stat_statements",
									quote_identifier(unknowns->pgss_schema)), true, 0);
		if (SPI_processed > 0 && strcmp(spi_text(0, 1), "0") != 0)
			unknowns->pgss_hidden = true;
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		unknowns->pgss = psprintf("pg_stat_statements could not be read: %s", edata->message);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	CurrentResourceOwner = owner;
}

/* A regular expression matching a name as a whole word, every character literal. */
static void
append_word_pattern(StringInfo pattern, const char *name)
{
	const char *p;

	appendStringInfoString(pattern, "\\m");
	for (p = name; *p; p++)
	{
		if (!isalnum((unsigned char) *p) && !IS_HIGHBIT_SET(*p))
			appendStringInfoChar(pattern, '\\');
		appendStringInfoChar(pattern, *p);
	}
	appendStringInfoString(pattern, "\\M");
}

/* How often statements naming a relation ran (pg_stat_statements). */
static void
statements_evidence(StringInfo buf, Oid relid, Unknowns *unknowns)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	StringInfoData pattern;

	if (unknowns->pgss)
		return;
	initStringInfo(&pattern);
	append_word_pattern(&pattern, get_rel_name(relid));
	args[0] = CStringGetTextDatum(pattern.data);
	if (SPI_execute_with_args(psprintf("SELECT count(*), coalesce(sum(calls), 0) "
									   "FROM %s.pg_stat_statements "
									   "WHERE dbid = (SELECT oid FROM pg_catalog.pg_database "
									   "WHERE datname = pg_catalog.current_database()) "
									   "AND query ~* $1",
									   quote_identifier(unknowns->pgss_schema)),
							  1, argtypes, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read pg_stat_statements");
	appendStringInfoString(buf, "| statements naming ");
	md_code(buf, get_rel_name(relid));
	appendStringInfo(buf, " | pg\\_stat\\_statements | %s statements, run %s times |\n",
					 spi_text(0, 1), spi_text(0, 2));
}

static void
report_findings(StringInfo buf, List *findings, int statement)
{
	ListCell   *lc;
	bool		any = false;

	foreach(lc, findings)
	{
		ReportFinding *f = lfirst(lc);

		if (f->statement != statement)
			continue;
		if (!any)
			appendStringInfoString(buf, "**Guard findings** (check\\_ddl):\n\n");
		any = true;
		appendStringInfo(buf, "- **%s** ", f->severity);
		md_code(buf, f->rule);
		appendStringInfoString(buf, ": ");
		md_text(buf, f->message);
		appendStringInfoString(buf, "\n\n  ");
		md_text(buf, f->detail ? f->detail : "");
		appendStringInfoString(buf, "\n\n");
		if (f->hint)
			md_block(buf, "  ", "", f->hint);
		appendStringInfoString(buf, "\n");
	}
	if (!any)
		appendStringInfoString(buf, "**Guard findings** (check\\_ddl): none.\n\n");
}

/* What a change touches, said in a line: the table and its lock, or the object. */
static void
report_change(StringInfo buf, GuardChange *change)
{
	appendStringInfoString(buf, "- ");
	md_text(buf, change->command);
	if (change->rel && OidIsValid(change->rel->relid))
	{
		appendStringInfoString(buf, " on ");
		md_code(buf, change->rel->sql_name);
		if (change->colname)
		{
			appendStringInfoString(buf, ", column ");
			md_code(buf, change->colname);
		}
		if (change->rel->is_new)
			appendStringInfoString(buf, " (created by this script)");
		else if (change->lockmode != NoLock)
			appendStringInfo(buf, ", holding %s", guard_lock_phrase(change->lockmode));
	}
	else if (change->object_name)
	{
		appendStringInfoString(buf, ": ");
		md_code(buf, change->object_name);
	}
	appendStringInfoString(buf, "\n");
}

/* A change that only locks a table another change of the statement names. */
static bool
change_said_better(List *changes, GuardChange *change)
{
	ListCell   *lc;

	if (change->kind != CHANGE_OTHER || change->rel == NULL)
		return false;
	foreach(lc, changes)
	{
		GuardChange *other = lfirst(lc);

		if (other != change && other->kind != CHANGE_OTHER && other->rel &&
			other->rel->relid == change->rel->relid)
			return true;
	}
	return false;
}

static void
report_statement(StringInfo buf, int number, RawStmt *raw, const char *script,
				 List *findings, List **names, Unknowns *unknowns)
{
	char	   *text = raw->stmt_len > 0
		? pnstrdup(script + raw->stmt_location, raw->stmt_len)
		: pstrdup(script + raw->stmt_location);
	List	   *changes;
	List	   *deps = NIL;
	List	   *tables = NIL;
	ListCell   *lc;
	StringInfoData evidence;
	int			nestlevel;

	appendStringInfo(buf, "## Statement %d\n\n", number);
	md_block(buf, "", "sql", guard_statement_sql(text));
	appendStringInfoString(buf, "\n");
	report_findings(buf, findings, number);

	changes = statement_changes(raw, script, names, unknowns);
	if (changes == NIL)
	{
		appendStringInfoString(buf, "**Changes**: nothing the guard judges.\n\n");
		return;
	}
	appendStringInfoString(buf, "**Changes**:\n\n");
	foreach(lc, changes)
	{
		GuardChange *change = lfirst(lc);

		if (!change_said_better(changes, change))
			report_change(buf, change);
		if (change->rel && OidIsValid(change->rel->relid) && !change->rel->is_new &&
			!list_member_oid(tables, change->rel->relid))
		{
			tables = lappend_oid(tables, change->rel->relid);
			if (change_reaches_dependents(change->kind))
			{
				char	   *nsp = (char *) quote_identifier(get_namespace_name(get_rel_namespace(change->rel->relid)));

				if (!list_member(unknowns->names, makeString(nsp)))
					unknowns->names = lappend(unknowns->names, makeString(nsp));
			}
		}
		if (!change_reaches_dependents(change->kind))
			continue;
		if (change->kind == CHANGE_DROP_FUNCTION || change->kind == CHANGE_RENAME_FUNCTION)
			deps = function_dependents(deps, change->object.objectId);
		else if (change->rel && OidIsValid(change->rel->relid) && !change->rel->is_new)
			deps = relation_dependents(deps, change->rel->relid,
									   change->attnum > 0 ? change->attnum : 0,
									   unknowns);
	}
	appendStringInfoString(buf, "\n");

	if (deps != NIL)
	{
		list_sort(deps, compare_dependents);
		appendStringInfoString(buf, "**Dependents it touches** (lineage, transitively), by kind:\n\n"
							   "| kind | dependent | columns | usage | depth |\n"
							   "|---|---|---|---|---|\n");
		foreach(lc, deps)
		{
			Dependent  *d = lfirst(lc);

			appendStringInfoString(buf, "| ");
			md_text(buf, d->type);
			appendStringInfoString(buf, " | ");
			md_code(buf, d->identity);
			appendStringInfoString(buf, " | ");
			join_strings(buf, d->columns, true);
			appendStringInfoString(buf, " | ");
			join_strings(buf, d->usages, false);
			appendStringInfo(buf, " | %d |\n", d->depth);
		}
		appendStringInfoString(buf, "\n");
	}
	else if (list_length(changes) > 0)
	{
		foreach(lc, changes)
		{
			if (change_reaches_dependents(((GuardChange *) lfirst(lc))->kind))
			{
				appendStringInfoString(buf, "**Dependents it touches**: none known to lineage.\n\n");
				break;
			}
		}
	}

	/* the evidence: the tables changed, then the dependents with counters */
	initStringInfo(&evidence);
	nestlevel = pin_search_path();
	foreach(lc, tables)
	{
		ObjectAddress object;
		Oid			relid = lfirst_oid(lc);

		ObjectAddressSet(object, RelationRelationId, relid);
		(void) object_evidence(&evidence, getObjectTypeDescription(&object, false),
							   getObjectIdentity(&object, false), &object, unknowns);
		statements_evidence(&evidence, relid, unknowns);
	}
	foreach(lc, deps)
	{
		Dependent  *d = lfirst(lc);

		(void) object_evidence(&evidence, d->type, d->identity, &d->address, unknowns);
		if (d->relkind == RELKIND_MATVIEW || d->relkind == RELKIND_VIEW)
			statements_evidence(&evidence, d->address.objectId, unknowns);
	}
	AtEOXact_GUC(true, nestlevel);
	if (evidence.len > 0)
	{
		appendStringInfoString(buf, "**Usage evidence** (this server's statistics):\n\n"
							   "| kind | object | counted |\n|---|---|---|\n");
		appendStringInfoString(buf, evidence.data);
		appendStringInfoString(buf, "\n");
	}
}

static void
report_unknowns(StringInfo buf, Unknowns *unknowns)
{
	appendStringInfoString(buf, "## What this report could not know\n\n");
	appendStringInfoString(buf,
						   "- The statistics count what ran on this server since they were last reset "
						   "(pg\\_stat\\_reset, a crash, pg\\_upgrade); reads on standbys are not counted. "
						   "Views have no counters of their own: their use shows in the scans of what they read.\n");
	if (unknowns->functions_untracked)
		appendStringInfoString(buf, "- Calls of functions are not counted: track\\_functions is none.\n");
	if (unknowns->functions_pl_only)
		appendStringInfoString(buf, "- Calls of SQL functions are not counted: track\\_functions is pl.\n");
	if (unknowns->pgss)
	{
		appendStringInfoString(buf, "- How often queries reading the changed relations ran: ");
		md_text(buf, unknowns->pgss);
		appendStringInfoString(buf, ".\n");
	}
	else
	{
		appendStringInfoString(buf, "- pg\\_stat\\_statements counts statements whose text names a relation, "
							   "not the columns they read; a name in another schema or in a string counts too.\n");
		if (unknowns->pgss_hidden)
			appendStringInfoString(buf, "- Statements of other roles are hidden from you in pg\\_stat\\_statements "
								   "(pg\\_read\\_all\\_stats shows them).\n");
	}
	if (unknowns->dynamic)
		appendStringInfoString(buf, "- Some dependents name a table in dynamic SQL: what they do with its columns is not known.\n");
	if (unknowns->hidden)
		appendStringInfoString(buf, "- Some dependents are reached through objects in schemas you may not see; those are not listed.\n");
	else
		appendStringInfoString(buf, "- Dependents in schemas you may not see are not listed.\n");
	if (unknowns->unjudged)
		appendStringInfoString(buf, "- The changes of some statements could not be read (see the server log at DEBUG1).\n");
	if (unknowns->names != NIL)
	{
		/* bodies in the schemas of the changed relations that do not resolve */
		Oid			argtypes[1] = {TEXTOID};
		Datum		args[1];
		StringInfoData pattern;
		ListCell   *lc;
		uint64		i;

		initStringInfo(&pattern);
		foreach(lc, unknowns->names)
		{
			const char *p;

			appendStringInfoString(&pattern, foreach_current_index(lc) > 0 ? "|^" : "^");
			for (p = strVal(lfirst(lc)); *p; p++)
			{
				if (!isalnum((unsigned char) *p) && !IS_HIGHBIT_SET(*p))
					appendStringInfoChar(&pattern, '\\');
				appendStringInfoChar(&pattern, *p);
			}
			appendStringInfoString(&pattern, "\\.");
		}
		args[0] = CStringGetTextDatum(pattern.data);
		if (SPI_execute_with_args("SELECT DISTINCT object_type || ' ' || object_identity "
								  "FROM schemaguard.unresolved_references() WHERE object_identity ~ $1 "
								  "ORDER BY 1", 1, argtypes, args, NULL, true, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not run schemaguard.unresolved_references()");
		for (i = 0; i < SPI_processed; i++)
		{
			appendStringInfoString(buf, "- ");
			md_code(buf, spi_text(i, 1));
			appendStringInfoString(buf, ", in the schema of a changed relation, names what does not resolve "
								   "(schemaguard.unresolved\\_references()): what it will read is not known.\n");
		}
	}
	appendStringInfoString(buf, "- Code outside the database (applications, reports, ETL) is not seen.\n");
}

/*
 * impact_report(script text) : the Markdown report of a migration script.
 */
Datum
schemaguard_impact_report(PG_FUNCTION_ARGS)
{
	char	   *script;
	List	   *findings;
	List	   *stmts;
	List	   *names = NIL;
	Unknowns	unknowns;
	StringInfoData buf;
	ListCell   *lc;
	text	   *result;
	int			nestlevel;
	int			nerrors = 0;
	int			nwarnings = 0;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("script must not be null")));
	script = text_to_cstring(PG_GETARG_TEXT_PP(0));
	memset(&unknowns, 0, sizeof(unknowns));

	SPI_connect();
	/* check_ddl() first: a syntax error is its error, positioned */
	findings = guard_findings(script);
	stmts = raw_parser(script, RAW_PARSE_DEFAULT);
	nestlevel = pin_search_path();
	find_pg_stat_statements(&unknowns);
	AtEOXact_GUC(true, nestlevel);

	foreach(lc, findings)
	{
		ReportFinding *f = lfirst(lc);

		if (strcmp(f->severity, "error") == 0)
			nerrors++;
		else
			nwarnings++;
	}
	initStringInfo(&buf);
	appendStringInfoString(&buf, "# schemaguard impact report\n\n");
	appendStringInfo(&buf, "Database ");
	md_code(&buf, get_database_name(MyDatabaseId));
	appendStringInfo(&buf, ": %d statement%s, %d error%s, %d warning%s from the guard.\n\n",
					 list_length(stmts), list_length(stmts) == 1 ? "" : "s",
					 nerrors, nerrors == 1 ? "" : "s",
					 nwarnings, nwarnings == 1 ? "" : "s");
	foreach(lc, stmts)
	{
		CHECK_FOR_INTERRUPTS();
		report_statement(&buf, foreach_current_index(lc) + 1, lfirst_node(RawStmt, lc),
						 script, findings, &names, &unknowns);
	}
	nestlevel = pin_search_path();
	report_unknowns(&buf, &unknowns);
	AtEOXact_GUC(true, nestlevel);

	result = (text *) SPI_palloc(VARHDRSZ + buf.len);
	SET_VARSIZE(result, VARHDRSZ + buf.len);
	memcpy(VARDATA(result), buf.data, buf.len);
	SPI_finish();
	PG_RETURN_TEXT_P(result);
}

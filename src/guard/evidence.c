/*-------------------------------------------------------------------------
 *
 * evidence.c
 *	  The live facts the DDL guard judges by: how big a table is (all the
 *	  partitions and inheritance children a command reaches), whether it
 *	  holds any row, whether it was created in this transaction, what a lock
 *	  level blocks; and the small SQL-text helpers the rules' hints share.
 *
 * Whether a table holds rows is looked for only if the caller may read its
 * rows (visibility.c); otherwise it is withheld, and the table taken to
 * hold some.
 *
 * Sizes are read from the storage manager, not from pg_class.relpages
 * (which only VACUUM and ANALYZE update).  The guard runs before the
 * command takes its own lock, so it must never wait for a lock itself nor
 * keep one: it takes ACCESS SHARE only if it is free at once and releases
 * it at once (as pg_relation_size() does), and falls back to pg_class's
 * estimate when it is not.  Holding ACCESS SHARE until the command upgrades
 * it to ACCESS EXCLUSIVE would turn two concurrent ALTERs into a deadlock.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/tableam.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_inherits.h"
#include "catalog/namespace.h"
#include "miscadmin.h"
#include "commands/defrem.h"
#include "executor/tuptable.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "storage/smgr.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "guard/guard.h"

/* Pages read at most to find out whether a table holds a visible row. */
#define HAS_ROWS_SCAN_PAGES 128

/*
 * try_open
 *		Open a relation under an ACCESS SHARE lock taken only if it is free
 *		now; NULL if it is not (or the relation is gone).  Close with
 *		close_released().
 */
static Relation
try_open(Oid relid)
{
	Relation	rel;

	if (!ConditionalLockRelationOid(relid, AccessShareLock))
		return NULL;
	rel = try_relation_open(relid, NoLock);
	if (rel == NULL)
		UnlockRelationOid(relid, AccessShareLock);
	return rel;
}

static void
close_released(Relation rel)
{
	Oid			relid = RelationGetRelid(rel);

	relation_close(rel, NoLock);
	UnlockRelationOid(relid, AccessShareLock);
}

static int64 relation_bytes(Oid relid, int32 relpages);

/*
 * toast_bytes
 *		Bytes of a TOAST table's main fork, asked of the storage manager
 *		with the file named by its pg_class row, under the same ACCESS SHARE
 *		taken only if free: no relcache entry is built for it.  The command
 *		judged never opens the TOAST table of the table it changes, so
 *		building one (its tuple descriptor, a third of what judging a DROP
 *		COLUMN cost) would be work added, not moved.  A TOAST table of a
 *		shared catalog, a mapped or a temporary one is opened as any
 *		relation is.
 */
static int64
toast_bytes(Oid toastid)
{
	HeapTuple	tuple;
	Form_pg_class form;
	RelFileNode rnode;
	int64		bytes = 0;

	if (!ConditionalLockRelationOid(toastid, AccessShareLock))
		return 0;				/* locked by someone: as relation_bytes() */
	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(toastid));
	if (!HeapTupleIsValid(tuple))
	{
		UnlockRelationOid(toastid, AccessShareLock);
		return 0;
	}
	form = (Form_pg_class) GETSTRUCT(tuple);
	if (form->relisshared || !OidIsValid(form->relfilenode) ||
		form->relpersistence == RELPERSISTENCE_TEMP ||
		!RELKIND_HAS_STORAGE(form->relkind))
	{
		ReleaseSysCache(tuple);
		UnlockRelationOid(toastid, AccessShareLock);
		return relation_bytes(toastid, 0);
	}
	rnode.spcNode = OidIsValid(form->reltablespace) ? form->reltablespace
		: MyDatabaseTableSpace;
	rnode.dbNode = MyDatabaseId;
	rnode.relNode = form->relfilenode;
	ReleaseSysCache(tuple);
	bytes = (int64) smgrnblocks(smgropen(rnode, InvalidBackendId), MAIN_FORKNUM) * BLCKSZ;
	UnlockRelationOid(toastid, AccessShareLock);
	return bytes;
}

/*
 * Bytes of a relation's main fork; its TOAST table in *toastid (if any),
 * measured only when asked (guard_relation_bytes).  *heap: is it a heap,
 * or without storage (whose empty main fork means no row)?
 */
static int64
relation_main_bytes(Oid relid, int32 relpages, Oid *toastid, bool *heap)
{
	Relation	rel = try_open(relid);
	int64		bytes;

	*toastid = InvalidOid;
	*heap = true;
	if (rel == NULL)
		return (int64) relpages * BLCKSZ;	/* locked by someone: estimate */
	bytes = RELKIND_HAS_STORAGE(rel->rd_rel->relkind)
		? (int64) RelationGetNumberOfBlocks(rel) * BLCKSZ : 0;
	*toastid = rel->rd_rel->reltoastrelid;
	*heap = !RELKIND_HAS_STORAGE(rel->rd_rel->relkind) ||
		rel->rd_rel->relam == HEAP_TABLE_AM_OID;
	close_released(rel);
	return bytes;
}

/* Bytes of a relation's main fork and of its TOAST table's. */
static int64
relation_bytes(Oid relid, int32 relpages)
{
	Oid			toastid;
	bool		heap;
	int64		bytes = relation_main_bytes(relid, relpages, &toastid, &heap);

	return OidIsValid(toastid) ? bytes + toast_bytes(toastid) : bytes;
}

/* Was the relation created by the current transaction? */
static bool
created_in_transaction(Oid relid)
{
	Relation	rel = RelationIdGetRelation(relid);
	bool		result;

	if (rel == NULL)
		return false;
	result = rel->rd_createSubid != InvalidSubTransactionId;
	RelationClose(rel);
	return result;
}

/*
 * guard_relation
 *		The evidence about a table a change touches, computed once per
 *		statement.  recurse: the command reaches the inheritance children
 *		too (no ONLY); partitions always count.
 */
GuardRelation *
guard_relation(GuardStatement *st, Oid relid, bool recurse)
{
	GuardRelation *rel;
	HeapTuple	tuple;
	Form_pg_class form;
	List	   *members;
	ListCell   *lc;
	bool		rows_known = true;

	foreach(lc, st->relations)
	{
		rel = lfirst(lc);
		if (rel->relid == relid)
			return rel;
	}

	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tuple))
		return NULL;
	form = (Form_pg_class) GETSTRUCT(tuple);
	/* a temporary table is this session's alone: never judged */
	if (form->relpersistence == RELPERSISTENCE_TEMP)
	{
		ReleaseSysCache(tuple);
		return NULL;
	}

	rel = palloc0(sizeof(GuardRelation));
	rel->relid = relid;
	rel->relkind = form->relkind;
	rel->nspname = get_namespace_name(form->relnamespace);
	rel->relname = pstrdup(NameStr(form->relname));
	rel->sql_name = quote_qualified_identifier(rel->nspname, rel->relname);
	rel->is_new = created_in_transaction(relid);
	rel->has_rows = -1;
	rel->all_heap = true;
	/* without relhassubclass, find_all_inheritors() would find no other */
	if ((recurse || rel->relkind == RELKIND_PARTITIONED_TABLE) && form->relhassubclass)
		members = find_all_inheritors(relid, NoLock, NULL);
	else
		members = list_make1_oid(relid);
	ReleaseSysCache(tuple);

	foreach(lc, members)
	{
		Oid			member = lfirst_oid(lc);
		Form_pg_class mform;

		if (member != relid && created_in_transaction(member))
			continue;
		tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(member));
		if (!HeapTupleIsValid(tuple))
			continue;
		mform = (Form_pg_class) GETSTRUCT(tuple);
		rel->nmembers++;
		rel->member_oids = lappend_oid(rel->member_oids, member);
		if (RELKIND_HAS_STORAGE(mform->relkind))
		{
			if (mform->reltuples < 0)
				rows_known = false;
			else
				rel->rows += mform->reltuples;
		}
		{
			Oid			toastid;
			bool		heap;

			rel->bytes += relation_main_bytes(member, mform->relpages, &toastid, &heap);
			if (OidIsValid(toastid))
				rel->toast_pending = lappend_oid(rel->toast_pending, toastid);
			rel->all_heap &= heap;
		}
		ReleaseSysCache(tuple);
	}
	if (!rows_known)
		rel->rows = -1;
	if (rel->is_new)
		rel->has_rows = 0;
	else if (!guard_rows_visible(relid) && guard_relation_bytes(rel) > 0)
	{
		/*
		 * Whether it holds rows is not the caller's to know (visibility.c):
		 * taken to hold some.  Its size is anyone's to know; none means no
		 * row.
		 */
		rel->rows_withheld = true;
		rel->has_rows = 1;
	}
	rel->unwatched = -1;		/* who is there: asked when a rule needs it */
	rel->st = st;

	st->relations = lappend(st->relations, rel);
	return rel;
}

/* Does one table hold a row the latest snapshot sees? */
static bool
member_has_rows(Oid relid)
{
	Relation	rel = try_open(relid);
	bool		found = true;	/* when in doubt, the table is not empty */

	if (rel == NULL)
		return true;
	if (!RELKIND_HAS_STORAGE(rel->rd_rel->relkind))
		found = false;
	else if (rel->rd_rel->relam == HEAP_TABLE_AM_OID)
	{
		BlockNumber nblocks = RelationGetNumberOfBlocks(rel);

		found = false;
		if (nblocks > 0)
		{
			Snapshot	snapshot = RegisterSnapshot(GetLatestSnapshot());
			TableScanDesc scan = table_beginscan(rel, snapshot, 0, NULL);
			TupleTableSlot *slot = table_slot_create(rel, NULL);

			heap_setscanlimits(scan, 0, Min(nblocks, HAS_ROWS_SCAN_PAGES));
			found = table_scan_getnextslot(scan, ForwardScanDirection, slot);
			/* no row in the first pages of a longer table: assume some */
			if (!found && nblocks > HAS_ROWS_SCAN_PAGES)
				found = true;
			ExecDropSingleTupleTableSlot(slot);
			table_endscan(scan);
			UnregisterSnapshot(snapshot);
		}
	}
	close_released(rel);
	return found;
}

/*
 * guard_relation_is_unwatched
 *		Would a lock on the table block nobody (sessions.c)?  Asked of the
 *		server's session and lock tables at the first rule that needs to
 *		know, once per statement: most statements judged (a DROP COLUMN of
 *		a column nothing reads, run with a lock_timeout) need not.
 */
bool
guard_relation_is_unwatched(GuardRelation *rel)
{
	if (rel->unwatched < 0)
		rel->unwatched = guard_relation_unwatched(rel->st, rel) ? 1 : 0;
	return rel->unwatched == 1;
}

/*
 * guard_relation_bytes
 *		The members' size, main forks and TOAST tables.  A TOAST table is
 *		measured at the first call only (a catalog look-up each): whether a
 *		table holds rows needs its main forks alone, and a DROP COLUMN of a
 *		column of an empty table is judged without it.
 */
int64
guard_relation_bytes(GuardRelation *rel)
{
	ListCell   *lc;

	foreach(lc, rel->toast_pending)
		rel->bytes += toast_bytes(lfirst_oid(lc));
	list_free(rel->toast_pending);
	rel->toast_pending = NIL;
	return rel->bytes;
}

/*
 * Could a member hold a row?  Not if no block is in a main fork of a heap
 * (member_has_rows finds none there; a table of another access method is
 * taken to hold rows when in doubt, so its TOAST table counts too).
 */
static bool
may_hold_rows(GuardRelation *rel)
{
	return rel->bytes > 0 || (!rel->all_heap && guard_relation_bytes(rel) > 0);
}

bool
guard_relation_has_rows(GuardRelation *rel)
{
	ListCell   *lc;

	if (rel->has_rows >= 0)
		return rel->has_rows == 1;
	rel->has_rows = 0;
	if (may_hold_rows(rel))
	{
		foreach(lc, rel->member_oids)
		{
			if (member_has_rows(lfirst_oid(lc)))
			{
				rel->has_rows = 1;
				break;
			}
		}
	}
	return rel->has_rows == 1;
}

/*
 * guard_relation_large
 *		At or above schemaguard.large_table_threshold, not new, not empty,
 *		and a lock on it would block somebody (sessions.c): the tables the
 *		size-based rules care about.
 */
bool
guard_relation_large(GuardRelation *rel)
{
	if (rel == NULL || rel->is_new)
		return false;
	/* a table without rows is not large: its TOAST table need not be measured */
	if (rel->has_rows == 0 || (!rel->rows_withheld && !may_hold_rows(rel)))
		return false;
	if (guard_relation_bytes(rel) < (int64) guard_large_table_threshold_kb * 1024)
		return false;
	if (guard_relation_is_unwatched(rel))
		return false;
	return guard_relation_has_rows(rel);
}

static char *
size_pretty(int64 bytes)
{
	return text_to_cstring(DatumGetTextPP(DirectFunctionCall1(pg_size_pretty,
															  Int64GetDatum(bytes))));
}

/*
 * guard_size_evidence
 *		"table "s.t" is 12 MB (about 100000 rows)", naming the partitions or
 *		children counted, and the threshold.
 */
char *
guard_size_evidence(GuardRelation *rel)
{
	StringInfoData buf;
	const char *kind;
	int			children = rel->nmembers - 1;

	initStringInfo(&buf);
	switch (rel->relkind)
	{
		case RELKIND_PARTITIONED_TABLE:
			kind = "partitioned table";
			break;
		case RELKIND_MATVIEW:
			kind = "materialized view";
			break;
		default:
			kind = "table";
	}
	appendStringInfo(&buf, "The %s \"%s.%s\" ", kind, rel->nspname, rel->relname);
	if (rel->relkind == RELKIND_PARTITIONED_TABLE)
		appendStringInfo(&buf, "and its %d partition%s hold %s",
						 children, children == 1 ? "" : "s",
						 size_pretty(guard_relation_bytes(rel)));
	else if (children > 0)
		appendStringInfo(&buf, "and its %d inheritance child%s hold %s",
						 children, children == 1 ? "" : "ren",
						 size_pretty(guard_relation_bytes(rel)));
	else
		appendStringInfo(&buf, "holds %s", size_pretty(guard_relation_bytes(rel)));
	if (rel->rows_withheld)
		appendStringInfoString(&buf, " (whether it holds rows is withheld: you may not read them)");
	else if (rel->rows >= 0)
		appendStringInfo(&buf, " (about %.0f row%s)", rel->rows, rel->rows == 1 ? "" : "s");
	else
		appendStringInfoString(&buf, " (rows not yet counted by ANALYZE)");
	if (guard_relation_large(rel))
		appendStringInfo(&buf, "; schemaguard.large_table_threshold is %s",
						 size_pretty((int64) guard_large_table_threshold_kb * 1024));
	appendStringInfoChar(&buf, '.');
	return buf.data;
}

const char *
guard_lock_name(LOCKMODE mode)
{
	switch (mode)
	{
		case AccessShareLock:
			return "ACCESS SHARE";
		case RowShareLock:
			return "ROW SHARE";
		case RowExclusiveLock:
			return "ROW EXCLUSIVE";
		case ShareUpdateExclusiveLock:
			return "SHARE UPDATE EXCLUSIVE";
		case ShareLock:
			return "SHARE";
		case ShareRowExclusiveLock:
			return "SHARE ROW EXCLUSIVE";
		case ExclusiveLock:
			return "EXCLUSIVE";
		default:
			return "ACCESS EXCLUSIVE";
	}
}

/* "an ACCESS EXCLUSIVE lock", "a SHARE lock" */
char *
guard_lock_phrase(LOCKMODE mode)
{
	const char *name = guard_lock_name(mode);

	return psprintf("%s %s lock", name[0] == 'A' || name[0] == 'E' ? "an" : "a", name);
}

/* What other sessions cannot do while the lock is held. */
const char *
guard_lock_effect(LOCKMODE mode)
{
	if (mode >= AccessExclusiveLock)
		return "which blocks every read and write of the table";
	if (mode >= ShareLock)
		return "which blocks INSERT, UPDATE and DELETE on the table (plain reads go on)";
	if (mode >= ShareUpdateExclusiveLock)
		return "which blocks VACUUM and other schema changes, not reads or writes";
	return "which blocks only ACCESS EXCLUSIVE locks";
}

/* Skip blanks and SQL comments from p on. */
static const char *
skip_blanks(const char *p)
{
	for (;;)
	{
		while (*p && isspace((unsigned char) *p))
			p++;
		if (p[0] == '-' && p[1] == '-')
		{
			while (*p && *p != '\n')
				p++;
		}
		else if (p[0] == '/' && p[1] == '*')
		{
			const char *end = strstr(p + 2, "*/");

			p = end ? end + 2 : p + strlen(p);
		}
		else
			return p;
	}
}

/*
 * guard_insert_after_keyword
 *		The statement text with insertion placed after the first word equal
 *		(case-insensitively) to keyword among the leading words of the
 *		statement: "CREATE UNIQUE INDEX" + "CONCURRENTLY".  NULL if a
 *		quoted identifier or any punctuation comes before it.
 */
char *
guard_insert_after_keyword(const char *sql, const char *keyword,
						   const char *insertion)
{
	const char *p = sql;
	size_t		klen = strlen(keyword);

	for (;;)
	{
		const char *word;

		p = skip_blanks(p);
		word = p;
		while (*p && (isalnum((unsigned char) *p) || *p == '_'))
			p++;
		if (p == word)
			return NULL;
		if ((size_t) (p - word) == klen && pg_strncasecmp(word, keyword, klen) == 0)
			return psprintf("%.*s %s%s", (int) (p - sql), sql, insertion, p);
	}
}

/*
 * code_length
 *		The length of sql up to the end of its last token that is code: not
 *		a blank, a comment or a semicolon.  String literals (E'' ones with
 *		their backslash escapes), quoted identifiers and dollar-quoted
 *		strings are skipped whole, so that what they hold counts as code.
 */
static int
code_length(const char *sql)
{
	const char *p = sql;
	const char *end = sql;

	while (*p)
	{
		if (isspace((unsigned char) *p) || *p == ';')
			p++;
		else if (p[0] == '-' && p[1] == '-')
		{
			while (*p && *p != '\n')
				p++;
		}
		else if (p[0] == '/' && p[1] == '*')
		{
			int			depth = 1;

			for (p += 2; *p && depth > 0; p++)
			{
				if (p[0] == '/' && p[1] == '*')
					depth++, p++;
				else if (p[0] == '*' && p[1] == '/')
					depth--, p++;
			}
		}
		else if (*p == '\'' || *p == '"')
		{
			char		quote = *p;
			bool		escapes = (quote == '\'' && p > sql &&
								   (p[-1] == 'E' || p[-1] == 'e') &&
								   (p - 1 == sql || !(isalnum((unsigned char) p[-2]) || p[-2] == '_')));

			for (p++; *p; p++)
			{
				if (escapes && *p == '\\' && p[1])
					p++;
				else if (*p == quote && p[1] == quote)
					p++;
				else if (*p == quote)
					break;
			}
			if (*p)
				p++;
			end = p;
		}
		else if (*p == '$' && (p == sql || !(isalnum((unsigned char) p[-1]) || p[-1] == '_')))
		{
			/* $tag$...$tag$, unless it is a parameter ($1) */
			const char *tag_end = p + 1;

			while (isalnum((unsigned char) *tag_end) || *tag_end == '_' ||
				   IS_HIGHBIT_SET(*tag_end))
				tag_end++;
			if (*tag_end == '$' && !isdigit((unsigned char) p[1]))
			{
				int			taglen = tag_end - p + 1;
				const char *close = strstr(tag_end + 1, pnstrdup(p, taglen));

				p = close ? close + taglen : p + strlen(p);
			}
			else
				p = tag_end;
			end = p;
		}
		else
			end = ++p;
	}
	return end - sql;
}

/*
 * guard_statement_sql
 *		A statement's text as a hint shows it: its code, without the blanks,
 *		comments and semicolons around it, then one semicolon (a trailing
 *		"-- note" would otherwise swallow it).
 */
char *
guard_statement_sql(const char *text)
{
	const char *start = skip_blanks(text);

	return psprintf("%.*s;", code_length(start), start);
}

/*
 * guard_choose_constraint_name
 *		A constraint name for a hint, as PostgreSQL would choose it: not in
 *		use in the table's schema.
 */
char *
guard_choose_constraint_name(GuardRelation *rel, const char *colname,
							 const char *label)
{
	Oid			nspid = OidIsValid(rel->relid) ? get_rel_namespace(rel->relid) : InvalidOid;

	if (!OidIsValid(nspid))
		return makeObjectName(rel->relname, colname, label);
	return ChooseConstraintName(rel->relname, colname, label, nspid, NIL);
}

/*
 * guard_choose_relation_name
 *		The name of a table, sequence or index a hint creates beside rel, as
 *		PostgreSQL chooses one (ChooseRelationName): "<table>_<name2>_<label>"
 *		shortened to fit NAMEDATALEN, with a number added until no relation
 *		of the schema (nor, if isconstraint, constraint) has it.
 */
char *
guard_choose_relation_name(GuardRelation *rel, const char *name2,
						   const char *label, bool isconstraint)
{
	Oid			nspid = get_namespace_oid(rel->nspname, true);

	if (!OidIsValid(nspid))
		return makeObjectName(rel->relname, name2, label);
	return ChooseRelationName(rel->relname, name2, label, nspid, isconstraint);
}

/*
 * guard_choose_column_name
 *		The name of a column a hint adds to rel: "<colname>_<label>"
 *		shortened to fit NAMEDATALEN (makeObjectName), with a number added
 *		while the table has a column of that name, or it is taken.
 */
char *
guard_choose_column_name(GuardRelation *rel, const char *colname,
						 const char *label, const char *taken)
{
	char		modlabel[NAMEDATALEN];
	char	   *name;

	strlcpy(modlabel, label, sizeof(modlabel));
	for (int pass = 1;; pass++)
	{
		name = makeObjectName(colname, NULL, modlabel);
		if ((taken == NULL || strcmp(name, taken) != 0) &&
			(!OidIsValid(rel->relid) || get_attnum(rel->relid, name) == InvalidAttrNumber))
			return name;
		pfree(name);
		snprintf(modlabel, sizeof(modlabel), "%s%d", label, pass);
	}
}

/*
 * guard_paren_text
 *		The parenthesized text that starts at the first "(" at or after
 *		location in source, parentheses included: the expression of a CHECK
 *		or GENERATED clause as the user wrote it.  String literals and
 *		quoted identifiers may hold parentheses.  NULL if unbalanced.
 */
char *
guard_paren_text(const char *source, int location)
{
	const char *start;
	const char *p;
	int			depth = 0;

	if (source == NULL || location < 0 || location >= (int) strlen(source))
		return NULL;
	start = strchr(source + location, '(');
	if (start == NULL)
		return NULL;
	for (p = start; *p; p++)
	{
		if (*p == '\'' || *p == '"')
		{
			char		quote = *p;

			for (p++; *p && !(*p == quote && p[1] != quote); p++)
			{
				if (*p == quote)
					p++;		/* doubled quote */
			}
			if (*p == '\0')
				return NULL;
		}
		else if (*p == '(')
			depth++;
		else if (*p == ')' && --depth == 0)
			return pnstrdup(start, p - start + 1);
	}
	return NULL;
}

/*
 * guard_expand_contract_hint
 *		The online way to give a column a new type or new content: a new
 *		column filled in batches, then the names swapped.  using_sql is the
 *		value of the new column (the old column's, converted, by default).
 */
char *
guard_expand_contract_hint(GuardRelation *rel, const char *colname,
						   const char *newtype, const char *using_sql,
						   const char *why)
{
	char	   *newcol = guard_choose_column_name(rel, colname, "new", NULL);
	char	   *oldcol = guard_choose_column_name(rel, colname, "old", newcol);
	const char *col = quote_identifier(colname);
	const char *qnew = quote_identifier(newcol);
	char	   *value = using_sql ? pstrdup(using_sql) : psprintf("%s::%s", col, newtype);

	return psprintf("%s: add a column of the new type, fill it in batches (keep new writes in step with a trigger or in the application), then swap the names in one short transaction:\n"
					"ALTER TABLE %s ADD COLUMN %s %s;\n"
					"UPDATE %s SET %s = %s WHERE ctid IN (SELECT ctid FROM %s WHERE %s IS DISTINCT FROM %s LIMIT 10000);  -- repeat until it updates no row\n"
					"BEGIN; ALTER TABLE %s RENAME COLUMN %s TO %s; ALTER TABLE %s RENAME COLUMN %s TO %s; COMMIT;",
					why,
					rel->sql_name, qnew, newtype,
					rel->sql_name, qnew, value, rel->sql_name, qnew, value,
					rel->sql_name, col, quote_identifier(oldcol),
					rel->sql_name, qnew, col);
}

/* SELECT * FROM schemaguard.impact_of('...') for a table or one column. */
char *
guard_impact_query(GuardRelation *rel, const char *colname)
{
	char	   *target = psprintf("%s.%s%s%s", quote_identifier(rel->nspname),
								  quote_identifier(rel->relname),
								  colname ? "." : "",
								  colname ? quote_identifier(colname) : "");

	return psprintf("SELECT * FROM schemaguard.impact_of(%s);",
					quote_literal_cstr(target));
}

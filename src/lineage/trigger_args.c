/*-------------------------------------------------------------------------
 *
 * trigger_args.c
 *	  Columns named by the arguments of known trigger functions.
 *
 * Some trigger functions written in C take column names as arguments:
 * tsvector_update_trigger('fulltext', 'pg_catalog.english', 'title',
 * 'description') makes every INSERT and UPDATE of its table read title and
 * description and write fulltext; renaming title breaks every write.  Their
 * bodies cannot be read, so the columns come from the trigger's arguments,
 * by a table of the functions known: PostgreSQL's own, and the contrib ones
 * shipped with PostgreSQL 15.  A function is recognized by its C symbol
 * (pg_proc.prosrc) and, for a contrib one, its library (probin), whatever
 * schema the extension was installed in.
 *
 * Also here: lineage_trigger_row(), what a trigger is and its arguments,
 * for the analyzers that read a trigger's function for it.
 *
 * To add one: a row of known_trigger_functions, saying what each argument
 * is -- 'w' a column the trigger writes, 'r' a column it reads, 'x' not a
 * column (a text search configuration, a sequence) -- for the first
 * arguments (head) and for the rest, repeated (tail).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_class.h"
#include "catalog/pg_language.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_trigger.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "lineage/internal.h"

typedef struct KnownTriggerFunction
{
	const char *symbol;			/* pg_proc.prosrc */
	const char *library;		/* the library's base name; NULL: built in */
	const char *head;			/* the first arguments: w, r or x each */
	const char *tail;			/* the rest, repeated */
} KnownTriggerFunction;

static const KnownTriggerFunction known_trigger_functions[] = {
	/* tsvector_update_trigger(tsvector column, configuration, text columns...) */
	{"tsvector_update_trigger_byid", NULL, "wx", "r"},
	/* tsvector_update_trigger_column(tsvector column, config column, text columns...) */
	{"tsvector_update_trigger_bycolumn", NULL, "wr", "r"},
	/* contrib/spi: moddatetime(timestamp column) */
	{"moddatetime", "moddatetime", "w", ""},
	/* contrib/spi: insert_username(text column) */
	{"insert_username", "insert_username", "w", ""},
	/* contrib/spi: autoinc(column, sequence [, column, sequence ...]) */
	{"autoinc", "autoinc", "", "wx"},
	/* contrib/lo: lo_manage(large object column) */
	{"lo_manage", "lo", "r", ""}
};

/* Does probin ("$libdir/moddatetime", maybe with a suffix) name library? */
static bool
library_is(const char *probin, const char *library)
{
	const char *base = strrchr(probin, '/');
	size_t		n = strlen(library);

	base = base ? base + 1 : probin;
	return strncmp(base, library, n) == 0 &&
		(base[n] == '\0' || base[n] == '.');
}

static const KnownTriggerFunction *
known_function(Oid funcid)
{
	HeapTuple	tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
	const KnownTriggerFunction *found = NULL;
	Form_pg_proc proc;
	bool		isnull;
	char	   *symbol;
	Datum		probin;
	int			i;

	if (!HeapTupleIsValid(tuple))
		return NULL;
	proc = (Form_pg_proc) GETSTRUCT(tuple);
	if (proc->prolang != INTERNALlanguageId && proc->prolang != ClanguageId)
	{
		ReleaseSysCache(tuple);
		return NULL;
	}
	symbol = TextDatumGetCString(SysCacheGetAttr(PROCOID, tuple,
												 Anum_pg_proc_prosrc, &isnull));
	probin = SysCacheGetAttr(PROCOID, tuple, Anum_pg_proc_probin, &isnull);
	for (i = 0; i < lengthof(known_trigger_functions) && found == NULL; i++)
	{
		const KnownTriggerFunction *k = &known_trigger_functions[i];

		if (strcmp(symbol, k->symbol) != 0)
			continue;
		if (k->library == NULL ? proc->prolang == INTERNALlanguageId
			: (!isnull && proc->prolang == ClanguageId &&
			   library_is(TextDatumGetCString(probin), k->library)))
			found = k;
	}
	ReleaseSysCache(tuple);
	return found;
}

/*
 * lineage_trigger_row
 *		What a trigger is (by OID): its table, its function, its name, its
 *		arguments (String nodes), whether it is internal.  False if there is
 *		no such trigger.
 */
bool
lineage_trigger_row(Oid trigger, TriggerRow *row)
{
	Relation	rel = table_open(TriggerRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	bool		found = false;

	memset(row, 0, sizeof(TriggerRow));
	ScanKeyInit(&key, Anum_pg_trigger_oid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(trigger));
	scan = systable_beginscan(rel, TriggerOidIndexId, true, NULL, 1, &key);
	if (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_trigger trig = (Form_pg_trigger) GETSTRUCT(tuple);
		bool		isnull;
		Datum		args = heap_getattr(tuple, Anum_pg_trigger_tgargs,
										RelationGetDescr(rel), &isnull);
		const char *arg = isnull ? NULL : VARDATA_ANY(DatumGetByteaPP(args));
		int			i;

		row->relid = trig->tgrelid;
		row->funcid = trig->tgfoid;
		row->name = pstrdup(NameStr(trig->tgname));
		row->internal = trig->tgisinternal;
		row->nargs = trig->tgnargs;
		row->args = arg ? palloc(VARSIZE_ANY_EXHDR(DatumGetByteaPP(args)) + 1) : NULL;
		if (arg)
		{
			memcpy(row->args, arg, VARSIZE_ANY_EXHDR(DatumGetByteaPP(args)));
			row->args[VARSIZE_ANY_EXHDR(DatumGetByteaPP(args))] = '\0';
		}
		for (i = 0; arg != NULL && i < trig->tgnargs; i++, arg += strlen(arg) + 1)
			row->argv = lappend(row->argv, makeString(pstrdup(arg)));
		found = true;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

/*
 * trigger_argument_edges
 *		The edges from the columns a trigger's arguments name, if its
 *		function is one of the known ones, to the trigger: "write" for a
 *		column it assigns, "transformation" for one it reads.  args holds
 *		nargs NUL-terminated strings (pg_trigger.tgargs).  A name that is no
 *		column of the table gives nothing (the trigger fails when it fires).
 */
List *
trigger_argument_edges(Oid funcid, const char *args, int nargs, Oid relid,
					   const ObjectAddress *trigger)
{
	const KnownTriggerFunction *k = known_function(funcid);
	List	   *edges = NIL;
	const char *arg = args;
	int			head;
	int			i;

	if (k == NULL)
		return NIL;
	head = strlen(k->head);
	for (i = 0; i < nargs; i++, arg += strlen(arg) + 1)
	{
		char		what;
		AttrNumber	attnum;
		LineageEdge *edge;

		if (i < head)
			what = k->head[i];
		else if (k->tail[0] != '\0')
			what = k->tail[(i - head) % strlen(k->tail)];
		else
			break;
		if (what == 'x' || (attnum = get_attnum(relid, arg)) <= 0)
			continue;
		edge = palloc(sizeof(LineageEdge));
		ObjectAddressSubSet(edge->source, RelationRelationId, relid, attnum);
		edge->dependent = *trigger;
		edge->usage = what == 'w' ? USAGE_WRITE : USAGE_TRANSFORMATION;
		edges = lappend(edges, edge);
	}
	return edges;
}

/*-------------------------------------------------------------------------
 *
 * bodies.c
 *	  The function bodies a column rename leaves naming the old name (SQL
 *	  and PL/pgSQL bodies kept as text, which PostgreSQL binds by name when
 *	  they run), rewritten: the CREATE OR REPLACE FUNCTION that names the
 *	  new name instead, changed only at the tokens PostgreSQL's own scanner
 *	  reads there (libpg_query, through lineage/lineage.h) -- never a text
 *	  search: comments and string literals are not touched.
 *
 * Which tokens name the column: a name token equal to the old name (as the
 * scanner folds it: unquoted names are lower-cased) that is qualified by
 * the table's name, an alias the body gives it (the name token after the
 * table's, or after AS), or NEW/OLD in a trigger function of the table; or
 * unqualified, in a body that names the table.  What a person must look
 * at instead is flagged, not changed: an unqualified name that is also a
 * parameter of the function, a variable being assigned, or a column of
 * another table the body names; a string constant that names the column
 * (dynamic SQL); a body the scanner refuses.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "fmgr.h"
#include "parser/scansup.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "lineage/lineage.h"
#include "migrate/internal.h"

/* A name token's text as the parser folds it (quoted: as written). */
static char *
token_name(const char *body, LineageToken *t)
{
	int			len = t->end - t->start;
	const char *p = body + t->start;

	if (len >= 2 && p[0] == '"')
	{
		StringInfoData buf;

		initStringInfo(&buf);
		for (int i = 1; i < len - 1; i++)
		{
			appendStringInfoChar(&buf, p[i]);
			if (p[i] == '"' && p[i + 1] == '"')
				i++;
		}
		return buf.data;
	}
	return downcase_identifier(p, len, false, false);
}

static bool
is_name(const char *body, LineageToken *tokens, int i, int n, const char *name)
{
	return i >= 0 && i < n && tokens[i].kind == LINEAGE_TOKEN_NAME &&
		strcmp(token_name(body, &tokens[i]), name) == 0;
}

static bool
is_text(const char *body, LineageToken *t, const char *text)
{
	return (int) strlen(text) == t->end - t->start &&
		pg_strncasecmp(body + t->start, text, t->end - t->start) == 0;
}

/* Is the function a trigger function of a trigger on the table? */
static bool
trigger_of(Oid funcid, Oid relid)
{
	ListCell   *lc;

	foreach(lc, mig_depend_on(ProcedureRelationId, funcid, 0))
	{
		MigDep	   *d = lfirst(lc);
		ObjectAddress owner;

		if (d->object.classId != TriggerRelationId)
			continue;
		owner = lineage_owner(&d->object);	/* the trigger's table */
		if (owner.classId == RelationRelationId && owner.objectId == relid)
			return true;
	}
	return false;
}

/* Does the string constant name the column as a word? */
static bool
string_names(const char *body, LineageToken *t, const char *name)
{
	char	   *text = pnstrdup(body + t->start, t->end - t->start);
	char	   *lower = downcase_identifier(text, strlen(text), false, false);
	size_t		len = strlen(name);

	for (char *p = strstr(lower, name); p; p = strstr(p + 1, name))
	{
		bool		before = (p == lower) || !(isalnum((unsigned char) p[-1]) || p[-1] == '_');
		bool		after = !(isalnum((unsigned char) p[len]) || p[len] == '_');

		if (before && after)
			return true;
	}
	return false;
}

/*
 * mig_body_rewritten
 *		The CREATE OR REPLACE FUNCTION of funcid with column `from' of table
 *		relid named `to' (NULL if no token was changed); *flags: what a
 *		person must look at (a List of strings); *count: tokens changed.
 */
char *
mig_body_rewritten(Oid funcid, Oid relid, const char *from, const char *to,
				   List **flags, int *count)
{
	HeapTuple	tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
	char	   *body;
	char	   *def;
	char	   *at;
	char	   *relname = get_rel_name(relid);
	LineageToken *tokens;
	int			n;
	char	   *error;
	List	   *qualifiers = NIL;
	List	   *params = NIL;
	bool		names_table = false;
	StringInfoData out;
	int			copied = 0;
	bool		isnull;
	Datum		datum;

	*flags = NIL;
	*count = 0;
	if (!HeapTupleIsValid(tuple))
		return NULL;
	datum = SysCacheGetAttr(PROCOID, tuple, Anum_pg_proc_prosrc, &isnull);
	body = isnull ? NULL : TextDatumGetCString(datum);
	datum = SysCacheGetAttr(PROCOID, tuple, Anum_pg_proc_proargnames, &isnull);
	if (!isnull)
	{
		Datum	   *names;
		int			nnames;

		deconstruct_array(DatumGetArrayTypeP(datum), TEXTOID, -1, false, TYPALIGN_INT,
						  &names, NULL, &nnames);
		for (int i = 0; i < nnames; i++)
			params = lappend(params, TextDatumGetCString(names[i]));
	}
	ReleaseSysCache(tuple);
	if (body == NULL)
		return NULL;

	tokens = lineage_scan(body, &n, &error);
	if (tokens == NULL)
	{
		*flags = lappend(*flags, psprintf("its body does not scan (%s): change it by hand", error));
		return NULL;
	}

	/* the names the body gives the table */
	qualifiers = lappend(qualifiers, relname);
	if (trigger_of(funcid, relid))
		qualifiers = list_make3(relname, "new", "old");
	for (int i = 0; i < n; i++)
	{
		if (!is_name(body, tokens, i, n, relname) ||
			(i > 0 && tokens[i - 1].kind == LINEAGE_TOKEN_DOT && i + 1 < n &&
			 tokens[i + 1].kind == LINEAGE_TOKEN_DOT))
			continue;
		if (i + 1 < n && tokens[i + 1].kind == LINEAGE_TOKEN_DOT)
			continue;			/* relname.column: a qualifier, not the table */
		names_table = true;
		if (i + 2 < n && is_text(body, &tokens[i + 1], "as") &&
			tokens[i + 2].kind == LINEAGE_TOKEN_NAME)
			qualifiers = lappend(qualifiers, token_name(body, &tokens[i + 2]));
		else if (i + 1 < n && tokens[i + 1].kind == LINEAGE_TOKEN_NAME &&
				 body[tokens[i + 1].start] != '"' &&
				 !is_text(body, &tokens[i + 1], "set") &&
				 !is_text(body, &tokens[i + 1], "as"))
			qualifiers = lappend(qualifiers, token_name(body, &tokens[i + 1]));
	}

	initStringInfo(&out);
	for (int i = 0; i < n; i++)
	{
		LineageToken *t = &tokens[i];
		bool		qualified = (i > 0 && tokens[i - 1].kind == LINEAGE_TOKEN_DOT);
		bool		change = false;
		ListCell   *lc;

		if (t->kind == LINEAGE_TOKEN_STRING && string_names(body, t, from))
		{
			*flags = lappend(*flags,
							 psprintf("a string constant names \"%s\" (dynamic SQL?) at byte %d: a person must change it",
									  from, t->start));
			continue;
		}
		if (!is_name(body, tokens, i, n, from))
			continue;
		if (i + 1 < n && tokens[i + 1].kind == LINEAGE_TOKEN_DOT)
			continue;			/* a qualifier itself */
		if (qualified)
		{
			char	   *q = (i >= 2 && tokens[i - 2].kind == LINEAGE_TOKEN_NAME)
				? token_name(body, &tokens[i - 2]) : NULL;

			foreach(lc, qualifiers)
				if (q && strcmp(q, lfirst(lc)) == 0)
					change = true;
		}
		else if (names_table)
		{
			bool		other = false;

			foreach(lc, params)
				if (strcmp(lfirst(lc), from) == 0)
					other = true;
			if (i + 1 < n && is_text(body, &tokens[i + 1], ":"))
				other = true;	/* := : a variable assigned */
			for (int j = 0; j < n && !other; j++)
			{
				Oid			rel;

				if (tokens[j].kind != LINEAGE_TOKEN_NAME ||
					(j + 1 < n && tokens[j + 1].kind == LINEAGE_TOKEN_DOT))
					continue;
				rel = RelnameGetRelid(token_name(body, &tokens[j]));
				if (OidIsValid(rel) && rel != relid &&
					get_attnum(rel, from) != InvalidAttrNumber)
					other = true;
			}
			if (other)
				*flags = lappend(*flags,
								 psprintf("\"%s\" at byte %d may be a parameter, a variable or another table's column: a person must decide",
										  from, t->start));
			else
				change = true;
		}
		if (!change)
			continue;
		appendBinaryStringInfo(&out, body + copied, t->start - copied);
		appendStringInfoString(&out, quote_identifier(to));
		copied = t->end;
		(*count)++;
	}
	if (*count == 0)
		return NULL;
	appendStringInfoString(&out, body + copied);

	/* the definition, its body replaced where the server printed it */
	def = TextDatumGetCString(DirectFunctionCall1(pg_get_functiondef, ObjectIdGetDatum(funcid)));
	at = strstr(def, body);
	if (at == NULL)
	{
		*flags = lappend(*flags, pstrdup("its definition does not show its body as stored: change it by hand"));
		return NULL;
	}
	return psprintf("%.*s%s%s", (int) (at - def), def, out.data, at + strlen(body));
}

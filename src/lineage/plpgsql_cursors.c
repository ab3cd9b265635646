/*-------------------------------------------------------------------------
 *
 * plpgsql_cursors.c
 *	  Cursor statements of a PL/pgSQL body, rewritten before libpg_query
 *	  parses it.
 *
 * libpg_query 15-4.0's PL/pgSQL parser rejects every OPEN, FETCH, MOVE and
 * CLOSE ("variable must be of type cursor or refcursor"): its stand-in for
 * the type lookup never gives a variable the refcursor type.  So before the
 * body is parsed, those statements are rewritten into ones that keep what
 * matters for lineage: OPEN x FOR query becomes PERFORM of that query,
 * OPEN x FOR EXECUTE e becomes EXECUTE e, the others become NULL.  A cursor
 * FOR loop over a declared cursor (rejected the same way) becomes WHILE
 * false LOOP: its body is still read, the cursor's query is read from its
 * declaration, and the loop's record is declared for the analysis.  The
 * scanner skips string literals, dollar quotes, comments and quoted
 * identifiers, and only looks at the first word of a statement.  Used by
 * plpgsql.c.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "lib/stringinfo.h"
#include "parser/scansup.h"

#include "lineage/internal.h"

/* Length of the literal, quoted identifier or comment starting at p, or 0. */
static int
skip_quoted(const char *p)
{
	const char *q;

	if (p[0] == '\'' || p[0] == '"')
	{
		for (q = p + 1; *q; q++)
		{
			if (*q == p[0])
			{
				if (q[1] == p[0])
					q++;		/* doubled quote */
				else
					return q - p + 1;
			}
		}
		return q - p;
	}
	if (p[0] == '-' && p[1] == '-')
	{
		for (q = p; *q && *q != '\n'; q++)
			;
		return q - p;
	}
	if (p[0] == '/' && p[1] == '*')
	{
		q = strstr(p + 2, "*/");
		return q ? q - p + 2 : strlen(p);
	}
	if (p[0] == '$')
	{
		const char *end = p + 1;
		char	   *tag;
		const char *close;

		while (*end && (isalnum((unsigned char) *end) || *end == '_'))
			end++;
		if (*end != '$')
			return 0;
		tag = pnstrdup(p, end - p + 1);
		close = strstr(end + 1, tag);
		return close ? close - p + strlen(tag) : strlen(p);
	}
	return 0;
}

/* The end of the statement starting at p: its ';' (or the end). */
static const char *
statement_end(const char *p)
{
	int			depth = 0;

	while (*p)
	{
		int			skip = skip_quoted(p);

		if (skip > 0)
		{
			p += skip;
			continue;
		}
		if (*p == '(')
			depth++;
		else if (*p == ')')
			depth--;
		else if (*p == ';' && depth <= 0)
			return p;
		p++;
	}
	return p;
}

static bool
word_is(const char *p, const char *word)
{
	size_t		n = strlen(word);

	return pg_strncasecmp(p, word, n) == 0 &&
		!(isalnum((unsigned char) p[n]) || p[n] == '_');
}

static const char *
skip_space(const char *p)
{
	while (isspace((unsigned char) *p))
		p++;
	return p;
}

/* What an OPEN statement (text between OPEN and ';') becomes. */
static char *
rewrite_open(const char *p, const char *end)
{
	/* the cursor variable, maybe quoted, maybe with arguments */
	p = skip_space(p);
	if (*p == '"')
		p += skip_quoted(p);
	else
		while (p < end && (isalnum((unsigned char) *p) || *p == '_' || *p == '.'))
			p++;
	p = skip_space(p);
	if (*p == '(')
		return pstrdup("NULL");	/* a bound cursor opened with arguments */
	if (word_is(p, "no"))
		p = skip_space(p + 2);
	if (word_is(p, "scroll"))
		p = skip_space(p + 6);
	if (!word_is(p, "for"))
		return pstrdup("NULL");	/* a bound cursor: its query is declared */
	p = skip_space(p + 3);
	if (word_is(p, "execute"))
		return pnstrdup(p, end - p);
	if (word_is(p, "select"))
		return psprintf("PERFORM %s", pnstrdup(p + 6, end - p - 6));
	return psprintf("PERFORM * FROM (%s) schemaguard_open", pnstrdup(p, end - p));
}

/* Read an identifier (maybe quoted) at p; returns its end, sets *name. */
static const char *
read_identifier(const char *p, char **name)
{
	const char *start = p;

	*name = NULL;
	if (*p == '"')
	{
		p += skip_quoted(p);
		*name = pnstrdup(start + 1, p - start - 2);
		return p;
	}
	while (isalnum((unsigned char) *p) || *p == '_')
		p++;
	if (p > start)
		*name = downcase_identifier(start, p - start, false, false);
	return p;
}

/*
 * The cursors a body declares ("name [NO] [SCROLL] CURSOR"), found by a
 * plain scan: enough to recognize a cursor FOR loop over one of them.
 */
static List *
declared_cursors(const char *src)
{
	List	   *cursors = NIL;
	const char *p = src;

	while (*p)
	{
		int			skip = skip_quoted(p);
		char	   *name;
		const char *q;

		if (skip > 0)
		{
			p += skip;
			continue;
		}
		if (!(isalpha((unsigned char) *p) || *p == '_' || *p == '"') ||
			(p > src && (isalnum((unsigned char) p[-1]) || p[-1] == '_')))
		{
			p++;
			continue;
		}
		q = skip_space(read_identifier(p, &name));
		if (word_is(q, "no"))
			q = skip_space(q + 2);
		if (word_is(q, "scroll"))
			q = skip_space(q + 6);
		if (name != NULL && word_is(q, "cursor"))
			cursors = lappend(cursors, makeString(name));
		p = q > p ? q : p + 1;
	}
	return cursors;
}

/*
 * A cursor FOR loop header, "FOR r IN c [(args)] LOOP" over a declared
 * cursor: returns the end of the header (after LOOP) and sets *record to
 * the loop variable, or returns NULL.
 */
static const char *
cursor_for_loop(const char *p, List *cursors, char **record)
{
	char	   *cursor;

	p = skip_space(read_identifier(skip_space(p + 3), record));
	if (*record == NULL || !word_is(p, "in"))
		return NULL;
	p = skip_space(read_identifier(skip_space(p + 2), &cursor));
	if (cursor == NULL || !list_member(cursors, makeString(cursor)))
		return NULL;
	if (*p == '(')
	{
		int			depth = 0;

		for (; *p; p++)
		{
			int			skip = skip_quoted(p);

			if (skip > 0)
				p += skip - 1;
			else if (*p == '(')
				depth++;
			else if (*p == ')' && --depth == 0)
			{
				p++;
				break;
			}
		}
		p = skip_space(p);
	}
	return word_is(p, "loop") ? p + 4 : NULL;
}

/*
 * Does the text hold any of the words a cursor statement or RETURN NEXT
 * needs, anywhere (case-insensitive)?  One pass over the text.
 */
static bool
holds_cursor_word(const char *src)
{
	static const char *const words[] = {"open", "fetch", "move", "close", "cursor", "next"};
	const char *p;
	int			i;

	for (p = src; *p; p++)
	{
		/* an ASCII letter in lower case; no other byte becomes one */
		char		c = *p | 0x20;

		if (c != 'o' && c != 'f' && c != 'm' && c != 'c' && c != 'n')
			continue;
		for (i = 0; i < lengthof(words); i++)
		{
			if (words[i][0] == c && pg_strncasecmp(p, words[i], strlen(words[i])) == 0)
				return true;
		}
	}
	return false;
}

/*
 * lineage_neutralize_cursors
 *		The body with its cursor statements rewritten (see the header);
 *		*loop_records gets the record variables of cursor FOR loops (String
 *		nodes), which PL/pgSQL declares implicitly.
 */
char *
lineage_neutralize_cursors(const char *src, List **loop_records)
{
	StringInfoData out;
	const char *p = src;
	bool		at_start = true;	/* at the first word of a statement */
	List	   *cursors;

	/* most bodies have none of these: nothing to rewrite */
	if (!holds_cursor_word(src))
		return pstrdup(src);
	cursors = declared_cursors(src);
	initStringInfo(&out);
	while (*p)
	{
		int			skip = skip_quoted(p);

		if (skip > 0)
		{
			appendBinaryStringInfo(&out, p, skip);
			p += skip;
			at_start = false;
			continue;
		}
		if (isspace((unsigned char) *p))
		{
			appendStringInfoChar(&out, *p++);
			continue;
		}
		if (at_start && word_is(p, "return") &&
			word_is(skip_space(p + 6), "next") &&
			*skip_space(skip_space(p + 6) + 4) == ';')
		{
			/*
			 * RETURN NEXT; of a function with OUT parameters: libpg_query
			 * does not know them and rejects it; nothing is read anyway.
			 */
			appendStringInfoString(&out, "RETURN NEXT NULL");
			p = skip_space(skip_space(p + 6) + 4);
			at_start = false;
			continue;
		}
		if (at_start && word_is(p, "for") && cursors != NIL)
		{
			char	   *record;
			const char *end = cursor_for_loop(p, cursors, &record);

			if (end != NULL)
			{
				/* the loop body stays; the cursor's query is its declaration's */
				appendStringInfoString(&out, "WHILE false LOOP");
				*loop_records = lappend(*loop_records, makeString(record));
				p = end;
				at_start = true;
				continue;
			}
		}
		if (at_start && (word_is(p, "open") || word_is(p, "fetch") ||
						 word_is(p, "move") || word_is(p, "close")) &&
			!strchr(":=.[", *skip_space(p + strcspn(p, " \t\n\r:=.[;("))))
		{
			const char *end = statement_end(p);

			appendStringInfoString(&out, word_is(p, "open")
								   ? rewrite_open(p + 4, end) : "NULL");
			p = end;
			continue;
		}
		if (isalpha((unsigned char) *p) || *p == '_')
		{
			const char *w = p;

			while (isalnum((unsigned char) *p) || *p == '_')
				p++;
			appendBinaryStringInfo(&out, w, p - w);
			/* a statement starts after these */
			at_start = (p - w == 5 && pg_strncasecmp(w, "begin", 5) == 0) ||
				(p - w == 4 && (pg_strncasecmp(w, "then", 4) == 0 ||
								pg_strncasecmp(w, "else", 4) == 0 ||
								pg_strncasecmp(w, "loop", 4) == 0));
			continue;
		}
		at_start = (*p == ';');
		appendStringInfoChar(&out, *p++);
	}
	return out.data;
}


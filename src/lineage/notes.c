/*-------------------------------------------------------------------------
 *
 * notes.c
 *	  The notes the analyzers take while one object's lineage is computed:
 *	  the names its definition uses that do not resolve, and why.
 *
 * object_lineage() (object.c) clears the notes, runs the analyzer of the
 * object's kind (query.c, function.c, plpgsql.c), and takes the notes with
 * the edges; store.c keeps them in schemaguard.unresolved_reference.  This
 * file calls none of the analyzers, so each of them can report here
 * without the analyzers calling each other in a circle.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lineage/internal.h"

/* What the analyzers report while one object is computed. */
static List *unresolved_refs = NIL;

/* Record a name an object uses that does not resolve. */
void
lineage_note_unresolved(const ObjectAddress *object, const char *reference,
						const char *reason)
{
	UnresolvedRef *ref = palloc(sizeof(UnresolvedRef));
	ListCell   *lc;

	foreach(lc, unresolved_refs)
	{
		UnresolvedRef *other = (UnresolvedRef *) lfirst(lc);

		if (strcmp(other->reference, reference) == 0 &&
			strcmp(other->reason, reason) == 0)
			return;
	}
	ref->object = *object;
	ref->reference = pstrdup(reference);
	ref->reason = pstrdup(reason);
	unresolved_refs = lappend(unresolved_refs, ref);
}

/*
 * lineage_note_error
 *		Record why part of an object's definition did not analyze.  The name
 *		it could not resolve is the first double-quoted one in the server's
 *		message (relation "x" does not exist); a syntax error has none.
 */
void
lineage_note_error(const ObjectAddress *object, ErrorData *edata)
{
	const char *message = edata->message ? edata->message : "unknown error";
	const char *open = strchr(message, '"');
	const char *close = open ? strchr(open + 1, '"') : NULL;

	if (edata->sqlerrcode == ERRCODE_SYNTAX_ERROR)
		lineage_note_unresolved(object, "(body)",
								psprintf("unparsable: %s", message));
	else if (open == NULL || close == NULL)
	{
		/* "function f(integer) does not exist": the name is the 2nd word */
		const char *space = strchr(message, ' ');
		const char *end = space ? strstr(space + 1, " does not exist") : NULL;

		lineage_note_unresolved(object,
								end ? pnstrdup(space + 1, end - space - 1) : "(body)",
								message);
	}
	else
		lineage_note_unresolved(object, pnstrdup(open + 1, close - open - 1),
								message);
}

/* Forget the notes of an earlier object (one whose analysis failed too). */
void
lineage_notes_reset(void)
{
	unresolved_refs = NIL;
}

/* The notes taken since the last reset, which are forgotten here. */
List *
lineage_notes_take(void)
{
	List	   *notes = unresolved_refs;

	unresolved_refs = NIL;
	return notes;
}

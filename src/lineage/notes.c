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

#include "access/xact.h"
#include "miscadmin.h"
#include "utils/resowner.h"

#include "lineage/internal.h"

/* What the analyzers report while one object is computed. */
static List *unresolved_refs = NIL;

static void note(const ObjectAddress *object, const char *reference,
				 const char *reason, bool deferred);

/* Record a name an object uses that does not resolve. */
void
lineage_note_unresolved(const ObjectAddress *object, const char *reference,
						const char *reason)
{
	note(object, reference, reason, false);
}

/*
 * lineage_note_deferred
 *		Record that part of an object's definition could not be analyzed now
 *		(a relation it names is locked by another transaction): the object
 *		is analyzed again at commit, or on the next change (store.c).
 */
void
lineage_note_deferred(const ObjectAddress *object, const char *reference,
					  const char *why)
{
	note(object, reference, psprintf("%s%s", LINEAGE_DEFERRED_PREFIX, why), true);
}

/*
 * lineage_error_is_analysis
 *		Is this error one of the analysis of a definition itself (a name
 *		that does not resolve, a syntax error, a type mismatch), which
 *		becomes an unresolved reference?  Not a cancel, a timeout (statement
 *		or lock), a shutdown, a deadlock, or want of memory or disk: those
 *		are not about the definition, and go on to the user's statement.
 */
bool
lineage_error_is_analysis(const ErrorData *edata)
{
	int			category = ERRCODE_TO_CATEGORY(edata->sqlerrcode);

	if (edata->elevel > ERROR)
		return false;
	if (category == ERRCODE_OPERATOR_INTERVENTION ||	/* cancel, timeout, shutdown */
		category == ERRCODE_INSUFFICIENT_RESOURCES ||	/* memory, disk */
		category == ERRCODE_TRANSACTION_ROLLBACK ||	/* deadlock, serialization */
		category == ERRCODE_SYSTEM_ERROR ||	/* I/O */
		edata->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE ||	/* lock_timeout */
		edata->sqlerrcode == ERRCODE_IDLE_IN_TRANSACTION_SESSION_TIMEOUT)
		return false;
	return !(QueryCancelPending || ProcDiePending);
}

static void
note(const ObjectAddress *object, const char *reference, const char *reason,
	 bool deferred)
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
	ref->deferred = deferred;
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

/*
 * lineage_end_subtransaction
 *		End an analysis's internal subtransaction begun in cxt under owner:
 *		always roll it back (it releases the locks analysis took and undoes
 *		its settings).  failed is the error caught in it, or NULL; an error
 *		that is not the analysis's own (lineage_error_is_analysis) is thrown
 *		again, so that a cancel or a timeout ends the user's statement.
 */
void
lineage_end_subtransaction(MemoryContext cxt, ResourceOwner owner,
						   ErrorData *failed)
{
	RollbackAndReleaseCurrentSubTransaction();
	MemoryContextSwitchTo(cxt);
	CurrentResourceOwner = owner;
	if (failed != NULL && !lineage_error_is_analysis(failed))
		ReThrowError(failed);
}

/*
 * lineage_catch_error
 *		In a PG_CATCH block of an analysis: the error, copied into cxt, and
 *		the error state cleared.
 */
ErrorData *
lineage_catch_error(MemoryContext cxt)
{
	ErrorData  *edata;

	MemoryContextSwitchTo(cxt);
	edata = CopyErrorData();
	FlushErrorState();
	return edata;
}

/* Forget the notes of an earlier object (one whose analysis failed too). */
void
lineage_notes_reset(void)
{
	unresolved_refs = NIL;
}

/* How many notes there are now, for lineage_notes_rewind(). */
int
lineage_notes_mark(void)
{
	return list_length(unresolved_refs);
}

/* Forget the notes taken since lineage_notes_mark() said "mark". */
void
lineage_notes_rewind(int mark)
{
	unresolved_refs = list_truncate(unresolved_refs, mark);
}

/* The notes taken since the last reset, which are forgotten here. */
List *
lineage_notes_take(void)
{
	List	   *notes = unresolved_refs;

	unresolved_refs = NIL;
	return notes;
}

/*-------------------------------------------------------------------------
 *
 * sync.c
 *	  The dual-write triggers: while a migration keeps two columns for one
 *	  (the old and the new, or the old name and the new), every INSERT and
 *	  UPDATE writes both, whichever one the writer named.
 *
 * One PL/pgSQL function per table (schemaguard."sync_<table oid>"), owned
 * by the extension's owner, not SECURITY DEFINER (it runs as the writer,
 * as any trigger does), with a fixed search_path; two BEFORE ROW triggers
 * call it:
 *	 "!schemaguard_sync_first" sorts before the names of the user's own
 *		triggers (PostgreSQL fires triggers of one event in name order; '!'
 *		sorts before letters, digits and most punctuation), so that the
 *		user's BEFORE triggers see both columns already in step;
 *	 "~schemaguard_sync_last" sorts after them ('~' sorts after every
 *		ASCII character), so that a value a user trigger changed is carried
 *		over too.
 * Each fires only WHEN the row's two columns disagree (a C-evaluated
 * condition): a write that leaves them equal -- the backfill's own, or
 * any that does not touch them -- costs no function call.
 *
 * For each pair (p: the column the applications use by its name now, s:
 * the other; f converts p to s, g s to p), the first trigger:
 *	 INSERT: s NULL (not named) -> s := f(p); else (named) p := g(s);
 *	 UPDATE: s changed and p not -> p := g(s) if s disagrees with f(p);
 *			 otherwise (p changed, both, or neither) -> s := f(p);
 * the last one: s := f(p) if they disagree.  p wins when both are written.
 * At switch the roles of the two columns swap: the function and triggers
 * are made again, which also follows the new names.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/builtins.h"

#include "migrate/internal.h"

static List *
sync_pairs(Migration *m)
{
	List	   *pairs = NIL;
	ListCell   *lc;

	foreach(lc, m->changes)
	{
		MigChange  *c = lfirst(lc);
		MigSyncPair *pair = palloc0(sizeof(MigSyncPair));

		if (c->kind->sync(m, c, pair))
			pairs = lappend(pairs, pair);
	}
	return pairs;
}

bool
mig_has_sync(Migration *m)
{
	ListCell   *lc;

	foreach(lc, m->changes)
	{
		MigChange  *c = lfirst(lc);
		MigSyncPair pair;

		if (c->kind->sync(m, c, &pair))
			return true;
	}
	return false;
}

static void
trigger_steps(Migration *m, MigPlan *plan, const char *name, const char *when,
			  const char *arg, const char *description)
{
	if (m->state != STATE_PLANNED)
		mig_step(plan, psprintf("DROP TRIGGER %s ON %s", quote_identifier(name), m->qualname),
				 NULL, NULL);
	mig_step(plan, psprintf("CREATE TRIGGER %s BEFORE INSERT OR UPDATE ON %s FOR EACH ROW WHEN (%s) EXECUTE FUNCTION %s(%s)",
							quote_identifier(name), m->qualname, when,
							m->sync_function, quote_literal_cstr(arg)),
			 NULL, description);
}

/*
 * mig_sync_steps
 *		create: the function and both triggers for the pairs of the
 *		migration's state (made again at switch); otherwise their DROPs.
 */
void
mig_sync_steps(Migration *m, MigPlan *plan, bool create)
{
	List	   *pairs = sync_pairs(m);
	char	  **names = mig_column_names(m);
	StringInfoData first;
	StringInfoData last;
	StringInfoData when;
	ListCell   *lc;
	char	   *body;
	MigStep    *step;

	if (pairs == NIL)
		return;
	if (!create)
	{
		mig_step(plan, psprintf("DROP TRIGGER %s ON %s", quote_identifier(SYNC_TRIGGER_FIRST),
								m->qualname),
				 NULL, "The dual-write triggers go.");
		mig_step(plan, psprintf("DROP TRIGGER %s ON %s", quote_identifier(SYNC_TRIGGER_LAST),
								m->qualname),
				 NULL, NULL);
		step = mig_step(plan, psprintf("DROP FUNCTION %s()", m->sync_function), NULL, NULL);
		step->role = ROLE_EXTENSION_OWNER;
		return;
	}

	initStringInfo(&first);
	initStringInfo(&last);
	initStringInfo(&when);
	foreach(lc, pairs)
	{
		MigSyncPair *pair = lfirst(lc);
		char	   *p = psprintf("new.%s", quote_identifier(names[pair->p]));
		char	   *s = psprintf("new.%s", quote_identifier(names[pair->s]));
		char	   *olds = psprintf("old.%s", quote_identifier(names[pair->s]));
		char	   *oldp = psprintf("old.%s", quote_identifier(names[pair->p]));
		char	   *f = mig_deparse_expr(m, pair->f, "new");
		char	   *g = mig_deparse_expr(m, pair->g, "new");

		appendStringInfo(&first,
						 "        -- %s is written, %s follows\n"
						 "        IF TG_OP = 'INSERT' THEN\n"
						 "            IF %s IS NULL THEN\n"
						 "                %s := %s;\n"
						 "            ELSE\n"
						 "                %s := %s;\n"
						 "            END IF;\n"
						 "        ELSIF %s IS DISTINCT FROM %s AND %s IS NOT DISTINCT FROM %s THEN\n"
						 "            IF %s IS DISTINCT FROM %s THEN\n"
						 "                %s := %s;\n"
						 "            END IF;\n"
						 "        ELSE\n"
						 "            %s := %s;\n"
						 "        END IF;\n",
						 mig_comment_identifier(names[pair->p]),
						 mig_comment_identifier(names[pair->s]),
						 s, s, f, p, g,
						 s, olds, p, oldp,
						 s, f, p, g,
						 s, f);
		appendStringInfo(&last,
						 "        IF %s IS DISTINCT FROM %s THEN\n"
						 "            %s := %s;\n"
						 "        END IF;\n",
						 s, f, s, f);
		appendStringInfo(&when, "%s(%s IS DISTINCT FROM %s)",
						 when.len ? " OR " : "", s, f);
	}
	body = psprintf("\nBEGIN\n"
					"    IF TG_ARGV[0] = 'first' THEN\n%s"
					"    ELSE\n%s"
					"    END IF;\n"
					"    RETURN new;\n"
					"END\n", first.data, last.data);
	step = mig_step(plan, psprintf("CREATE OR REPLACE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS %s",
								   m->sync_function, mig_dollar_quote(body, "sync")),
					NULL, "The dual-write function: keeps both columns of each pair written, whichever the writer named.");
	step->role = ROLE_EXTENSION_OWNER;
	trigger_steps(m, plan, SYNC_TRIGGER_FIRST, when.data, "first",
				  "Fires before the table's own BEFORE triggers (name order), only when the two columns of a row disagree.");
	trigger_steps(m, plan, SYNC_TRIGGER_LAST, when.data, "last",
				  "Fires after them, for a value they changed.");
}

/*-------------------------------------------------------------------------
 *
 * objects.c
 *	  The objects a migration builds, drops or rebuilds (migration_object):
 *	  which of them are constraints added NOT VALID and validated, which are
 *	  top-level statements run between transactions (CREATE INDEX, DROP
 *	  INDEX and REINDEX CONCURRENTLY), what such a statement left behind
 *	  when it failed (an INVALID index) and whether the catalog shows it
 *	  done already; the names PostgreSQL itself would choose for a new
 *	  constraint or index; and the phases a migration that writes no row
 *	  passes through because they have nothing to do.
 *
 * A failed CREATE INDEX CONCURRENTLY leaves its index INVALID under the
 * name it was given; a failed REINDEX CONCURRENTLY leaves an INVALID copy
 * named <index>_ccnew (or the old index, INVALID, as <index>_ccold, if it
 * failed while swapping).  Such a leftover is dropped CONCURRENTLY before
 * the statement is run again (backfill.c, rewrite.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/relation.h"
#include "catalog/namespace.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_index.h"
#include "commands/defrem.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "migrate/internal.h"

MigObject *
mig_new_object(Migration *m, MigChange *c, const char *kind, const char *original,
			   const char *created, char *sql)
{
	MigObject  *o = palloc0(sizeof(MigObject));

	o->ordinal = list_length(m->objects) + 1;
	o->change = c->ordinal;
	o->kind = pstrdup(kind);
	o->original = original ? pstrdup(original) : NULL;
	o->created = pstrdup(created);
	o->sql = sql;
	m->objects = lappend(m->objects, o);
	return o;
}

/*
 * What an object is for, as plan() says it: the description its kind gave
 * it when it was made, or (loaded from migration_object) its kind's.
 */
char *
mig_object_description(MigObject *o)
{
	if (o->description)
		return o->description;
	if ((strcmp(o->kind, "index") == 0 || strcmp(o->kind, "unique") == 0) && o->original)
		return psprintf("A copy of %s on the new column, built without blocking writes; a build that failed (an INVALID index) is dropped and built again.",
						quote_identifier(o->original));
	if (strcmp(o->kind, "index") == 0 || strcmp(o->kind, "unique") == 0)
		return "The index, built without blocking writes; a build that failed (an INVALID index) is dropped and built again.";
	if (strcmp(o->kind, "drop_index") == 0)
		return "The index goes without blocking reads or writes. Not reversible.";
	if (strcmp(o->kind, "reindex") == 0)
		return "Rebuilt without blocking reads or writes; a copy left INVALID by a failure is dropped and the rebuild run again.";
	if (o->original && strcmp(o->kind, "not_null") != 0)
		return psprintf("A copy of constraint %s on the new column, NOT VALID: it checks the rows written from now on, without a scan.",
						quote_identifier(o->original));
	if (strcmp(o->kind, "not_null") == 0)
		return "NOT NULL of the new column as a constraint NOT VALID: validated before the switch, it lets SET NOT NULL skip its scan.";
	return "The constraint NOT VALID: rows written from now on are checked, no row is read.";
}

/* Is it run as a statement of its own between transactions (backfill)? */
bool
mig_object_toplevel(MigObject *o)
{
	return strcmp(o->kind, "index") == 0 || strcmp(o->kind, "unique") == 0 ||
		strcmp(o->kind, "drop_index") == 0 || strcmp(o->kind, "reindex") == 0;
}

/* Is it a constraint added NOT VALID at expand and validated at switch? */
bool
mig_object_constraint(MigObject *o)
{
	return !mig_object_toplevel(o);
}

/* The index of this name in the table's schema, and whether it is valid. */
static Oid
index_named(Migration *m, const char *name, bool *valid)
{
	Oid			idx = get_relname_relid(name, get_rel_namespace(m->relid));
	HeapTuple	tuple;

	*valid = false;
	if (!OidIsValid(idx))
		return InvalidOid;
	tuple = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(idx));
	if (!HeapTupleIsValid(tuple))
		return InvalidOid;		/* not an index */
	*valid = ((Form_pg_index) GETSTRUCT(tuple))->indisvalid;
	ReleaseSysCache(tuple);
	return idx;
}

/*
 * A REINDEX CONCURRENTLY's INVALID leftover among the table's indexes:
 * <name>_ccnew[N] or <name>_ccold[N] (of any index if name is NULL).
 */
static char *
reindex_leftover(Migration *m, const char *name)
{
	Relation	rel = relation_open(m->relid, AccessShareLock);
	List	   *indexes = RelationGetIndexList(rel);
	ListCell   *lc;
	char	   *result = NULL;

	relation_close(rel, AccessShareLock);
	foreach(lc, indexes)
	{
		Oid			idx = lfirst_oid(lc);
		char	   *idxname = get_rel_name(idx);
		HeapTuple	tuple;
		bool		valid;
		int			baselen;

		if (idxname == NULL)
			continue;
		tuple = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(idx));
		if (!HeapTupleIsValid(tuple))
			continue;
		valid = ((Form_pg_index) GETSTRUCT(tuple))->indisvalid;
		ReleaseSysCache(tuple);
		if (valid || (strstr(idxname, "_ccnew") == NULL && strstr(idxname, "_ccold") == NULL))
			continue;
		/* ChooseRelationName cuts the base name to fit "_ccnew" and a number */
		baselen = name ? pg_mbcliplen(name, strlen(name), NAMEDATALEN - 1 - strlen("_ccnew") - 2) : 0;
		if (name && strncmp(idxname, name, Min(baselen, strlen(name))) != 0)
			continue;
		result = quote_qualified_identifier(m->nspname, idxname);
		break;
	}
	return result;
}

/*
 * mig_object_leftover
 *		What an earlier failed run of the object's statement left behind
 *		(an INVALID index), qualified and quoted, to drop CONCURRENTLY
 *		before running it again; NULL if nothing.
 */
char *
mig_object_leftover(Migration *m, MigObject *o)
{
	bool		valid;

	if (strcmp(o->kind, "index") == 0 || strcmp(o->kind, "unique") == 0)
	{
		if (OidIsValid(index_named(m, o->created, &valid)) && !valid)
			return quote_qualified_identifier(m->nspname, o->created);
		return NULL;
	}
	if (strcmp(o->kind, "reindex") == 0)
		return reindex_leftover(m, o->original);
	return NULL;
}

/* Does the catalog show the object's statement done already? */
bool
mig_object_done_already(Migration *m, MigObject *o)
{
	bool		valid;
	Oid			idx;

	if (strcmp(o->kind, "index") == 0 || strcmp(o->kind, "unique") == 0)
		return OidIsValid(index_named(m, o->created, &valid)) && valid;
	if (strcmp(o->kind, "drop_index") == 0)
	{
		idx = get_relname_relid(o->created, get_rel_namespace(m->relid));
		return !OidIsValid(idx);
	}
	return false;
}

/*
 * What a kind that writes no row does in the hooks it has nothing for:
 * shared by the kinds' tables (kinds/<kind>.c).
 */
void
mig_no_resolve(Migration *m, MigChange *c)
{
}

void
mig_no_steps(Migration *m, MigChange *c, MigPlan *plan)
{
}

bool
mig_no_sync(Migration *m, MigChange *c, MigSyncPair *pair)
{
	return false;
}

void
mig_no_backfill(Migration *m, MigChange *c, const char *alias, StringInfo set,
				StringInfo todo)
{
}

void
mig_no_verify(Migration *m, MigChange *c, const char *alias, StringInfo wrong)
{
}

void
mig_no_swap(Migration *m, MigChange *c, MigPlan *plan, bool back)
{
}

bool
mig_never_swaps(Migration *m, MigChange *c)
{
	return false;
}

/* Do all the migration's changes write no row (the kinds of issue 13)? */
bool
mig_writes_no_rows(Migration *m)
{
	ListCell   *lc;

	foreach(lc, m->changes)
		if (!((MigChange *) lfirst(lc))->kind->no_rows)
			return false;
	return m->changes != NIL;
}

/* Has switch a swap to do (a change with steps under the swap's lock)? */
bool
mig_swaps(Migration *m)
{
	ListCell   *lc;

	foreach(lc, m->changes)
	{
		MigChange  *c = lfirst(lc);

		if (c->kind->swaps == NULL || c->kind->swaps(m, c))
			return true;
	}
	return false;
}

/* Does a phase have anything to do: a statement to run or to show? */
static bool
phase_has_work(Migration *m, MigPhase phase)
{
	ListCell   *lc;
	List	   *steps;

	m->listing = true;
	steps = mig_phase_steps(m, phase, NULL);
	m->listing = false;
	foreach(lc, steps)
		if (((MigStep *) lfirst(lc))->sql != NULL)
			return true;
	return false;
}

/*
 * mig_pass_empty_phases
 *		A migration that writes no row goes on through the phases that have
 *		nothing to do (backfill, verify, switch, contract), so that the next
 *		call is the next one that does something.  Each pass is a state the
 *		migration is really in: the phase has nothing left to do.
 */
void
mig_pass_empty_phases(Migration *m)
{
	if (!mig_writes_no_rows(m))
		return;
	for (;;)
	{
		if (m->state == STATE_EXPANDED && !phase_has_work(m, PHASE_BACKFILL))
			mig_set_state(m, STATE_BACKFILLED, "backfill: nothing to do");
		else if (m->state == STATE_BACKFILLED && !phase_has_work(m, PHASE_VERIFY))
			mig_set_state(m, STATE_VERIFIED, "verify: nothing to check");
		else if (m->state == STATE_VERIFIED && !phase_has_work(m, PHASE_SWITCH))
			mig_set_state(m, STATE_SWITCHED, "switch: nothing to do");
		else if (m->state == STATE_SWITCHED && !phase_has_work(m, PHASE_CONTRACT))
			mig_set_state(m, STATE_CONTRACTED, "contract: nothing to do");
		else
			return;
	}
}

/*
 * mig_constraint_name
 *		The name PostgreSQL gives a constraint of the table on colname (NULL:
 *		none) with this label ("check", "fkey", "not_null"): free among the
 *		table's constraints and the schema's relations.
 */
char *
mig_constraint_name(Migration *m, const char *colname, const char *label)
{
	List	   *taken = NIL;
	ListCell   *lc;

	foreach(lc, m->objects)
		taken = lappend(taken, ((MigObject *) lfirst(lc))->created);
	return ChooseConstraintName(m->relname, colname, label,
								get_rel_namespace(m->relid), taken);
}

/*
 * mig_index_name
 *		The name PostgreSQL gives an index (or a unique or primary key
 *		constraint's index) on these columns, as DefineIndex chooses it: the
 *		columns' names joined with "_", the label ("idx", "key", "pkey").
 */
char *
mig_index_name(Migration *m, List *colnames, const char *label)
{
	char		buf[NAMEDATALEN * 2];
	int			buflen = 0;
	ListCell   *lc;

	buf[0] = '\0';
	foreach(lc, colnames)
	{
		const char *name = lfirst(lc);
		int			namelen;

		if (buflen > 0)
			buf[buflen++] = '_';
		namelen = pg_mbcliplen(name, strlen(name), NAMEDATALEN);
		memcpy(buf + buflen, name, namelen);
		buflen += namelen;
		buf[buflen] = '\0';
		if (buflen >= NAMEDATALEN)
			break;
	}
	return ChooseRelationName(m->relname, buflen ? buf : NULL, label,
							  get_rel_namespace(m->relid), strcmp(label, "idx") != 0);
}

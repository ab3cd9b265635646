/*-------------------------------------------------------------------------
 *
 * state.c
 *	  A migration's state in the extension's tables (schemaguard.migration,
 *	  migration_change, migration_object): loading, storing and moving it
 *	  from one state to the next; who may call what, and the errors for a
 *	  call out of order, which name the state and the next call.
 *
 * States: expanded -> backfilled -> verified -> switched -> contracted, or
 * rolled_back from any of the first four.  Each phase that ends in a state
 * runs in one transaction (backfill: its last), so the state a reader sees
 * is always one the table is really in.  Two sessions never work on one
 * migration at once: each phase takes an advisory lock on its id first
 * (a session lock for backfill, which commits along the way).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "migrate/internal.h"

#define APPROVER_ROLE "schemaguard_approver"

/* The advisory lock of a migration: (MIGRATION_LOCK_KEY, id). */
#define MIGRATION_LOCK_KEY 0x5347	/* "SG" */

static const char *const state_names[] = {
	"planned", "expanded", "backfilled", "verified", "switched",
	"contracted", "rolled_back"
};

const char *
mig_state_name(MigState state)
{
	return state_names[state];
}

static MigState
state_by_name(const char *name)
{
	for (int i = 0; i < lengthof(state_names); i++)
		if (strcmp(state_names[i], name) == 0)
			return (MigState) i;
	elog(ERROR, "unknown migration state \"%s\"", name);
	return STATE_PLANNED;		/* keep compiler quiet */
}

/* A column of the current SPI result row as text, or NULL. */
static char *
value(int row, int col)
{
	return SPI_getvalue(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col);
}

static bool
bool_value(int row, int col)
{
	char	   *v = value(row, col);

	return v != NULL && strcmp(v, "t") == 0;
}

/*
 * bookkeeping
 *		One statement on the migration tables, as the extension's owner, with
 *		text parameters ($1, $2, ... each NULL if NULL).
 */
static int
bookkeeping(const char *sql, int nargs, const char **args)
{
	Oid			types[16];
	Datum		values[16];
	char		nulls[16];
	Oid			save_userid;
	int			save_sec;
	int			rc;
	MemoryContext cxt = CurrentMemoryContext;

	if (nargs > lengthof(types))
		elog(ERROR, "too many parameters for the migration tables: %d", nargs);
	for (int i = 0; i < nargs; i++)
	{
		types[i] = TEXTOID;
		values[i] = args[i] ? CStringGetTextDatum(args[i]) : (Datum) 0;
		nulls[i] = args[i] ? ' ' : 'n';
	}
	GetUserIdAndSecContext(&save_userid, &save_sec);
	SetUserIdAndSecContext(mig_extension_owner(), save_sec | SECURITY_LOCAL_USERID_CHANGE);
	rc = SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0);
	SetUserIdAndSecContext(save_userid, save_sec);
	/* SPI returns in its procedure context: back to the caller's */
	MemoryContextSwitchTo(cxt);
	if (rc < 0)
		elog(ERROR, "SPI_execute_with_args failed with %d: %s", rc, sql);
	return (int) SPI_processed;
}

static char *
int8_text(int64 v)
{
	return psprintf(INT64_FORMAT, v);
}

/*
 * mig_load
 *		The migration with this id, its changes and objects, resolved
 *		against the live catalog.  for_update: lock its row.
 */
Migration *
mig_load(int64 id, bool for_update)
{
	Migration  *m = palloc0(sizeof(Migration));
	const char *args[1] = {int8_text(id)};
	char	   *key;

	if (bookkeeping(psprintf("SELECT id, name, ddl, relid::oid, state, phase, backfill_key::text,"
							 " backfill_done, rows_done, rows_total, sync_function"
							 " FROM schemaguard.migration WHERE id = $1::bigint%s",
							 for_update ? " FOR UPDATE" : ""),
					1, args) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("migration " INT64_FORMAT " does not exist", id),
				 errhint("SELECT * FROM schemaguard.migrations; lists the migrations of the tables you can see.")));
	m->id = id;
	m->name = value(0, 2);
	m->ddl = value(0, 3);
	m->relid = DatumGetObjectId(DirectFunctionCall1(oidin, CStringGetDatum(value(0, 4))));
	m->state = state_by_name(value(0, 5));
	m->phase = value(0, 6);
	key = value(0, 7);
	m->backfill_done = bool_value(0, 8);
	m->rows_done = pg_strtoint64(value(0, 9));
	m->rows_total = value(0, 10) ? pg_strtoint64(value(0, 10)) : -1;
	m->sync_function = value(0, 11);
	if (key)
	{
		bookkeeping("SELECT unnest(backfill_key) FROM schemaguard.migration WHERE id = $1::bigint",
					1, args);
		for (uint64 i = 0; i < SPI_processed; i++)
			m->backfill_key = lappend(m->backfill_key, value(i, 1));
	}

	bookkeeping("SELECT ordinal, kind, colname, newcol, oldcol, type_sql, collation_sql,"
				" using_sql, default_sql, not_null, sql"
				" FROM schemaguard.migration_change WHERE migration = $1::bigint ORDER BY ordinal",
				1, args);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		MigChange  *c = palloc0(sizeof(MigChange));

		c->ordinal = pg_strtoint32(value(i, 1));
		c->kind = mig_kind_by_name(value(i, 2));
		c->colname = value(i, 3);
		c->newcol = value(i, 4);
		c->oldcol = value(i, 5);
		c->type_sql = value(i, 6);
		c->collation_sql = value(i, 7);
		c->using_sql = value(i, 8);
		c->default_sql = value(i, 9);
		c->not_null = bool_value(i, 10);
		c->sql = value(i, 11);
		m->changes = lappend(m->changes, c);
	}

	bookkeeping("SELECT ordinal, kind, original, created, sql, done, change"
				" FROM schemaguard.migration_object WHERE migration = $1::bigint ORDER BY ordinal",
				1, args);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		MigObject  *o = palloc0(sizeof(MigObject));

		o->ordinal = pg_strtoint32(value(i, 1));
		o->kind = value(i, 2);
		o->original = value(i, 3);
		o->created = value(i, 4);
		o->sql = value(i, 5);
		o->done = bool_value(i, 6);
		o->change = pg_strtoint32(value(i, 7));
		m->objects = lappend(m->objects, o);
	}
	mig_resolve(m);
	return m;
}

/*
 * mig_resolve
 *		The table's names and owner, and each change's columns and types,
 *		from the live catalog.
 */
void
mig_resolve(Migration *m)
{
	HeapTuple	tuple;
	Form_pg_class form;
	ListCell   *lc;

	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(m->relid));
	if (!HeapTupleIsValid(tuple))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("the table of migration " INT64_FORMAT " no longer exists", m->id)));
	form = (Form_pg_class) GETSTRUCT(tuple);
	m->relname = pstrdup(NameStr(form->relname));
	m->nspname = get_namespace_name(form->relnamespace);
	m->owner = form->relowner;
	if (m->natts == 0)
		m->natts = form->relnatts;
	ReleaseSysCache(tuple);
	m->qualname = quote_qualified_identifier(m->nspname, m->relname);
	foreach(lc, m->changes)
	{
		MigChange  *c = lfirst(lc);

		c->kind->resolve(m, c);
	}
}

/*
 * mig_store_new
 *		Insert a migration that start() has just expanded (m->id is set
 *		from the sequence), with its changes and objects.
 */
void
mig_store_new(Migration *m)
{
	const char *args[8];
	ListCell   *lc;

	args[0] = m->name;
	args[1] = m->ddl;
	args[2] = psprintf("%u", m->relid);
	args[3] = GetUserNameFromId(GetUserId(), false);
	args[4] = m->sync_function;
	bookkeeping("INSERT INTO schemaguard.migration (name, ddl, relid, sync_function, state, phase,"
				" started_by, started_at, updated_at)"
				" VALUES ($1, $2, $3::oid::regclass, $5, 'expanded', 'expand: done', $4,"
				" pg_catalog.statement_timestamp(), pg_catalog.clock_timestamp())"
				" RETURNING id", 5, args);
	m->id = pg_strtoint64(value(0, 1));
	m->state = STATE_EXPANDED;
	m->phase = "expand: done";
	args[0] = int8_text(m->id);
	foreach(lc, m->changes)
	{
		MigChange  *c = lfirst(lc);
		const char *cargs[12] = {args[0], psprintf("%d", c->ordinal), c->kind->name,
			c->colname, c->newcol, c->oldcol, c->type_sql, c->collation_sql,
		c->using_sql, c->default_sql, c->not_null ? "t" : "f", c->sql};

		bookkeeping("INSERT INTO schemaguard.migration_change (migration, ordinal, kind, colname,"
					" newcol, oldcol, type_sql, collation_sql, using_sql, default_sql, not_null, sql)"
					" VALUES ($1::bigint, $2::int, $3, $4, $5, $6, $7, $8, $9, $10, $11::bool, $12)",
					12, cargs);
	}
	foreach(lc, m->objects)
	{
		MigObject  *o = lfirst(lc);
		const char *oargs[8] = {args[0], psprintf("%d", o->ordinal), o->kind, o->original,
		o->created, o->sql, o->done ? "t" : "f", psprintf("%d", o->change)};

		bookkeeping("INSERT INTO schemaguard.migration_object (migration, ordinal, kind, original,"
					" created, sql, done, change)"
					" VALUES ($1::bigint, $2::int, $3, $4, $5, $6, $7::bool, $8::int)", 8, oargs);
	}
}

/* The migration of this table that is not finished, or 0. */
int64
mig_active_migration(Oid relid)
{
	const char *args[1] = {psprintf("%u", relid)};

	if (bookkeeping("SELECT id FROM schemaguard.migration WHERE relid = $1::oid::regclass"
					" AND state NOT IN ('contracted', 'rolled_back') ORDER BY id LIMIT 1",
					1, args) == 0)
		return 0;
	return pg_strtoint64(value(0, 1));
}

void
mig_set_state(Migration *m, MigState state, const char *phase)
{
	const char *args[3] = {int8_text(m->id), mig_state_name(state), phase};

	bookkeeping("UPDATE schemaguard.migration SET state = $2, phase = $3, last_error = NULL,"
				" updated_at = pg_catalog.clock_timestamp() WHERE id = $1::bigint", 3, args);
	m->state = state;
	m->phase = pstrdup(phase);
}

void
mig_set_phase(Migration *m, const char *phase)
{
	const char *args[2] = {int8_text(m->id), phase};

	bookkeeping("UPDATE schemaguard.migration SET phase = $2,"
				" updated_at = pg_catalog.clock_timestamp() WHERE id = $1::bigint", 2, args);
	m->phase = pstrdup(phase);
}

void
mig_set_error(Migration *m, const char *message)
{
	const char *args[2] = {int8_text(m->id), message};

	bookkeeping("UPDATE schemaguard.migration SET last_error = $2,"
				" updated_at = pg_catalog.clock_timestamp() WHERE id = $1::bigint", 2, args);
}

/* Where the backfill stands: its key, whether the rows are done, the rate. */
void
mig_save_backfill(Migration *m, double rows_per_second)
{
	const char *args[7];

	args[0] = int8_text(m->id);
	args[1] = m->backfill_key ? mig_literal_array(m->backfill_key) : NULL;
	args[2] = m->backfill_done ? "t" : "f";
	args[3] = int8_text(m->rows_done);
	args[4] = m->rows_total >= 0 ? int8_text(m->rows_total) : NULL;
	args[5] = rows_per_second >= 0 ? psprintf("%.1f", rows_per_second) : NULL;
	args[6] = m->phase;
	bookkeeping("UPDATE schemaguard.migration SET backfill_key = $2::text[],"
				" backfill_done = $3::bool, rows_done = $4::bigint, rows_total = $5::bigint,"
				" rows_per_second = COALESCE($6::float8, rows_per_second), phase = $7,"
				" last_error = NULL, updated_at = pg_catalog.clock_timestamp()"
				" WHERE id = $1::bigint", 7, args);
}

void
mig_object_done(Migration *m, MigObject *o)
{
	const char *args[2] = {int8_text(m->id), psprintf("%d", o->ordinal)};

	bookkeeping("UPDATE schemaguard.migration_object SET done = true"
				" WHERE migration = $1::bigint AND ordinal = $2::int", 2, args);
	o->done = true;
}

/*
 * mig_begin_call
 *		The start of verify(), switch(), contract() and rollback(): the id
 *		(argument 0) must not be NULL; SPI connected, a GUC nest level
 *		opened (*nestlevel) with search_path pinned, the migration locked
 *		against other sessions for the transaction, loaded FOR UPDATE, and
 *		the caller allowed to `call' it.
 */
Migration *
mig_begin_call(FunctionCallInfo fcinfo, const char *call, int *nestlevel)
{
	int64		id;
	Migration  *m;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the migration id must not be null")));
	id = PG_GETARG_INT64(0);
	SPI_connect();
	*nestlevel = NewGUCNestLevel();
	mig_search_path_pinned();
	mig_lock_migration(id);
	m = mig_load(id, true);
	mig_check_may_run(m, call);
	return m;
}

/* The call that takes the migration on from its state. */
char *
mig_next_call(Migration *m)
{
	switch (m->state)
	{
		case STATE_EXPANDED:
			return psprintf("CALL schemaguard.backfill(" INT64_FORMAT ");", m->id);
		case STATE_BACKFILLED:
			return psprintf("SELECT * FROM schemaguard.verify(" INT64_FORMAT ");", m->id);
		case STATE_VERIFIED:
			return psprintf("SELECT schemaguard.switch(" INT64_FORMAT ");", m->id);
		case STATE_SWITCHED:
			return psprintf("SELECT schemaguard.contract(" INT64_FORMAT ");  -- or schemaguard.rollback(" INT64_FORMAT ")",
							m->id, m->id);
		default:
			return NULL;
	}
}

/*
 * mig_require_state
 *		Refuse a call out of order, naming the state the migration is in and
 *		the call that takes it on from there.
 */
void
mig_require_state(Migration *m, const char *call, int nstates, const MigState *states)
{
	StringInfoData wanted;
	char	   *next;

	for (int i = 0; i < nstates; i++)
		if (m->state == states[i])
			return;
	if (m->state == STATE_CONTRACTED || m->state == STATE_ROLLED_BACK)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("migration " INT64_FORMAT " is %s: it is finished",
						m->id, mig_state_name(m->state)),
				 errdetail("%s() has nothing to do on a migration that is %s.",
						   call, mig_state_name(m->state)),
				 errhint("Start a new migration with schemaguard.start().")));
	initStringInfo(&wanted);
	for (int i = 0; i < nstates; i++)
		appendStringInfo(&wanted, "%s%s", i == 0 ? "" : i == nstates - 1 ? " or " : ", ",
						 mig_state_name(states[i]));
	next = mig_next_call(m);
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("migration " INT64_FORMAT " is %s, not %s",
					m->id, mig_state_name(m->state), wanted.data),
			 errdetail("%s() needs a migration that is %s.", call, wanted.data),
			 next ? errhint("Next: %s", next) : 0));
}

static bool
is_approver(void)
{
	Oid			approver = get_role_oid(APPROVER_ROLE, true);

	return superuser() ||
		(OidIsValid(approver) && has_privs_of_role(GetUserId(), approver));
}

/*
 * mig_check_may_run
 *		Only the table's owner (and members of its role) or a member of
 *		schemaguard_approver may change the table through a migration.
 */
void
mig_check_may_run(Migration *m, const char *call)
{
	if (has_privs_of_role(GetUserId(), m->owner) || is_approver())
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 m->id ? errmsg("permission denied to %s migration " INT64_FORMAT " of table %s",
							call, m->id, m->qualname)
			 : errmsg("permission denied to %s a migration of table %s", call, m->qualname),
			 errdetail("Only the table's owner or a member of %s may start, run, switch, contract or roll back its migrations.",
					   APPROVER_ROLE),
			 errhint("Ask the owner or an approver, or to GRANT %s to you.", APPROVER_ROLE)));
}

/*
 * mig_check_may_see
 *		plan() is open to anyone who can see the table: its owner, a role
 *		with any privilege on it or on one of its columns, an approver.
 */
void
mig_check_may_see(Oid relid)
{
	AclMode		any = ACL_SELECT | ACL_INSERT | ACL_UPDATE | ACL_DELETE |
		ACL_REFERENCES | ACL_TRIGGER | ACL_TRUNCATE;

	if (pg_class_aclmask(relid, GetUserId(), any, ACLMASK_ANY) != 0 ||
		pg_attribute_aclcheck_all(relid, GetUserId(),
								  ACL_SELECT | ACL_INSERT | ACL_UPDATE | ACL_REFERENCES,
								  ACLMASK_ANY) == ACLCHECK_OK ||
		has_privs_of_role(GetUserId(), mig_rel_owner(relid)) ||
		is_approver())
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied for table %s", get_rel_name(relid)),
			 errdetail("plan() shows the migration of a table you have a privilege on.")));
}

/*
 * mig_lock_migration
 *		The migration's advisory lock, or an error if another session holds
 *		it.  session: held across transactions (backfill), released by
 *		mig_unlock_migration(); otherwise released at transaction end.
 */
static void
migration_locktag(LOCKTAG *tag, int64 id)
{
	SET_LOCKTAG_ADVISORY(*tag, MyDatabaseId, MIGRATION_LOCK_KEY, (uint32) id, 2);
}

void
mig_lock_migration(int64 id)
{
	LOCKTAG		tag;

	migration_locktag(&tag, id);
	if (LockAcquire(&tag, ExclusiveLock, false, true) == LOCKACQUIRE_NOT_AVAIL)
		ereport(ERROR,
				(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
				 errmsg("migration " INT64_FORMAT " is being worked on by another session", id),
				 errhint("Wait for it to finish (SELECT * FROM schemaguard.migrations), or cancel it.")));
}

void
mig_lock_migration_session(int64 id)
{
	LOCKTAG		tag;

	migration_locktag(&tag, id);
	if (LockAcquire(&tag, ExclusiveLock, true, true) == LOCKACQUIRE_NOT_AVAIL)
		ereport(ERROR,
				(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
				 errmsg("migration " INT64_FORMAT " is being worked on by another session", id),
				 errhint("Wait for it to finish (SELECT * FROM schemaguard.migrations), or cancel it.")));
}

void
mig_unlock_migration_session(int64 id)
{
	LOCKTAG		tag;

	migration_locktag(&tag, id);
	(void) LockRelease(&tag, ExclusiveLock, true);
}

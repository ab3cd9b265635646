/*-------------------------------------------------------------------------
 *
 * exec.c
 *	  How the migration engine runs its own SQL: as the role each statement
 *	  belongs to, with a pinned search_path, marked as the engine's own so
 *	  that the guard lets it be (migrate.h), under lock_timeout with retries
 *	  and backoff, and the multi-transaction utility statements (CREATE
 *	  INDEX CONCURRENTLY) as PostgreSQL runs them at top level; and the audit
 *	  row of each phase.
 *
 * Roles: a statement on the table runs as the table's owner, one that
 * re-creates a dependent as that dependent's owner, the engine's
 * bookkeeping and its own trigger functions as the extension's owner.  The
 * caller (the table's owner or an approver) was checked first (state.c).
 * When the role differs from the caller, the statement runs as a
 * SECURITY_RESTRICTED_OPERATION, as VACUUM and CREATE INDEX run a table
 * owner's functions: the owner's code (a USING expression, a trigger) can
 * neither SET ROLE back to the caller nor leave anything behind in the
 * session.  Each statement runs in a GUC nest level of its own with
 * search_path = pg_catalog, pg_temp, so that what user code sets inside it
 * (a search_path) is undone before the next one.
 *
 * Locks: a phase's steps that take locks others wait behind (ALTER TABLE,
 * CREATE TRIGGER, DROP VIEW ...) run together in a subtransaction with
 * lock_timeout = schemaguard.migration_lock_timeout; if a lock is not
 * granted in time (or a deadlock is detected), the subtransaction is rolled
 * back -- releasing every lock it took, so that the queue behind it moves
 * on -- and tried again after a pause that doubles each time.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/indexing.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/plannodes.h"
#include "parser/parser.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/memutils.h"
#include "utils/portal.h"
#include "utils/snapmgr.h"
#include "utils/wait_event.h"

#include "guard/predict.h"
#include "migrate/internal.h"
#include "migrate/migrate.h"

/* Attempts of a locked step list, and the first pause between two. */
#define LOCK_ATTEMPTS		5
#define FIRST_BACKOFF_MS	100

/* The query string of the statement the engine is running, if any. */
static const char *own_sql = NULL;

bool
migrate_own_statement(const char *query_string)
{
	return query_string != NULL && query_string == own_sql;
}

/* The extension's owner: its trigger functions and bookkeeping run as it. */
Oid
mig_extension_owner(void)
{
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	Oid			owner = InvalidOid;

	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_extname, BTEqualStrategyNumber,
				F_NAMEEQ, CStringGetDatum("schemaguard"));
	scan = systable_beginscan(rel, ExtensionNameIndexId, true, NULL, 1, &key);
	if (HeapTupleIsValid(tuple = systable_getnext(scan)))
		owner = ((Form_pg_extension) GETSTRUCT(tuple))->extowner;
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	if (!OidIsValid(owner))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("extension \"schemaguard\" does not exist")));
	return owner;
}

/*
 * mig_search_path_pinned
 *		search_path = pg_catalog, pg_temp in the current GUC nest level: the
 *		engine deparses and runs its SQL under it, so every user object is
 *		named with its schema.
 */
void
mig_search_path_pinned(void)
{
	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
							 true, 0, false);
}

static Oid
role_of(Migration *m, MigRole role, Oid owner)
{
	switch (role)
	{
		case ROLE_TABLE_OWNER:
			return m->owner;
		case ROLE_EXTENSION_OWNER:
			return mig_extension_owner();
		case ROLE_OBJECT_OWNER:
			return owner;
	}
	return InvalidOid;
}

/*
 * mig_exec_args
 *		Run one statement of the engine's through SPI (connected by the
 *		caller) as the role it belongs to, with text parameters $1... (NULL
 *		elements: NULL); returns SPI_processed.
 */
int
mig_exec_args(Migration *m, const char *sql, int nargs, char **args, MigRole role,
			  Oid owner)
{
	Oid			save_userid;
	int			save_sec;
	Oid			userid = role_of(m, role, owner);
	const char *save_own = own_sql;
	int			nestlevel;
	int			rc;
	uint64		processed;
	MemoryContext cxt = CurrentMemoryContext;
	Oid		   *types = palloc(sizeof(Oid) * Max(nargs, 1));
	Datum	   *values = palloc(sizeof(Datum) * Max(nargs, 1));
	char	   *nulls = palloc(Max(nargs, 1) + 1);

	for (int i = 0; i < nargs; i++)
	{
		types[i] = TEXTOID;
		values[i] = args[i] ? CStringGetTextDatum(args[i]) : (Datum) 0;
		nulls[i] = args[i] ? ' ' : 'n';
	}
	GetUserIdAndSecContext(&save_userid, &save_sec);
	if (OidIsValid(userid) && userid != save_userid)
		SetUserIdAndSecContext(userid, save_sec | SECURITY_LOCAL_USERID_CHANGE |
							   SECURITY_RESTRICTED_OPERATION);
	nestlevel = NewGUCNestLevel();
	mig_search_path_pinned();
	own_sql = sql;
	PG_TRY();
	{
		rc = nargs > 0
			? SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0)
			: SPI_execute(sql, false, 0);
		if (rc < 0)
			elog(ERROR, "SPI_execute failed with %d: %s", rc, sql);
		processed = SPI_processed;
	}
	PG_FINALLY();
	{
		own_sql = save_own;
	}
	PG_END_TRY();
	AtEOXact_GUC(true, nestlevel);
	SetUserIdAndSecContext(save_userid, save_sec);
	/* SPI returns in its procedure context: back to the caller's */
	MemoryContextSwitchTo(cxt);
	return (int) processed;
}

int
mig_exec(Migration *m, const char *sql, MigRole role, Oid owner)
{
	return mig_exec_args(m, sql, 0, NULL, role, owner);
}

void
mig_exec_step(Migration *m, MigStep *step)
{
	if (step->how == STEP_SQL)
		(void) mig_exec(m, step->sql, step->role, step->owner);
}

/*
 * mig_restart_transaction
 *		End the current transaction (commit or abort) and start the next one
 *		as userid, as SPI_commit() and SPI_rollback() do for a procedure.  A
 *		transaction remembers the user id it started with and goes back to
 *		it if it aborts: the next one must start as the caller.
 */
void
mig_restart_transaction(bool commit, Oid userid, int sec_context)
{
	if (commit)
		HoldPinnedPortals();
	ForgetPortalSnapshots();
	if (commit)
		CommitTransactionCommand();
	else
		AbortCurrentTransaction();
	SetUserIdAndSecContext(userid, sec_context);
	StartTransactionCommand();
}

/*
 * mig_rethrow
 *		ReThrowError(edata) for an error copied (CopyErrorData) into a
 *		context that may be gone before the error is reported: backfill
 *		deletes its own before it re-throws.  CopyErrorData copies even the
 *		error's file and function names and its message domains, but
 *		ReThrowError keeps those four pointers as they are, and they would
 *		point into freed memory when the error is sent (a crash seen when a
 *		backfill is canceled).  They are copied into ErrorContext here, which
 *		lives until the error has been reported.
 */
void
mig_rethrow(ErrorData *edata)
{
	MemoryContextSwitchTo(ErrorContext);
	if (edata->filename)
		edata->filename = pstrdup(edata->filename);
	if (edata->funcname)
		edata->funcname = pstrdup(edata->funcname);
	if (edata->domain)
		edata->domain = pstrdup(edata->domain);
	if (edata->context_domain)
		edata->context_domain = pstrdup(edata->context_domain);
	ReThrowError(edata);
}

/*
 * mig_exec_toplevel
 *		A utility statement that commits and starts transactions itself
 *		(CREATE INDEX CONCURRENTLY, DROP INDEX CONCURRENTLY), run as psql
 *		would run it: at top level, with a snapshot pushed, outside any
 *		transaction block.  Only a procedure called non-atomically (backfill)
 *		may: the caller has committed its own work and is not connected to
 *		SPI.  Returns in a new transaction, as the caller.
 *
 * The statement runs as the role it belongs to (CREATE INDEX checks that
 * the current user owns the table).  The transactions it starts remember
 * that role: so whether it succeeds or fails, its last transaction is ended
 * here and a new one started as the caller, before anything else runs.
 */
void
mig_exec_toplevel(Migration *m, MigStep *step)
{
	RawStmt    *raw = linitial_node(RawStmt, raw_parser(step->sql, RAW_PARSE_DEFAULT));
	PlannedStmt *pstmt = makeNode(PlannedStmt);
	QueryCompletion qc;
	Oid			save_userid;
	int			save_sec;
	Oid			userid = role_of(m, step->role, step->owner);
	const char *save_own = own_sql;
	MemoryContext cxt = CurrentMemoryContext;

	pstmt->commandType = CMD_UTILITY;
	pstmt->canSetTag = true;
	pstmt->utilityStmt = raw->stmt;
	pstmt->stmt_location = raw->stmt_location;
	pstmt->stmt_len = raw->stmt_len;
	InitializeQueryCompletion(&qc);

	GetUserIdAndSecContext(&save_userid, &save_sec);
	/* SET LOCAL: it ends with the statement's first transaction */
	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_LOCAL,
							 true, 0, false);
	if (OidIsValid(userid) && userid != save_userid)
		SetUserIdAndSecContext(userid, save_sec | SECURITY_LOCAL_USERID_CHANGE);
	own_sql = step->sql;
	PushActiveSnapshot(GetTransactionSnapshot());
	PG_TRY();
	{
		ProcessUtility(pstmt, step->sql, false, PROCESS_UTILITY_TOPLEVEL, NULL,
					   NULL, None_Receiver, &qc);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		own_sql = save_own;
		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		/* ours is no portal's: ForgetPortalSnapshots would complain */
		while (ActiveSnapshotSet())
			PopActiveSnapshot();
		mig_restart_transaction(false, save_userid, save_sec);
		MemoryContextSwitchTo(cxt);
		mig_rethrow(edata);
	}
	PG_END_TRY();
	own_sql = save_own;
	/* ours, and any the statement left (DROP INDEX CONCURRENTLY leaves one) */
	while (ActiveSnapshotSet())
		PopActiveSnapshot();
	mig_restart_transaction(true, save_userid, save_sec);
	MemoryContextSwitchTo(cxt);
}

/* Sleep ms milliseconds, waking up for interrupts. */
static void
pause_ms(long ms)
{
	(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
					 ms, PG_WAIT_EXTENSION);
	ResetLatch(MyLatch);
	CHECK_FOR_INTERRUPTS();
}

/*
 * mig_run_locked
 *		Run steps (their STEP_SQL ones) in one subtransaction whose every
 *		lock wait is bounded by schemaguard.migration_lock_timeout; on a lock
 *		timeout or a deadlock, roll it back, pause, and try again, at most
 *		LOCK_ATTEMPTS times in all.  what: the work, for the messages.
 */
void
mig_run_locked(Migration *m, const char *what, List *steps)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	long		backoff = FIRST_BACKOFF_MS;

	for (int attempt = 1;; attempt++)
	{
		int			nestlevel;
		ErrorData  *edata = NULL;
		char		timeout[32];

		BeginInternalSubTransaction(NULL);
		MemoryContextSwitchTo(cxt);
		nestlevel = NewGUCNestLevel();
		snprintf(timeout, sizeof(timeout), "%dms", migrate_lock_timeout_ms);
		(void) set_config_option("lock_timeout", timeout, PGC_USERSET,
								 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
		PG_TRY();
		{
			ListCell   *lc;

			foreach(lc, steps)
				mig_exec_step(m, (MigStep *) lfirst(lc));
			AtEOXact_GUC(true, nestlevel);
			ReleaseCurrentSubTransaction();
			MemoryContextSwitchTo(cxt);
			CurrentResourceOwner = owner;
		}
		PG_CATCH();
		{
			MemoryContextSwitchTo(cxt);
			edata = CopyErrorData();
			FlushErrorState();
			RollbackAndReleaseCurrentSubTransaction();
			MemoryContextSwitchTo(cxt);
			CurrentResourceOwner = owner;
		}
		PG_END_TRY();

		if (edata == NULL)
			return;				/* done */
		if ((edata->sqlerrcode != ERRCODE_LOCK_NOT_AVAILABLE &&
			 edata->sqlerrcode != ERRCODE_T_R_DEADLOCK_DETECTED) ||
			attempt == LOCK_ATTEMPTS)
		{
			if (edata->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE ||
				edata->sqlerrcode == ERRCODE_T_R_DEADLOCK_DETECTED)
				ereport(ERROR,
						(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
						 errmsg("could not take the locks to %s of migration " INT64_FORMAT " in %d attempts",
								what, m->id, LOCK_ATTEMPTS),
						 errdetail("Each attempt waited at most schemaguard.migration_lock_timeout (%d ms) for its locks; the last one failed with: %s",
								   migrate_lock_timeout_ms, edata->message),
						 errhint("Find the sessions holding locks on %s (pg_locks, pg_stat_activity), then call it again; or raise schemaguard.migration_lock_timeout.",
								 m->qualname)));
			mig_rethrow(edata);
		}
		ereport(NOTICE,
				(errmsg("could not take the locks to %s of migration " INT64_FORMAT " (attempt %d of %d): %s",
						what, m->id, attempt, LOCK_ATTEMPTS, edata->message),
				 errdetail("Trying again in %ld ms.", backoff)));
		FreeErrorData(edata);
		pause_ms(backoff);
		backoff *= 2;
	}
}

/*
 * mig_audit
 *		The audit row of a phase: done (in the phase's transaction) or failed
 *		(failure: the error, written in a transaction of its own).  The
 *		statements it ran are listed in its findings.
 */
void
mig_audit(Migration *m, const char *phase, List *steps, const char *failure)
{
	StringInfoData buf;
	ListCell   *lc;
	char	   *statement;
	bool		first = true;

	initStringInfo(&buf);
	appendStringInfo(&buf, "[{\"migration\": " INT64_FORMAT ", \"phase\": ", m->id);
	escape_json(&buf, phase);
	appendStringInfoString(&buf, ", \"state\": ");
	escape_json(&buf, mig_state_name(m->state));
	appendStringInfoString(&buf, ", \"table\": ");
	escape_json(&buf, m->qualname);
	appendStringInfoString(&buf, ", \"statements\": [");
	foreach(lc, steps)
	{
		MigStep    *step = lfirst(lc);

		if (step->how == STEP_SHOWN)
			continue;
		if (!first)
			appendStringInfoString(&buf, ", ");
		escape_json(&buf, step->sql);
		first = false;
	}
	appendStringInfoString(&buf, "]}]");
	statement = psprintf("%s of migration " INT64_FORMAT "%s%s%s: %s",
						 phase, m->id,
						 m->name ? " (" : "", m->name ? m->name : "", m->name ? ")" : "",
						 m->ddl);
	guard_audit_migration(statement, buf.data, failure != NULL, failure);
}

/*
 * mig_run_steps
 *		Run a phase's steps (STEP_SQL ones), group by group, each group in
 *		one subtransaction under lock_timeout, retried (mig_run_locked).
 */
void
mig_run_steps(Migration *m, const char *what, List *steps)
{
	List	   *group = NIL;
	int			current = -1;
	ListCell   *lc;

	foreach(lc, steps)
	{
		MigStep    *step = lfirst(lc);

		if (step->how != STEP_SQL || step->sql == NULL)
			continue;
		if (step->group != current && group != NIL)
		{
			mig_run_locked(m, what, group);
			group = NIL;
		}
		current = step->group;
		group = lappend(group, step);
	}
	if (group != NIL)
		mig_run_locked(m, what, group);
}

/*
 * mig_phase
 *		Run fn(m, arg) in a subtransaction: if it fails, the failure is
 *		audited in a transaction of its own (it survives the rollback the
 *		error brings) before the error goes on.
 */
void
mig_phase(Migration *m, const char *phase, void (*fn) (Migration *m, void *arg), void *arg)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		fn(m, arg);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		if (edata->sqlerrcode != ERRCODE_ADMIN_SHUTDOWN && m->id != 0)
			mig_audit(m, phase, NIL, edata->message);
		mig_rethrow(edata);
	}
	PG_END_TRY();
}

/*-------------------------------------------------------------------------
 *
 * sessions.c
 *	  Who is there: the evidence the lock-based rules (table-rewrite,
 *	  full-scan-under-lock, blocking-index-build, lock-timeout) judge by
 *	  besides size.  A lock matters because of the sessions it would block,
 *	  so before they fire on a table the guard looks at
 *
 *	  - the tables this session created (in an earlier transaction too),
 *	    which no other session can be using unless it holds or awaits a lock
 *	    on them now;
 *	  - the other client sessions connected to this database: when there is
 *	    none but the ones doing the same work (same role, same non-empty
 *	    application_name: a restore's parallel jobs), nobody is blocked;
 *	  - the sessions that hold or await a lock conflicting with the
 *	    statement's on its tables right now, which the findings name (and
 *	    which make lock-timeout an error: the statement is certain to queue).
 *
 * The first two are relaxations, applied with schemaguard.consider_sessions
 * on (the default) and never in a check_ddl() dry run, which judges a
 * script for whenever it will run.  docs/guard.md, "Who is there", states
 * the rules.
 *
 * Background workers and autovacuum do not count as sessions: autovacuum
 * gives way to a conflicting lock request (the deadlock detector cancels
 * it), except when it vacuums to prevent wraparound, when it is named like
 * any holder.  The session's own parallel workers are part of the session.
 *
 * Tables created by this session are noted by an event trigger
 * (schemaguard_table_created, ddl_command_end of CREATE TABLE, CREATE TABLE
 * AS, SELECT INTO and CREATE MATERIALIZED VIEW) in a session-long table;
 * the notes of a transaction or subtransaction that rolls back go with it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_class.h"
#include "commands/event_trigger.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "storage/procarray.h"
#include "utils/acl.h"
#include "utils/backend_status.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "guard/guard.h"

PG_FUNCTION_INFO_V1(schemaguard_on_table_created);

/* Sessions named in one sentence at most; the rest are counted. */
#define HOLDERS_SHOWN 5

/* Characters of a holder's query shown. */
#define QUERY_SHOWN 60

/*
 * The tables this session created: a hash table of their OIDs, and the
 * ones the current transaction created, with the subtransaction that did,
 * until it ends (a rollback takes them out again).  The callbacks, which
 * run at the end of every subtransaction, look at the pending ones only.
 */
typedef struct PendingTable
{
	Oid			relid;
	SubTransactionId subid;
} PendingTable;

static HTAB *created_tables = NULL;	/* Oid -> Oid, in TopMemoryContext */
static List *pending_tables = NIL;	/* PendingTable, in TopMemoryContext */

/* What one statement found out, once (GuardStatement.sessions). */
typedef struct GuardSessions
{
	bool		status_read;	/* the backend status table, read afresh */
	int			others;			/* -1: not counted yet */
	LockData   *locks;			/* the lock table, read once */
} GuardSessions;

/*
 * forget_pending
 *		Take out the tables created by the current transaction (subid 0),
 *		or by one of its subtransactions, which is rolling back.
 */
static void
forget_pending(SubTransactionId subid)
{
	ListCell   *lc;

	foreach(lc, pending_tables)
	{
		PendingTable *t = lfirst(lc);

		if (subid != InvalidSubTransactionId && t->subid != subid)
			continue;
		(void) hash_search(created_tables, &t->relid, HASH_REMOVE, NULL);
		pending_tables = foreach_delete_current(pending_tables, lc);
		pfree(t);
	}
}

static void
sessions_xact_callback(XactEvent event, void *arg)
{
	if (pending_tables == NIL)
		return;
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		forget_pending(InvalidSubTransactionId);
	else if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PREPARE)
	{
		list_free_deep(pending_tables);
		pending_tables = NIL;
	}
}

static void
sessions_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						  SubTransactionId parentSubid, void *arg)
{
	ListCell   *lc;

	if (event == SUBXACT_EVENT_ABORT_SUB)
		forget_pending(mySubid);
	else if (event == SUBXACT_EVENT_COMMIT_SUB)
	{
		foreach(lc, pending_tables)
		{
			PendingTable *t = lfirst(lc);

			if (t->subid == mySubid)
				t->subid = parentSubid;
		}
	}
}

void
guard_sessions_init(void)
{
	RegisterXactCallback(sessions_xact_callback, NULL);
	RegisterSubXactCallback(sessions_subxact_callback, NULL);
}

/*
 * schemaguard_on_table_created
 *		Event trigger (ddl_command_end of the commands that create tables):
 *		note the table the command created, unless it is temporary (the
 *		guard never judges those) or existed already (IF NOT EXISTS).
 */
Datum
schemaguard_on_table_created(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata;
	RangeVar   *rv = NULL;
	Oid			relid;
	Relation	rel;
	bool		created;
	MemoryContext old;
	PendingTable *t;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_EVENT_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" was not called by event trigger manager",
						"on_table_created")));
	trigdata = (EventTriggerData *) fcinfo->context;
	if (IsA(trigdata->parsetree, CreateStmt))
		rv = ((CreateStmt *) trigdata->parsetree)->relation;
	else if (IsA(trigdata->parsetree, CreateTableAsStmt))
		rv = ((CreateTableAsStmt *) trigdata->parsetree)->into->rel;
	if (rv == NULL || rv->relpersistence == RELPERSISTENCE_TEMP)
		PG_RETURN_VOID();
	relid = RangeVarGetRelid(rv, NoLock, true);
	if (!OidIsValid(relid))
		PG_RETURN_VOID();
	rel = RelationIdGetRelation(relid);
	if (rel == NULL)
		PG_RETURN_VOID();
	/* a table that existed before this transaction was not created now */
	created = rel->rd_createSubid != InvalidSubTransactionId &&
		rel->rd_rel->relpersistence != RELPERSISTENCE_TEMP;
	RelationClose(rel);
	if (!created)
		PG_RETURN_VOID();

	if (created_tables == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(Oid);
		created_tables = hash_create("schemaguard tables created by this session",
									 256, &ctl, HASH_ELEM | HASH_BLOBS);
	}
	(void) hash_search(created_tables, &relid, HASH_ENTER, NULL);
	old = MemoryContextSwitchTo(TopMemoryContext);
	t = palloc(sizeof(PendingTable));
	t->relid = relid;
	t->subid = GetCurrentSubTransactionId();
	pending_tables = lappend(pending_tables, t);
	MemoryContextSwitchTo(old);
	PG_RETURN_VOID();
}

/* Did this session create the table (in this transaction or an earlier one)? */
static bool
created_by_session(Oid relid)
{
	return created_tables != NULL &&
		hash_search(created_tables, &relid, HASH_FIND, NULL) != NULL;
}

static GuardSessions *
statement_sessions(GuardStatement *st)
{
	if (st->sessions == NULL)
	{
		st->sessions = palloc0(sizeof(GuardSessions));
		st->sessions->others = -1;
	}
	return st->sessions;
}

/*
 * backend_status
 *		The number of backend status entries, read afresh once per
 *		statement: the snapshot pg_stat_activity keeps for the rest of a
 *		transaction would not see a session that connected since.
 */
static int
backend_status(GuardStatement *st)
{
	GuardSessions *s = statement_sessions(st);

	if (!s->status_read)
	{
		pgstat_clear_backend_activity_snapshot();
		s->status_read = true;
	}
	return pgstat_fetch_stat_numbackends();
}

/*
 * other_sessions
 *		The client sessions connected to this database now, other than this
 *		one and the ones doing the same work as it: the same session role and
 *		the same application_name, which must not be empty (pg_restore -j
 *		names all its connections "pg_restore").  Background workers,
 *		autovacuum, WAL senders and other databases' sessions do not count.
 */
static int
other_sessions(GuardStatement *st)
{
	GuardSessions *s = statement_sessions(st);
	Oid			me = GetSessionUserId();
	int			n;

	if (s->others >= 0)
		return s->others;
	s->others = 0;
	n = backend_status(st);
	for (int i = 1; i <= n; i++)
	{
		LocalPgBackendStatus *local = pgstat_fetch_stat_local_beentry(i);
		PgBackendStatus *be;

		if (local == NULL)
			continue;
		be = &local->backendStatus;
		if (be->st_procpid == MyProcPid || be->st_backendType != B_BACKEND ||
			be->st_databaseid != MyDatabaseId)
			continue;
		if (be->st_userid == me && application_name != NULL &&
			application_name[0] != '\0' &&
			strcmp(be->st_appname, application_name) == 0)
			continue;			/* doing the same work */
		s->others++;
	}
	return s->others;
}

/* The lock table, read once per statement. */
static LockData *
lock_table(GuardStatement *st)
{
	GuardSessions *s = statement_sessions(st);

	if (s->locks == NULL)
		s->locks = GetLockStatusData();
	return s->locks;
}

/*
 * other_locker
 *		Is this lock entry another session's (not this backend's, nor one
 *		of its parallel workers', nor autovacuum's, which gives way)?
 */
static bool
other_locker(LockInstanceData *lock)
{
	PGPROC	   *proc;

	if (lock->pid == MyProcPid || lock->leaderPid == MyProcPid)
		return false;
	if (lock->pid == 0)
		return true;			/* a prepared transaction */
	proc = BackendPidGetProc(lock->pid);
	if (proc != NULL && (proc->statusFlags & PROC_IS_AUTOVACUUM) &&
		!(proc->statusFlags & PROC_VACUUM_FOR_WRAPAROUND))
		return false;
	return true;
}

/*
 * Does this entry hold or await, on relid, a lock that conflicts with
 * mode?  *waits: it awaits it (and holds no conflicting one).
 */
static bool
conflicts(LockInstanceData *lock, Oid relid, LOCKMODE mode, bool *waits,
		  LOCKMODE *theirs)
{
	const LOCKMASK *conflict_tab;

	if (lock->locktag.locktag_type != LOCKTAG_RELATION ||
		lock->locktag.locktag_field1 != MyDatabaseId ||
		lock->locktag.locktag_field2 != relid)
		return false;
	conflict_tab = GetLockTagsMethodTable(&lock->locktag)->conflictTab;
	for (LOCKMODE m = MaxLockMode; m > NoLock; m--)
	{
		if ((lock->holdMask & LOCKBIT_ON(m)) && (conflict_tab[mode] & LOCKBIT_ON(m)))
		{
			*waits = false;
			*theirs = m;
			return true;
		}
	}
	if (lock->waitLockMode != NoLock &&
		(conflict_tab[mode] & LOCKBIT_ON(lock->waitLockMode)))
	{
		*waits = true;
		*theirs = lock->waitLockMode;
		return true;
	}
	return false;
}

/* Does another session hold or await any lock on one of the members? */
static bool
anyone_locks(GuardStatement *st, GuardRelation *rel)
{
	LockData   *locks = lock_table(st);
	ListCell   *lc;

	foreach(lc, rel->member_oids)
	{
		for (int i = 0; i < locks->nelements; i++)
		{
			bool		waits;
			LOCKMODE	theirs;

			if (other_locker(&locks->locks[i]) &&
				conflicts(&locks->locks[i], lfirst_oid(lc), AccessExclusiveLock,
						  &waits, &theirs))
				return true;
		}
	}
	return false;
}

/*
 * guard_relation_unwatched
 *		Would a lock on this table block nobody?  True (with
 *		schemaguard.consider_sessions on, outside a dry run) when no other
 *		client session is connected to the database but the ones doing the
 *		same work, or when this session created the table and each member
 *		the command reaches, and no other session holds or awaits a lock on
 *		any of them.
 */
bool
guard_relation_unwatched(GuardStatement *st, GuardRelation *rel)
{
	ListCell   *lc;

	if (!guard_consider_sessions || st->dry_run || rel->is_new)
		return false;
	if (other_sessions(st) == 0)
		return true;
	foreach(lc, rel->member_oids)
	{
		if (!created_by_session(lfirst_oid(lc)))
			return false;
	}
	return !anyone_locks(st, rel);
}

static const char *
state_name(BackendState state)
{
	switch (state)
	{
		case STATE_IDLE:
			return "idle";
		case STATE_RUNNING:
			return "active";
		case STATE_IDLEINTRANSACTION:
			return "idle in transaction";
		case STATE_FASTPATH:
			return "fastpath function call";
		case STATE_IDLEINTRANSACTION_ABORTED:
			return "idle in transaction (aborted)";
		default:
			return NULL;
	}
}

/* "5 s", "3 min 12 s", "2 h 5 min" */
static char *
duration_text(TimestampTz since)
{
	long		secs;
	int			usecs;

	TimestampDifference(since, GetCurrentTimestamp(), &secs, &usecs);
	if (secs < 60)
		return psprintf("%ld s", secs);
	if (secs < 3600)
		return psprintf("%ld min %ld s", secs / 60, secs % 60);
	return psprintf("%ld h %ld min", secs / 3600, (secs % 3600) / 60);
}

/*
 * describe_session
 *		"session 123 (application "psql", role "app", idle in transaction,
 *		transaction open for 5 min 2 s, query "SELECT ...")": what
 *		pg_stat_activity would show the current role of it.  Without
 *		pg_read_all_stats or the privileges of the session's role, only the
 *		pid, application and role, as pg_stat_activity shows them.
 */
static char *
describe_session(GuardStatement *st, int pid)
{
	StringInfoData buf;
	int			n = backend_status(st);

	initStringInfo(&buf);
	if (pid == 0)
	{
		appendStringInfoString(&buf, "a prepared transaction");
		return buf.data;
	}
	appendStringInfo(&buf, "session %d", pid);
	for (int i = 1; i <= n; i++)
	{
		LocalPgBackendStatus *local = pgstat_fetch_stat_local_beentry(i);
		PgBackendStatus *be;
		char	   *role;

		if (local == NULL || local->backendStatus.st_procpid != pid)
			continue;
		be = &local->backendStatus;
		role = OidIsValid(be->st_userid) ? GetUserNameFromId(be->st_userid, true) : NULL;
		appendStringInfo(&buf, " (application \"%s\"", be->st_appname ? be->st_appname : "");
		if (role)
			appendStringInfo(&buf, ", role \"%s\"", role);
		if (be->st_backendType != B_BACKEND)
			appendStringInfo(&buf, ", %s", GetBackendTypeDesc(be->st_backendType));
		if (has_privs_of_role(GetUserId(), ROLE_PG_READ_ALL_STATS) ||
			has_privs_of_role(GetUserId(), be->st_userid))
		{
			const char *state = state_name(be->st_state);

			if (state)
				appendStringInfo(&buf, ", %s", state);
			if (be->st_xact_start_timestamp != 0)
				appendStringInfo(&buf, ", transaction open for %s",
								 duration_text(be->st_xact_start_timestamp));
			if (be->st_activity_raw && be->st_activity_raw[0] != '\0')
			{
				char	   *query = pgstat_clip_activity(be->st_activity_raw);
				char	   *w = query;
				int			len;
				int			clip;

				/* one line: each run of blanks becomes a space */
				for (char *r = query; *r; r++)
				{
					if (isspace((unsigned char) *r))
					{
						if (w > query && w[-1] != ' ')
							*w++ = ' ';
					}
					else
						*w++ = *r;
				}
				*w = '\0';
				len = strlen(query);
				clip = pg_mbcharcliplen(query, len, QUERY_SHOWN);

				appendStringInfo(&buf, ", query \"%.*s%s\"", clip, query,
								 clip < len ? "..." : "");
			}
		}
		appendStringInfoChar(&buf, ')');
		break;
	}
	return buf.data;
}

/*
 * guard_lock_holders
 *		A sentence naming the sessions that hold or await, on the table or
 *		one of the members the command reaches, a lock that conflicts with
 *		mode; NULL if there is none, or if the table is unwatched (nobody
 *		to block).  The statement would queue behind them.
 */
char *
guard_lock_holders(GuardStatement *st, GuardRelation *rel, LOCKMODE mode)
{
	LockData   *locks;
	StringInfoData buf;
	List	   *seen = NIL;
	int			shown = 0;
	int			more = 0;
	ListCell   *lc;

	if (rel == NULL || st->dry_run || rel->is_new || guard_relation_is_unwatched(rel))
		return NULL;
	locks = lock_table(st);
	initStringInfo(&buf);
	foreach(lc, rel->member_oids)
	{
		Oid			member = lfirst_oid(lc);

		for (int i = 0; i < locks->nelements; i++)
		{
			LockInstanceData *lock = &locks->locks[i];
			bool		waits;
			LOCKMODE	theirs;
			char	   *member_name;

			if (!other_locker(lock) || !conflicts(lock, member, mode, &waits, &theirs))
				continue;
			/* each session once (a prepared transaction has no pid) */
			if (lock->pid != 0 && list_member_int(seen, lock->pid))
				continue;
			seen = lappend_int(seen, lock->pid);
			if (shown == HOLDERS_SHOWN)
			{
				more++;
				continue;
			}
			member_name = member == rel->relid
				? psprintf("%s.%s", rel->nspname, rel->relname)
				: psprintf("%s.%s", get_namespace_name(get_rel_namespace(member)),
						   get_rel_name(member));
			appendStringInfo(&buf, "%s%s %s %s on \"%s\"",
							 shown ? "; " : "", describe_session(st, lock->pid),
							 waits ? "waits for" : "holds", guard_lock_phrase(theirs),
							 member_name);
			shown++;
		}
	}
	if (shown == 0)
		return NULL;
	if (more)
		appendStringInfo(&buf, "; and %d more session%s", more, more == 1 ? "" : "s");
	/* capitalize the first word of the sentence */
	buf.data[0] = pg_toupper((unsigned char) buf.data[0]);
	appendStringInfo(&buf, ": the statement's %s lock would wait behind %s, and every later query on the table behind it.",
					 guard_lock_name(mode), shown + more == 1 ? "it" : "them");
	return buf.data;
}

/*
 * guard_statement_lock_holders
 *		The sessions the statement would queue behind, on any table it
 *		locks (with the strongest lock it takes on each); NULL if none.
 */
char *
guard_statement_lock_holders(GuardStatement *st)
{
	StringInfoData buf;
	ListCell   *lc;
	List	   *done = NIL;

	initStringInfo(&buf);
	foreach(lc, st->changes)
	{
		GuardChange *change = lfirst(lc);
		LOCKMODE	mode = change->lockmode;
		ListCell   *lc2;
		char	   *holders;

		if (change->rel == NULL || list_member_oid(done, change->rel->relid))
			continue;
		done = lappend_oid(done, change->rel->relid);
		foreach(lc2, st->changes)
		{
			GuardChange *other = lfirst(lc2);

			if (other->rel == change->rel && other->lockmode > mode)
				mode = other->lockmode;
		}
		holders = guard_lock_holders(st, change->rel, mode);
		if (holders)
			appendStringInfo(&buf, "%s%s", buf.len ? " " : "", holders);
	}
	return buf.len ? buf.data : NULL;
}

/*
 * guard_name_lock_holders
 *		After the rules: the findings about a lock (table-rewrite,
 *		full-scan-under-lock, blocking-index-build) name the sessions the
 *		statement would wait behind now.  lock-timeout names them itself.
 */
void
guard_name_lock_holders(GuardStatement *st)
{
	ListCell   *lc;
	char	   *holders = NULL;
	bool		looked = false;

	foreach(lc, st->findings)
	{
		GuardFinding *f = lfirst(lc);

		if (f->rule != RULE_TABLE_REWRITE && f->rule != RULE_FULL_SCAN_UNDER_LOCK &&
			f->rule != RULE_BLOCKING_INDEX_BUILD)
			continue;
		if (!looked)
		{
			holders = guard_statement_lock_holders(st);
			looked = true;
		}
		if (holders == NULL)
			return;
		f->detail = psprintf("%s %s", f->detail, holders);
	}
}


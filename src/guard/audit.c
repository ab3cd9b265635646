/*-------------------------------------------------------------------------
 *
 * audit.c
 *	  The audit trail: one row in schemaguard.audit_log for every checked
 *	  statement that fired a rule, with who ran it, what fired and what was
 *	  decided; and one for every phase of a migration (guard/predict.h).
 *
 * A warned or overridden statement goes on, and its row is written in its
 * own transaction: if that transaction rolls back, the change never
 * happened and neither did its row.  A blocked statement's transaction is
 * about to fail, so its row is written by a short-lived background worker
 * in a transaction of its own, which commits before the ERROR is raised:
 * the attempt stays in the log.  Dynamic background workers need no
 * shared_preload_libraries, only a free max_worker_processes slot; without
 * one, the block still happens and a WARNING says the row is missing.
 *
 * Rows are written with heap calls, not SQL, so no role needs a privilege
 * on the table; only its owner (and whom the owner grants) may read,
 * change or delete rows.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "storage/ipc.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "guard/guard.h"
#include "guard/predict.h"

PGDLLEXPORT void schemaguard_audit_worker_main(Datum main_arg);

/* Columns of schemaguard.audit_log (see the install script). */
enum
{
	AUDIT_LOGGED_AT = 0,
	AUDIT_SESSION_ROLE,
	AUDIT_EFFECTIVE_ROLE,
	AUDIT_APPLICATION_NAME,
	AUDIT_BACKEND_PID,
	AUDIT_STATEMENT,
	AUDIT_FINDINGS,
	AUDIT_DECISION,
	AUDIT_REASON,
	AUDIT_NATTS
};

/* The text columns, in the order they are packed for the worker. */
#define AUDIT_NSTRINGS 7

typedef struct AuditRow
{
	TimestampTz logged_at;
	int32		backend_pid;
	const char *strings[AUDIT_NSTRINGS];	/* session_role, effective_role,
											 * application_name, statement,
											 * findings, decision, reason */
} AuditRow;

/* What the backend hands the worker in a DSM segment. */
typedef struct AuditMessage
{
	Oid			database;
	TimestampTz logged_at;
	int32		backend_pid;
	bool		written;		/* set by the worker once it committed */
	Size		offsets[AUDIT_NSTRINGS];	/* into data; SIZE_MAX: NULL */
	char		data[FLEXIBLE_ARRAY_MEMBER];
} AuditMessage;

static const char *const decision_names[] = {"blocked", "warned", "allowed_by_override",
"rewritten"};

static char *
findings_json(GuardStatement *st)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '[');
	foreach(lc, st->findings)
	{
		GuardFinding *f = lfirst(lc);

		if (foreach_current_index(lc) > 0)
			appendStringInfoString(&buf, ", ");
		appendStringInfoString(&buf, "{\"rule\": ");
		escape_json(&buf, guard_rule_name(f->rule));
		appendStringInfoString(&buf, ", \"severity\": ");
		escape_json(&buf, guard_severity_name(f->severity));
		appendStringInfo(&buf, ", \"overridden\": %s, \"message\": ",
						 f->overridden ? "true" : "false");
		escape_json(&buf, f->message);
		appendStringInfoString(&buf, ", \"detail\": ");
		escape_json(&buf, f->detail);
		appendStringInfoChar(&buf, '}');
	}
	appendStringInfoChar(&buf, ']');
	return buf.data;
}

/* Insert one row; the caller is in a transaction. */
static void
audit_insert(const AuditRow *row)
{
	Oid			nspid = get_namespace_oid("schemaguard", true);
	Oid			relid = OidIsValid(nspid) ? get_relname_relid("audit_log", nspid) : InvalidOid;
	Relation	rel;
	Datum		values[AUDIT_NATTS];
	bool		nulls[AUDIT_NATTS];
	HeapTuple	tuple;
	static const int string_columns[AUDIT_NSTRINGS] = {
		AUDIT_SESSION_ROLE, AUDIT_EFFECTIVE_ROLE, AUDIT_APPLICATION_NAME,
		AUDIT_STATEMENT, AUDIT_FINDINGS, AUDIT_DECISION, AUDIT_REASON
	};

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"schemaguard.audit_log\" does not exist"),
				 errhint("Reinstall the extension: DROP EXTENSION schemaguard; CREATE EXTENSION schemaguard;")));
	rel = table_open(relid, RowExclusiveLock);
	if (RelationGetDescr(rel)->natts != AUDIT_NATTS)
		elog(ERROR, "schemaguard.audit_log has %d columns, expected %d",
			 RelationGetDescr(rel)->natts, AUDIT_NATTS);
	memset(nulls, false, sizeof(nulls));
	values[AUDIT_LOGGED_AT] = TimestampTzGetDatum(row->logged_at);
	values[AUDIT_BACKEND_PID] = Int32GetDatum(row->backend_pid);
	for (int i = 0; i < AUDIT_NSTRINGS; i++)
	{
		int			col = string_columns[i];

		if (row->strings[i] == NULL)
			nulls[col] = true;
		else if (col == AUDIT_FINDINGS)
			values[col] = DirectFunctionCall1(jsonb_in, CStringGetDatum(row->strings[i]));
		else
			values[col] = CStringGetTextDatum(row->strings[i]);
	}
	tuple = heap_form_tuple(RelationGetDescr(rel), values, nulls);
	CatalogTupleInsert(rel, tuple);
	table_close(rel, RowExclusiveLock);
}

/*
 * write_autonomously
 *		Have a background worker insert the row in a transaction of its own
 *		and wait for it.  False if it could not.
 */
static bool
write_autonomously(const AuditRow *row)
{
	Size		size = offsetof(AuditMessage, data);
	dsm_segment *seg;
	AuditMessage *msg;
	char	   *p;
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;
	bool		written;

	for (int i = 0; i < AUDIT_NSTRINGS; i++)
		if (row->strings[i])
			size += strlen(row->strings[i]) + 1;
	seg = dsm_create(size, 0);
	msg = dsm_segment_address(seg);
	msg->database = MyDatabaseId;
	msg->logged_at = row->logged_at;
	msg->backend_pid = row->backend_pid;
	msg->written = false;
	p = msg->data;
	for (int i = 0; i < AUDIT_NSTRINGS; i++)
	{
		if (row->strings[i] == NULL)
		{
			msg->offsets[i] = SIZE_MAX;
			continue;
		}
		msg->offsets[i] = p - msg->data;
		strcpy(p, row->strings[i]);
		p += strlen(row->strings[i]) + 1;
	}

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "schemaguard");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "schemaguard_audit_worker_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "schemaguard audit writer for PID %d", MyProcPid);
	snprintf(worker.bgw_type, BGW_MAXLEN, "schemaguard audit writer");
	worker.bgw_main_arg = UInt32GetDatum(dsm_segment_handle(seg));
	worker.bgw_notify_pid = MyProcPid;

	if (!RegisterDynamicBackgroundWorker(&worker, &handle))
	{
		dsm_detach(seg);
		return false;
	}
	if (WaitForBackgroundWorkerShutdown(handle) != BGWH_STOPPED)
	{
		dsm_detach(seg);
		return false;
	}
	pg_read_barrier();
	written = msg->written;
	dsm_detach(seg);
	return written;
}

void
schemaguard_audit_worker_main(Datum main_arg)
{
	dsm_segment *seg;
	AuditMessage *msg;
	AuditRow	row;

	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	seg = dsm_attach(DatumGetUInt32(main_arg));
	if (seg == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("could not map the audit row of a blocked statement")));
	msg = dsm_segment_address(seg);
	BackgroundWorkerInitializeConnectionByOid(msg->database, InvalidOid, 0);

	row.logged_at = msg->logged_at;
	row.backend_pid = msg->backend_pid;
	for (int i = 0; i < AUDIT_NSTRINGS; i++)
		row.strings[i] = msg->offsets[i] == SIZE_MAX ? NULL : msg->data + msg->offsets[i];

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	/* never wait long for a lock the blocked session may hold on the log */
	SetConfigOption("lock_timeout", "5s", PGC_SUSET, PGC_S_OVERRIDE);
	pgstat_report_activity(STATE_RUNNING, "writing the audit row of a blocked statement");
	audit_insert(&row);
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);

	msg->written = true;
	pg_write_barrier();
	dsm_detach(seg);
	proc_exit(0);
}

/*
 * guard_audit
 *		Record a judged statement that fired a rule.
 */
void
guard_audit(GuardStatement *st, GuardDecision decision, const char *reason)
{
	AuditRow	row;
	char	   *role;

	row.logged_at = GetCurrentStatementStartTimestamp();
	row.backend_pid = MyProcPid;
	role = GetUserNameFromId(GetSessionUserId(), true);
	row.strings[0] = role ? role : "";
	role = GetUserNameFromId(GetUserId(), true);
	row.strings[1] = role ? role : "";
	row.strings[2] = application_name ? application_name : "";
	row.strings[3] = st->text;
	row.strings[4] = findings_json(st);
	row.strings[5] = decision_names[decision];
	row.strings[6] = reason;

	if (decision != DECISION_BLOCKED)
		audit_insert(&row);
	else if (!write_autonomously(&row))
		ereport(WARNING,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("could not record the blocked statement in schemaguard.audit_log"),
				 errdetail("No background worker could be started to write the row in a transaction of its own."),
				 errhint("Raise max_worker_processes (it needs a restart) so that one is free.")));
}

/*
 * guard_audit_migration
 *		Record a phase of a migration (src/migrate/): done ('migration',
 *		in the phase's own transaction), or failed ('migration_failed', in
 *		a transaction of its own, so that it survives the phase's rollback).
 *		findings: a JSON array describing the phase.
 */
void
guard_audit_migration(const char *statement, const char *findings, bool failed,
					  const char *reason)
{
	AuditRow	row;
	char	   *role;

	row.logged_at = failed ? GetCurrentTimestamp() : GetCurrentStatementStartTimestamp();
	row.backend_pid = MyProcPid;
	role = GetUserNameFromId(GetSessionUserId(), true);
	row.strings[0] = role ? role : "";
	role = GetUserNameFromId(GetUserId(), true);
	row.strings[1] = role ? role : "";
	row.strings[2] = application_name ? application_name : "";
	row.strings[3] = statement;
	row.strings[4] = findings;
	row.strings[5] = failed ? "migration_failed" : "migration";
	row.strings[6] = reason;

	if (!failed)
		audit_insert(&row);
	else if (!write_autonomously(&row))
		ereport(WARNING,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("could not record the failed migration phase in schemaguard.audit_log"),
				 errdetail("No background worker could be started to write the row in a transaction of its own."),
				 errhint("Raise max_worker_processes (it needs a restart) so that one is free.")));
}

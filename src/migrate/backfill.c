/*-------------------------------------------------------------------------
 *
 * backfill.c
 *	  CALL schemaguard.backfill(id, batch_size, max_rows_per_second): fill
 *	  the columns a migration added, in batches, one committed transaction
 *	  each, then build the copies of the indexes CONCURRENTLY.
 *
 * A procedure, as PostgreSQL's own long work is done in short transactions
 * (CREATE INDEX CONCURRENTLY, procedures with COMMIT): it refuses to run
 * inside a transaction block.  It walks the primary key (or, without one,
 * the table's pages by ctid) from where the last committed batch ended:
 * the key is saved in schemaguard.migration with each batch, in the batch's
 * own transaction, so that a second call after a crash, a cancel or an
 * error goes on from there.  A batch writes only the rows that need it:
 * rows the dual-write triggers have written already are skipped.  It locks
 * only the rows of its batch, for the batch's time.
 *
 * max_rows_per_second: the walk is paced for writers running beside it.
 * Its batches are short (about PACED_BATCH_MS each, batch_size only their
 * upper bound) and spread evenly, a pause after each, so that no batch holds
 * a CPU and its rows' locks for more than about half a millisecond; and the
 * copies of the indexes are built without parallel maintenance workers,
 * which would take every core while writers wait for one.
 * Progress: rows done, total, rate and the time left in
 * schemaguard.migrations after each batch, and as a NOTICE at most every
 * PROGRESS_INTERVAL_MS.  Then each copied index is built with CREATE INDEX
 * CONCURRENTLY, as a top-level statement (exec.c); one left INVALID by a
 * crash or a failure is dropped CONCURRENTLY and built again; and the new
 * columns are analyzed, so that the planner knows them at the switch.  The
 * migration is backfilled when every row and index is done.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/relation.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/pg_index.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "storage/bufmgr.h"
#include "storage/latch.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "migrate/internal.h"

#define PROGRESS_INTERVAL_MS 5000

/*
 * A paced walk (max_rows_per_second given) spreads the rows evenly over
 * time: batches of about PACED_BATCH_MS each (batch_size is then their upper
 * bound), the first of FIRST_PACED_BATCH rows, each followed by a pause
 * until the rate allows the next, and by PACED_MIN_PAUSE_US at least even
 * when the walk is behind the rate, so that batches never run back to back.
 * Writers running beside it meet a short burst of work often rather than a
 * long one now and then.  The length of each burst is what costs them, not
 * its priority nor its I/O: on a small machine a process outside PostgreSQL
 * busy 2 ms of every 8 costs writers' p99 as much as batches of 2 ms do
 * (about 2 ms), in bursts of 0.5 ms under 1 ms (docs/benchmark.md,
 * Migrations).  Shorter batches than this cost more per row (each has a few
 * statements of its own and a commit) without shortening the writers' wait
 * further.
 */
#define PACED_BATCH_MS 0.5
#define PACED_MIN_PAUSE_US 100
#define FIRST_PACED_BATCH 100

/*
 * mig_backfill_key
 *		The primary key's columns (quoted names and their types for casts),
 *		or ctid if the table has none.
 */
MigBackfillKey *
mig_backfill_key(Migration *m)
{
	MigBackfillKey *key = palloc0(sizeof(MigBackfillKey));
	Relation	rel = relation_open(m->relid, AccessShareLock);
	Oid			pk = RelationGetPrimaryKeyIndex(rel);
	HeapTuple	tuple;
	Form_pg_index idx;

	relation_close(rel, AccessShareLock);
	if (!OidIsValid(pk))
	{
		key->ctid = true;
		return key;
	}
	tuple = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(pk));
	idx = (Form_pg_index) GETSTRUCT(tuple);
	key->ncols = idx->indnkeyatts;
	key->names = palloc(sizeof(char *) * key->ncols);
	key->types = palloc(sizeof(char *) * key->ncols);
	for (int i = 0; i < key->ncols; i++)
	{
		AttrNumber	a = idx->indkey.values[i];

		key->names[i] = pstrdup(quote_identifier(get_attname(m->relid, a, false)));
		key->types[i] = format_type_be(get_atttype(m->relid, a));
	}
	ReleaseSysCache(tuple);
	return key;
}

/* "(t.a, t.b)" and "($n::ta, $n+1::tb)" */
static char *
key_columns(MigBackfillKey *key)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (int i = 0; i < key->ncols; i++)
		appendStringInfo(&buf, "%st.%s", i ? ", " : "", key->names[i]);
	return key->ncols > 1 ? psprintf("(%s)", buf.data) : buf.data;
}

static char *
key_params(MigBackfillKey *key, int first)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (int i = 0; i < key->ncols; i++)
		appendStringInfo(&buf, "%s$%d::%s", i ? ", " : "", first + i, key->types[i]);
	return key->ncols > 1 ? psprintf("(%s)", buf.data) : buf.data;
}

/*
 * mig_backfill_sql
 *		The UPDATE of one batch: the rows after the last key done (lower:
 *		$1...) up to the batch's last key (upper: the next parameters), that
 *		still need it.  With ctid: the pages from $1 up to $2.
 */
char *
mig_backfill_sql(Migration *m, MigBackfillKey *key, const char *set, const char *todo,
				 bool lower, bool upper)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfo(&buf, "UPDATE %s AS t SET %s WHERE ", m->qualname, set);
	if (key->ctid)
		appendStringInfoString(&buf, "t.ctid >= $1::tid AND t.ctid < $2::tid AND ");
	else
	{
		if (lower)
			appendStringInfo(&buf, "%s > %s AND ", key_columns(key), key_params(key, 1));
		if (upper)
			appendStringInfo(&buf, "%s <= %s AND ", key_columns(key),
							 key_params(key, lower ? key->ncols + 1 : 1));
	}
	appendStringInfo(&buf, "(%s)", todo);
	return buf.data;
}

/* Each transaction of the procedure runs with the engine's search_path. */
static void
transaction_setup(void)
{
	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_LOCAL,
							 true, 0, false);
}

static void
commit(void)
{
	SPI_commit();
	transaction_setup();
}

/*
 * pause_us
 *		Sleep for us microseconds, interruptibly: on the latch by whole
 *		milliseconds, the rest (under a millisecond, which WaitLatch cannot
 *		time) with pg_usleep.
 */
static void
pause_us(long us)
{
	while (us > 0)
	{
		if (us >= 1000)
		{
			long		ms = Min(us / 1000, 1000);

			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 ms, PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
			us -= ms * 1000;
		}
		else
		{
			pg_usleep(us);
			us = 0;
		}
		CHECK_FOR_INTERRUPTS();
	}
}

/* The rows a table holds, about: its statistics, or a count if it has none. */
static int64
rows_total(Migration *m)
{
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(m->relid));
	float4		reltuples = ((Form_pg_class) GETSTRUCT(tuple))->reltuples;

	ReleaseSysCache(tuple);
	if (reltuples >= 0)
		return (int64) reltuples;
	mig_exec(m, psprintf("SELECT count(*) FROM %s", m->qualname), ROLE_TABLE_OWNER, InvalidOid);
	return pg_strtoint64(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1));
}

typedef struct Walk
{
	Migration  *m;
	MigBackfillKey *key;
	char	   *set;
	char	   *todo;
	int			batch_size;		/* rows of the next batch */
	BlockNumber pages;			/* ctid walk: pages when it started */
	double		us_per_row;		/* paced: how long a row takes, smoothed */
} Walk;

/*
 * one_batch
 *		Fill one batch; false when the table is done.  Runs in the current
 *		transaction; m->backfill_key and rows_done move on.
 */
static bool
one_batch(Walk *w, MemoryContext keep)
{
	Migration  *m = w->m;
	MigBackfillKey *key = w->key;
	int			nlower = m->backfill_key ? list_length(m->backfill_key) : 0;
	char	  **args = palloc(sizeof(char *) * (2 * Max(key->ncols, 1) + 1));
	List	   *upper = NIL;
	int64		walked;
	MemoryContext old;

	if (key->ctid)
	{
		BlockNumber from = m->backfill_key ? (BlockNumber) strtoul(linitial(m->backfill_key), NULL, 10) : 0;
		BlockNumber to = from + Max(1, (BlockNumber) ((double) w->batch_size * w->pages /
													  Max(m->rows_total, 1)));

		if (from >= w->pages)
			return false;
		args[0] = psprintf("(%u,0)", from);
		args[1] = psprintf("(%u,0)", to);
		mig_exec_args(m, mig_backfill_sql(m, key, w->set, w->todo, true, true), 2, args,
					  ROLE_TABLE_OWNER, InvalidOid);
		walked = (int64) (to - from) * Max(m->rows_total, 1) / Max(w->pages, 1);
		upper = list_make1(psprintf("%u", to));
	}
	else
	{
		StringInfoData sql;
		char	   *cols = key_columns(key);

		for (int i = 0; i < nlower; i++)
			args[i] = list_nth(m->backfill_key, i);
		initStringInfo(&sql);
		appendStringInfoString(&sql, "SELECT ");
		for (int i = 0; i < key->ncols; i++)
			appendStringInfo(&sql, "%st.%s::text", i ? ", " : "", key->names[i]);
		appendStringInfo(&sql, " FROM %s AS t", m->qualname);
		if (nlower)
			appendStringInfo(&sql, " WHERE %s > %s", cols, key_params(key, 1));
		appendStringInfo(&sql, " ORDER BY %s OFFSET %d LIMIT 1", cols, w->batch_size - 1);
		if (mig_exec_args(m, sql.data, nlower, args, ROLE_TABLE_OWNER, InvalidOid) == 1)
		{
			for (int i = 0; i < key->ncols; i++)
			{
				char	   *v = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, i + 1);

				args[nlower + i] = v;
				upper = lappend(upper, v);
			}
			walked = w->batch_size;
		}
		else
		{
			/* the last batch: what is left */
			resetStringInfo(&sql);
			appendStringInfo(&sql, "SELECT count(*) FROM %s AS t", m->qualname);
			if (nlower)
				appendStringInfo(&sql, " WHERE %s > %s", cols, key_params(key, 1));
			mig_exec_args(m, sql.data, nlower, args, ROLE_TABLE_OWNER, InvalidOid);
			walked = pg_strtoint64(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1));
		}
		mig_exec_args(m, mig_backfill_sql(m, key, w->set, w->todo, nlower > 0, upper != NIL),
					  nlower + (upper ? key->ncols : 0), args, ROLE_TABLE_OWNER, InvalidOid);
	}

	old = MemoryContextSwitchTo(keep);
	m->rows_done += walked;
	if (upper == NIL)
	{
		m->backfill_done = true;
		m->rows_done = Max(m->rows_done, m->rows_total);
	}
	else
	{
		ListCell   *lc;

		/* the walk's own context lives as long as the CALL: no leak per batch */
		list_free_deep(m->backfill_key);
		m->backfill_key = NIL;
		foreach(lc, upper)
			m->backfill_key = lappend(m->backfill_key, pstrdup(lfirst(lc)));
	}
	MemoryContextSwitchTo(old);
	return !m->backfill_done;
}

/*
 * max_parallel_maintenance_workers for the session: value, or NULL for what
 * the configuration says (RESET).
 */
static void
set_maintenance_workers(const char *value)
{
	(void) set_config_option("max_parallel_maintenance_workers", value,
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SET,
							 true, 0, false);
}

/*
 * Put max_parallel_maintenance_workers back as it was before a serial
 * statement (saved) and commit that, in a transaction of its own: the
 * caller has just started one and is not connected to SPI.
 */
static void
serial_end(const char *saved)
{
	const char *reset = GetConfigOptionResetString("max_parallel_maintenance_workers");

	SPI_connect_ext(SPI_OPT_NONATOMIC);
	set_maintenance_workers(strcmp(saved, reset) == 0 ? NULL : saved);
	SPI_commit();
	SPI_finish();
}

/*
 * A top-level statement between two transactions of the procedure.
 *
 * serial: without parallel maintenance workers.  A paced backfill builds its
 * indexes so: a parallel build takes every core while it runs, and the
 * writers the pacing is for wait for one.  The statement commits
 * transactions of its own, so the setting is the session's for its time (a
 * SET LOCAL would end with its first transaction); it is put back and
 * committed right after, whether the statement succeeds or fails.
 */
static void
toplevel(Migration *m, const char *sql, MemoryContext cxt, bool serial)
{
	MigStep		step;
	char	   *saved = NULL;

	memset(&step, 0, sizeof(step));
	step.sql = (char *) sql;
	step.role = ROLE_TABLE_OWNER;
	SPI_commit();
	SPI_finish();
	MemoryContextSwitchTo(cxt);
	if (serial)
	{
		saved = pstrdup(GetConfigOption("max_parallel_maintenance_workers", false, false));
		set_maintenance_workers("0");
	}
	PG_TRY();
	{
		mig_exec_toplevel(m, &step);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		if (!serial)
			PG_RE_THROW();
		/* mig_exec_toplevel() has ended the statement's transaction */
		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		serial_end(saved);
		MemoryContextSwitchTo(cxt);
		mig_rethrow(edata);
	}
	PG_END_TRY();
	if (serial)
	{
		serial_end(saved);
		MemoryContextSwitchTo(cxt);
	}
	SPI_connect_ext(SPI_OPT_NONATOMIC);
	MemoryContextSwitchTo(cxt);
	transaction_setup();
}

static void
build_indexes(Migration *m, MemoryContext cxt, bool serial)
{
	ListCell   *lc;

	foreach(lc, m->objects)
	{
		MigObject  *o = lfirst(lc);
		char	   *leftover;

		if (!mig_object_toplevel(o) || o->done)
			continue;
		mig_set_phase(m, psprintf("backfill: index %s", o->created));
		if ((leftover = mig_object_leftover(m, o)) != NULL)
		{
			ereport(NOTICE,
					(errmsg("dropping index %s, left invalid by an earlier build, to build it again",
							leftover)));
			toplevel(m, psprintf("DROP INDEX CONCURRENTLY %s", leftover), cxt, false);
		}
		else if (mig_object_done_already(m, o))
		{
			mig_object_done(m, o);
			commit();
			continue;
		}
		if (strcmp(o->kind, "index") == 0 || strcmp(o->kind, "unique") == 0)
			ereport(NOTICE,
					(errmsg("backfill of migration " INT64_FORMAT ": building index %s CONCURRENTLY",
							m->id, quote_identifier(o->created))));
		else
			ereport(NOTICE,
					(errmsg("backfill of migration " INT64_FORMAT ": %s", m->id, o->sql)));
		toplevel(m, o->sql, cxt, serial);
		mig_object_done(m, o);
		commit();
	}
}

static void
notice_progress(Migration *m, double rate)
{
	if (m->rows_total > 0 && rate > 0 && m->rows_total > m->rows_done)
		ereport(NOTICE,
				(errmsg("backfill of migration " INT64_FORMAT ": " INT64_FORMAT " of about " INT64_FORMAT " rows (%d%%), %.0f rows/s, about %.0f s left",
						m->id, m->rows_done, m->rows_total,
						(int) (100.0 * m->rows_done / m->rows_total), rate,
						(m->rows_total - m->rows_done) / rate)));
	else
		ereport(NOTICE,
				(errmsg("backfill of migration " INT64_FORMAT ": " INT64_FORMAT " rows, %.0f rows/s",
						m->id, m->rows_done, rate)));
}

/*
 * pace_next_batch
 *		A paced walk's next batch: as many rows as take about PACED_BATCH_MS
 *		at the speed of the batches so far (the last ones weigh most), at
 *		most twice the last batch and at most batch_size.  rows: what the
 *		last batch walked, in elapsed microseconds, its commit included.
 */
static void
pace_next_batch(Walk *w, int64 rows, int64 elapsed, int batch_size)
{
	double		us_per_row;
	double		next;

	if (rows <= 0)
		return;
	us_per_row = (double) Max(elapsed, 1) / rows;
	w->us_per_row = w->us_per_row > 0 ? (w->us_per_row + us_per_row) / 2 : us_per_row;
	next = PACED_BATCH_MS * 1000.0 / w->us_per_row;
	next = Min(next, 2.0 * w->batch_size);
	w->batch_size = (int) Max(1.0, Min(next, (double) batch_size));
}

/* The walk over the rows, batch by batch, committing each. */
static void
walk(Migration *m, int batch_size, int max_rows_per_second, MemoryContext cxt)
{
	Walk		w;
	StringInfoData set;
	StringInfoData todo;
	ListCell   *lc;
	TimestampTz started = GetCurrentTimestamp();
	TimestampTz last_notice = started;
	int64		rows_at_start = m->rows_done;
	MemoryContext batch_cxt = AllocSetContextCreate(cxt, "schemaguard backfill batch",
													ALLOCSET_DEFAULT_SIZES);

	memset(&w, 0, sizeof(w));
	w.m = m;
	w.key = mig_backfill_key(m);
	w.batch_size = batch_size;
	initStringInfo(&set);
	initStringInfo(&todo);
	foreach(lc, m->changes)
	{
		MigChange  *c = lfirst(lc);

		c->kind->backfill(m, c, "t", &set, &todo);
	}
	if (set.len == 0)
	{
		m->backfill_done = true;
		return;
	}
	w.set = set.data;
	w.todo = todo.data;
	if (w.key->ctid)
	{
		Relation	rel = relation_open(m->relid, AccessShareLock);

		w.pages = RelationGetNumberOfBlocks(rel);
		relation_close(rel, AccessShareLock);
	}
	if (max_rows_per_second > 0)
		w.batch_size = Min(batch_size, FIRST_PACED_BATCH);

	for (;;)
	{
		MemoryContext old = MemoryContextSwitchTo(batch_cxt);
		MemoryContext sub = CurrentMemoryContext;
		ResourceOwner owner = CurrentResourceOwner;
		bool		more;
		double		seconds;
		double		rate;
		TimestampTz batch_started = GetCurrentTimestamp();
		int64		rows_before = m->rows_done;

		CHECK_FOR_INTERRUPTS();
		BeginInternalSubTransaction(NULL);
		MemoryContextSwitchTo(sub);
		PG_TRY();
		{
			more = one_batch(&w, cxt);
			ReleaseCurrentSubTransaction();
			MemoryContextSwitchTo(sub);
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
			if (edata->sqlerrcode != ERRCODE_ADMIN_SHUTDOWN)
			{
				mig_set_error(m, psprintf("backfill: %s", edata->message));
				SPI_commit();
			}
			mig_rethrow(edata);
		}
		PG_END_TRY();

		seconds = (double) (GetCurrentTimestamp() - started) / USECS_PER_SEC;
		rate = seconds > 0 ? (m->rows_done - rows_at_start) / seconds : 0;
		m->phase = more ? "backfill: rows" : "backfill: rows done";
		mig_save_backfill(m, rate);
		commit();
		MemoryContextSwitchTo(old);
		MemoryContextReset(batch_cxt);
		if (!more)
		{
			notice_progress(m, rate);
			break;
		}
		if (TimestampDifferenceExceeds(last_notice, GetCurrentTimestamp(), PROGRESS_INTERVAL_MS))
		{
			notice_progress(m, rate);
			last_notice = GetCurrentTimestamp();
		}
		if (max_rows_per_second > 0)
		{
			TimestampTz now = GetCurrentTimestamp();
			double		due_us = (double) (m->rows_done - rows_at_start) * USECS_PER_SEC /
				max_rows_per_second;

			pace_next_batch(&w, m->rows_done - rows_before, now - batch_started, batch_size);
			pause_us((long) Max(due_us - (now - started), PACED_MIN_PAUSE_US));
		}
	}
}

PG_FUNCTION_INFO_V1(schemaguard_backfill);

/*
 * CALL schemaguard.backfill(id bigint, batch_size int DEFAULT 10000,
 *							 max_rows_per_second int DEFAULT NULL)
 */
Datum
schemaguard_backfill(PG_FUNCTION_ARGS)
{
	int64		id;
	int			batch_size;
	int			max_rows_per_second;
	MemoryContext cxt;
	Migration  *m;
	static const MigState allowed[] = {STATE_EXPANDED, STATE_BACKFILLED, STATE_VERIFIED};
	volatile bool locked = false;

	if (fcinfo->context == NULL || !IsA(fcinfo->context, CallContext) ||
		castNode(CallContext, fcinfo->context)->atomic)
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("schemaguard.backfill() cannot run inside a transaction block"),
				 errdetail("It commits after each batch and builds indexes CONCURRENTLY."),
				 errhint("CALL it on its own, outside BEGIN ... COMMIT.")));
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the migration id must not be null")));
	id = PG_GETARG_INT64(0);
	batch_size = PG_ARGISNULL(1) ? 10000 : PG_GETARG_INT32(1);
	max_rows_per_second = PG_ARGISNULL(2) ? 0 : PG_GETARG_INT32(2);
	if (batch_size < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("batch_size must be at least 1")));
	if (!PG_ARGISNULL(2) && max_rows_per_second < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_rows_per_second must be at least 1, or NULL for no limit")));

	/*
	 * What lives across the procedure's transactions and SPI connections
	 * (SPI's own context goes with SPI_finish, before each top-level
	 * statement); deleted at the end, or on an error.
	 */
	cxt = AllocSetContextCreate(TopMemoryContext, "schemaguard backfill", ALLOCSET_DEFAULT_SIZES);
	SPI_connect_ext(SPI_OPT_NONATOMIC);
	MemoryContextSwitchTo(cxt);
	/* the CALL's own snapshot goes with the first commit */
	commit();
	PG_TRY();
	{
		mig_lock_migration_session(id);
		locked = true;
		MemoryContextSwitchTo(cxt);
		m = mig_load(id, false);
		mig_check_may_run(m, "backfill");
		mig_require_state(m, "backfill", lengthof(allowed), allowed);
		if (m->state != STATE_EXPANDED)
		{
			/* called again after it finished: walk every row again */
			ereport(NOTICE,
					(errmsg("migration " INT64_FORMAT " was %s: backfilling every row again",
							id, mig_state_name(m->state))));
			mig_set_state(m, STATE_EXPANDED, "backfill: again");
			m->backfill_key = NIL;
			m->backfill_done = false;
			m->rows_done = 0;
		}
		if (m->rows_total < 0 || (m->backfill_key == NIL && !m->backfill_done))
			m->rows_total = rows_total(m);
		if (m->backfill_key != NIL && !m->backfill_done)
			ereport(NOTICE,
					(errmsg("backfill of migration " INT64_FORMAT " goes on after " INT64_FORMAT " rows done",
							id, m->rows_done)));
		m->phase = "backfill: rows";
		mig_save_backfill(m, -1);
		commit();

		if (!m->backfill_done)
			walk(m, batch_size, max_rows_per_second, cxt);
		build_indexes(m, cxt, max_rows_per_second > 0);
		if (mig_analyze_sql(m))
		{
			mig_set_phase(m, "backfill: analyze");
			commit();
			mig_exec(m, mig_analyze_sql(m), ROLE_TABLE_OWNER, InvalidOid);
			commit();
		}

		mig_set_state(m, STATE_BACKFILLED, "backfill: done");
		mig_audit(m, "backfill", mig_phase_steps(m, PHASE_BACKFILL, NULL), NULL);
		mig_pass_empty_phases(m);
		commit();
		ereport(NOTICE,
				(errmsg("migration " INT64_FORMAT " is %s", id, mig_state_name(m->state)),
				 mig_next_call(m) ? errhint("Next: %s", mig_next_call(m)) : 0));
	}
	PG_CATCH();
	{
		if (locked)
			mig_unlock_migration_session(id);
		MemoryContextSwitchTo(ErrorContext);
		MemoryContextDelete(cxt);
		PG_RE_THROW();
	}
	PG_END_TRY();
	mig_unlock_migration_session(id);
	SPI_finish();
	MemoryContextDelete(cxt);
	PG_RETURN_VOID();
}

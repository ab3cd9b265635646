/*-------------------------------------------------------------------------
 *
 * verify.c
 *	  schemaguard.verify(id): check every row of the table -- the new
 *	  columns hold what the old ones convert to -- in ranges of pages, and
 *	  move the migration to verified if no row disagrees.
 *
 * Each range is read with a snapshot of its own: a row a writer changes
 * meanwhile may move from a range not read yet to one read already, but a
 * row written since the triggers exist is in step by construction, and a
 * row nobody touches stays where it is and is read once.  Rows added
 * beyond the table's last page after verify began are read at the end.
 * A migration that disagrees stays backfilled, the count and a sample of
 * the rows in its phase (switch() repeats them when it refuses); backfill
 * writes them again.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "migrate/internal.h"

/* Pages read per range (about 8 MB). */
#define VERIFY_PAGES 1024
#define PROGRESS_INTERVAL_MS 5000

typedef struct VerifyResult
{
	int64		rows;
	int64		wrong;
	char	   *sample;
} VerifyResult;

static int64
int8_value(int col)
{
	char	   *v = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col);

	return v ? pg_strtoint64(v) : 0;
}

static void
check(Migration *m, void *arg)
{
	VerifyResult *result = arg;
	StringInfoData wrong;
	ListCell   *lc;
	Relation	rel;
	BlockNumber pages;
	char	   *sql;
	char	   *tail;
	TimestampTz last_notice = GetCurrentTimestamp();
	MigBackfillKey *key = mig_backfill_key(m);
	StringInfoData keysql;

	initStringInfo(&wrong);
	foreach(lc, m->changes)
	{
		MigChange  *c = lfirst(lc);

		c->kind->verify(m, c, "t", &wrong);
	}
	if (wrong.len == 0)
		appendStringInfoString(&wrong, "false");
	rel = relation_open(m->relid, AccessShareLock);
	pages = RelationGetNumberOfBlocks(rel);
	relation_close(rel, NoLock);

	sql = psprintf("SELECT count(*), count(*) FILTER (WHERE %s) FROM %s AS t"
				   " WHERE t.ctid >= $1::tid AND t.ctid < $2::tid", wrong.data, m->qualname);
	for (BlockNumber from = 0; from < pages; from += VERIFY_PAGES)
	{
		char	   *args[2] = {psprintf("(%u,0)", from),
		psprintf("(%u,0)", Min(from + VERIFY_PAGES, pages))};

		CHECK_FOR_INTERRUPTS();
		mig_exec_args(m, sql, 2, args, ROLE_TABLE_OWNER, InvalidOid);
		result->rows += int8_value(1);
		result->wrong += int8_value(2);
		if (TimestampDifferenceExceeds(last_notice, GetCurrentTimestamp(), PROGRESS_INTERVAL_MS))
		{
			ereport(NOTICE,
					(errmsg("verify of migration " INT64_FORMAT ": %u of %u pages, " INT64_FORMAT " rows, " INT64_FORMAT " mismatches",
							m->id, from + VERIFY_PAGES, pages, result->rows, result->wrong)));
			last_notice = GetCurrentTimestamp();
		}
	}
	tail = psprintf("SELECT count(*), count(*) FILTER (WHERE %s) FROM %s AS t"
					" WHERE t.ctid >= $1::tid", wrong.data, m->qualname);
	{
		char	   *args[1] = {psprintf("(%u,0)", pages)};

		mig_exec_args(m, tail, 1, args, ROLE_TABLE_OWNER, InvalidOid);
		result->rows += int8_value(1);
		result->wrong += int8_value(2);
	}

	if (result->wrong > 0)
	{
		initStringInfo(&keysql);
		if (key->ctid)
			appendStringInfoString(&keysql, "t.ctid::text");
		else
			for (int i = 0; i < key->ncols; i++)
				appendStringInfo(&keysql, "%s%s || '=' || t.%s::text", i ? " || ', ' || " : "",
								 quote_literal_cstr(key->names[i]), key->names[i]);
		mig_exec(m, psprintf("SELECT string_agg(k, '; ') FROM (SELECT %s AS k FROM %s AS t WHERE %s LIMIT 5) s",
							 keysql.data, m->qualname, wrong.data),
				 ROLE_TABLE_OWNER, InvalidOid);
		result->sample = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		mig_set_phase(m, psprintf("verify: " INT64_FORMAT " mismatches, e.g. %s",
								  result->wrong, result->sample));
		if (m->state == STATE_VERIFIED)
			mig_set_state(m, STATE_BACKFILLED, m->phase);
		mig_set_error(m, psprintf("verify found " INT64_FORMAT " rows whose new columns disagree with the old ones, e.g. %s",
								  result->wrong, result->sample));
	}
	else
		mig_set_state(m, STATE_VERIFIED, "verify: done");
	mig_audit(m, "verify", mig_phase_steps(m, PHASE_VERIFY, NULL), NULL);
}

PG_FUNCTION_INFO_V1(schemaguard_verify);

/* schemaguard.verify(id) RETURNS TABLE(rows_checked, mismatches, sample) */
Datum
schemaguard_verify(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	VerifyResult result = {0, 0, NULL};
	Migration  *m;
	int			nestlevel;
	int64		id;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};
	static const MigState allowed[] = {STATE_BACKFILLED, STATE_VERIFIED};

	InitMaterializedSRF(fcinfo, 0);
	m = mig_begin_call(fcinfo, "verify", &nestlevel);
	id = m->id;
	mig_require_state(m, "verify", lengthof(allowed), allowed);
	mig_phase(m, "verify", check, &result);
	if (result.wrong > 0)
		ereport(NOTICE,
				(errmsg("migration " INT64_FORMAT " stays backfilled: " INT64_FORMAT " rows disagree",
						id, result.wrong),
				 errhint("CALL schemaguard.backfill(" INT64_FORMAT "); writes them again; then verify again.", id)));
	else
		ereport(NOTICE,
				(errmsg("migration " INT64_FORMAT " is verified", id),
				 errhint("Next: %s", mig_next_call(m))));
	AtEOXact_GUC(true, nestlevel);
	values[0] = Int64GetDatum(result.rows);
	values[1] = Int64GetDatum(result.wrong);
	if (result.sample)
		values[2] = CStringGetTextDatum(result.sample);
	else
		nulls[2] = true;
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	SPI_finish();
	return (Datum) 0;
}

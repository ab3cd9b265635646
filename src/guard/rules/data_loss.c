/*-------------------------------------------------------------------------
 *
 * data_loss.c
 *	  Rule data-loss: DROP TABLE, DROP COLUMN, TRUNCATE or DROP SCHEMA ...
 *	  CASCADE of data that exists (any size: one row is enough), and type
 *	  changes that silently lose information.
 *
 * "Exists" is a visible row in the latest snapshot, not a statistic (of a
 * table whose rows the caller may not read, taken for granted: evidence.c);
 * for DROP COLUMN, a value other than NULL in the column (column_values:
 * read in the null bitmaps of at most 128 MB of heap; statistics are not
 * proof, ANALYZE samples rows and a new column has none).  A
 * type change is lossy when the assignment cast rounds or truncates
 * without an error: a smaller numeric scale, fewer fractional-second
 * digits, float8 to real, a fractional type to an integer, numeric to a
 * float, a timestamp to a date.  A change that raises an error on a value
 * that does not fit (varchar(10) to varchar(5), a numeric precision too
 * small) is not silent, and is not reported here.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/relation.h"
#include "access/tableam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_am.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/rel.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"

#include "guard/guard.h"

/* numeric typmod: scale (PostgreSQL 15 allows negative scales) */
static int
typmod_scale(int32 typmod)
{
	return (((typmod - VARHDRSZ) & 0x7ff) ^ 1024) - 1024;
}

static bool
is_time_type(Oid type)
{
	return type == TIMESTAMPOID || type == TIMESTAMPTZOID || type == TIMEOID ||
		type == TIMETZOID;
}

static bool
is_integer_type(Oid type)
{
	return type == INT2OID || type == INT4OID || type == INT8OID;
}

/* Why converting old to new loses information silently, or NULL. */
static char *
lossy_conversion(Oid oldtype, int32 oldtypmod, Oid newtype, int32 newtypmod)
{
	oldtype = getBaseTypeAndTypmod(oldtype, &oldtypmod);
	newtype = getBaseTypeAndTypmod(newtype, &newtypmod);

	if (oldtype == NUMERICOID && newtype == NUMERICOID && newtypmod >= 0)
	{
		if (oldtypmod < 0)
			return psprintf("an unconstrained numeric is rounded to %d decimal places",
							typmod_scale(newtypmod));
		if (typmod_scale(newtypmod) < typmod_scale(oldtypmod))
			return psprintf("the numeric scale goes from %d to %d decimal places, so values are rounded",
							typmod_scale(oldtypmod), typmod_scale(newtypmod));
		return NULL;
	}
	if (is_time_type(oldtype) && is_time_type(newtype) && newtypmod >= 0)
	{
		int			oldprec = oldtypmod < 0 ? 6 : oldtypmod;

		if (newtypmod < oldprec)
			return psprintf("fractional seconds go from %d to %d digits, so values are rounded",
							oldprec, newtypmod);
		return NULL;
	}
	if (oldtype == FLOAT8OID && newtype == FLOAT4OID)
		return pstrdup("double precision to real keeps about 6 significant digits of 15");
	if ((oldtype == FLOAT4OID || oldtype == FLOAT8OID || oldtype == NUMERICOID) &&
		is_integer_type(newtype))
		return pstrdup("fractional parts are rounded away");
	if (oldtype == NUMERICOID && (newtype == FLOAT4OID || newtype == FLOAT8OID))
		return pstrdup("digits beyond the float's precision are lost");
	if ((oldtype == TIMESTAMPOID || oldtype == TIMESTAMPTZOID) && newtype == DATEOID)
		return pstrdup("the time of day is dropped");
	return NULL;
}

/* The primary key's columns, quoted and comma-separated, or NULL. */
static char *
primary_key_columns(Oid relid)
{
	Relation	pg_constraint = table_open(ConstraintRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	char	   *result = NULL;

	ScanKeyInit(&key, Anum_pg_constraint_conrelid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(relid));
	scan = systable_beginscan(pg_constraint, ConstraintRelidTypidNameIndexId, true,
							  NULL, 1, &key);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tuple);
		bool		isnull;
		Datum		conkey;
		ArrayType  *arr;
		int16	   *attnums;
		StringInfoData buf;

		if (con->contype != CONSTRAINT_PRIMARY)
			continue;
		conkey = heap_getattr(tuple, Anum_pg_constraint_conkey,
							  RelationGetDescr(pg_constraint), &isnull);
		if (isnull)
			break;
		arr = DatumGetArrayTypeP(conkey);
		attnums = (int16 *) ARR_DATA_PTR(arr);
		initStringInfo(&buf);
		for (int i = 0; i < ARR_DIMS(arr)[0]; i++)
			appendStringInfo(&buf, "%s%s", i ? ", " : "",
							 quote_identifier(get_attname(relid, attnums[i], false)));
		result = buf.data;
		break;
	}
	systable_endscan(scan);
	table_close(pg_constraint, AccessShareLock);
	return result;
}

/*
 * Heap read at most, over all the members, to find out whether a dropped
 * column holds any value but NULL: 128 MB, a fraction of a second from
 * the cache.  A longer table is taken to hold values.
 */
#define COLUMN_SCAN_BYTES	((int64) 128 * 1024 * 1024)

/*
 * column_values
 *		Does the column hold a value other than NULL in a row the latest
 *		snapshot sees?  1 yes; 0 no: every row of every member was read; -1
 *		cannot tell (a member locked by someone now, not heap, or longer than
 *		what is left of COLUMN_SCAN_BYTES), taken as yes.  A NOT NULL column, or one added with
 *		a default stored in the catalog (attmissingval), has a value in
 *		every row.  Rows written before the column was added hold no value
 *		for it (their header counts fewer attributes), so for the column a
 *		migration just added and reverts, only rows written since are read
 *		in the tuple's null bitmap; nothing is decoded.
 *
 * The scan takes ACCESS SHARE only if it is free at once, and releases it
 * at once: the DROP waits for its own lock after, as it would anyway.
 */
static int
column_values(GuardRelation *rel, const char *colname)
{
	ListCell   *lc;
	int64		budget = COLUMN_SCAN_BYTES;

	foreach(lc, rel->member_oids)
	{
		Oid			member = lfirst_oid(lc);
		AttrNumber	attnum;
		Relation	r;
		Form_pg_attribute att;
		BlockNumber nblocks;
		Snapshot	snapshot;
		TableScanDesc scan;
		HeapTuple	tuple;
		bool		found = false;

		if (!RELKIND_HAS_STORAGE(get_rel_relkind(member)))
			continue;
		attnum = get_attnum(member, colname);
		if (attnum <= 0)
			continue;
		if (!ConditionalLockRelationOid(member, AccessShareLock))
			return -1;
		r = try_relation_open(member, NoLock);
		if (r == NULL)
		{
			UnlockRelationOid(member, AccessShareLock);
			continue;
		}
		att = TupleDescAttr(RelationGetDescr(r), attnum - 1);
		nblocks = RelationGetNumberOfBlocks(r);
		if (att->attnotnull || (att->atthasmissing && nblocks > 0))
			found = true;
		else if (r->rd_rel->relam != HEAP_TABLE_AM_OID ||
				 (int64) nblocks * BLCKSZ > budget)
		{
			relation_close(r, NoLock);
			UnlockRelationOid(member, AccessShareLock);
			return -1;
		}
		else if (nblocks > 0)
		{
			budget -= (int64) nblocks * BLCKSZ;
			snapshot = RegisterSnapshot(GetLatestSnapshot());
			scan = table_beginscan(r, snapshot, 0, NULL);
			while (!found &&
				   (tuple = heap_getnext(scan, ForwardScanDirection)) != NULL)
			{
				CHECK_FOR_INTERRUPTS();
				found = !heap_attisnull(tuple, attnum, RelationGetDescr(r));
			}
			table_endscan(scan);
			UnregisterSnapshot(snapshot);
		}
		relation_close(r, NoLock);
		UnlockRelationOid(member, AccessShareLock);
		if (found)
			return 1;
	}
	return 0;
}

static char *
approve_sql(void)
{
	return pstrdup("SELECT schemaguard.allow('data-loss', 'why the data may go');");
}

void
rule_data_loss(GuardStatement *st)
{
	ListCell   *lc;

	foreach(lc, st->changes)
	{
		GuardChange *change = lfirst(lc);
		GuardRelation *rel = change->rel;
		char	   *backup;

		if (rel == NULL || rel->is_new ||
			(rel->relkind != RELKIND_RELATION && rel->relkind != RELKIND_PARTITIONED_TABLE))
			continue;
		if (change->kind != CHANGE_DROP_RELATION && change->kind != CHANGE_TRUNCATE &&
			change->kind != CHANGE_DROP_COLUMN && change->kind != CHANGE_ALTER_TYPE)
			continue;
		if (!guard_relation_has_rows(rel))
			continue;
		backup = quote_qualified_identifier(rel->nspname,
											guard_choose_relation_name(rel, NULL, "backup", false));

		switch (change->kind)
		{
			case CHANGE_DROP_RELATION:
			case CHANGE_TRUNCATE:
				{
					const char *verb = change->kind == CHANGE_TRUNCATE ? "TRUNCATE"
						: change->object_name ? "DROP SCHEMA ... CASCADE" : "DROP TABLE";

					guard_add_finding(st, RULE_DATA_LOSS,
									  change->object_name
									  ? psprintf("DROP SCHEMA %s CASCADE deletes the rows of table \"%s.%s\"",
												 change->object_name, rel->nspname, rel->relname)
									  : psprintf("%s deletes the rows of table \"%s.%s\"",
												 verb, rel->nspname, rel->relname),
									  psprintf("%s %s%s cannot be undone once committed.",
											   guard_size_evidence(rel),
											   rel->rows_withheld ? "" : "The table holds rows now; ",
											   verb),
									  psprintf("Keep a copy first, or, if the data may go, approve it for this transaction:\n"
											   "CREATE TABLE %s AS TABLE %s;\n%s",
											   backup, rel->sql_name, approve_sql()));
					break;
				}
			case CHANGE_DROP_COLUMN:
				{
					char	   *key;

					int			values;

					if (change->attnum <= 0)
						break;
					/*
					 * A column holding only NULLs loses nothing (a tool's
					 * revert); whether it does is not for a caller who may
					 * not read the rows to learn (evidence.c).
					 */
					values = rel->rows_withheld ? -1 : column_values(rel, change->colname);
					if (values == 0)
						break;
					key = primary_key_columns(rel->relid);
					guard_add_finding(st, RULE_DATA_LOSS,
									  psprintf("dropping column \"%s\" deletes its values in table \"%s.%s\"",
											   change->colname, rel->nspname, rel->relname),
									  psprintf("%s %s The column's values cannot be read back once the drop is committed.",
											   guard_size_evidence(rel),
											   values > 0 ? "The column holds values other than NULL."
											   : rel->rows_withheld ? "Whether the column holds a value other than NULL is withheld: you may not read the table's rows."
											   : "Whether the column holds a value other than NULL was not read (a table locked by another session now, or longer than 128 MB)."),
									  psprintf("Keep the values first, or, if they may go, approve it for this transaction:\n"
											   "CREATE TABLE %s AS SELECT %s%s%s FROM %s;\n%s",
											   quote_qualified_identifier(rel->nspname,
																		  guard_choose_relation_name(rel, change->colname,
																									 "backup", false)),
											   key ? key : "ctid AS original_ctid",
											   ", ", quote_identifier(change->colname),
											   rel->sql_name, approve_sql()));
					break;
				}
			case CHANGE_ALTER_TYPE:
				{
					Oid			oldtype,
								newtype;
					int32		oldtypmod,
								newtypmod;
					char	   *why;
					char	   *to;

					if (((ColumnDef *) ((AlterTableCmd *) change->node)->def)->raw_default ||
						!guard_type_change_target(change, &oldtype, &oldtypmod,
												  &newtype, &newtypmod) ||
						(why = lossy_conversion(oldtype, oldtypmod, newtype, newtypmod)) == NULL)
						break;
					to = format_type_with_typemod(newtype, newtypmod);
					guard_add_finding(st, RULE_DATA_LOSS,
									  psprintf("changing column \"%s\" of table \"%s.%s\" from %s to %s loses information",
											   change->colname, rel->nspname, rel->relname,
											   format_type_with_typemod(oldtype, oldtypmod), to),
									  psprintf("%s The conversion raises no error: %s.",
											   guard_size_evidence(rel), why),
									  guard_expand_contract_hint(rel, change->colname, to, NULL,
																 "Keep the old values until the new ones are checked"));
					break;
				}
			default:
				break;
		}
	}
}

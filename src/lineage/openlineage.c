/*-------------------------------------------------------------------------
 *
 * openlineage.c
 *	  openlineage_events(): the lineage catalog as OpenLineage run events,
 *	  for DataHub, Marquez, OpenMetadata and the other tools that ingest
 *	  them.
 *
 * One RunEvent (eventType COMPLETE, spec 2-0-2) per view, materialized view
 * and SQL or PL/pgSQL function or procedure, each a job:
 *
 * - a view's inputs are the relations its stored query reads (its rule's
 *   pg_depend entries, so a relation read without naming a column counts
 *   too), its output the view itself, with the columnLineage dataset facet
 *   (spec 1-2-0): each output column's input columns with the usage kinds
 *   mapped to transformations (identity, transformation, aggregation:
 *   DIRECT; conditional on a column: INDIRECT), and the columns that shape
 *   every row (filter, join, group_by, sort, window) in the dataset-level
 *   "dataset" array as INDIRECT;
 * - a function's inputs are the relations its body reads (named by dynamic
 *   SQL too), its outputs the tables it writes.  Its edges attach to the
 *   function as a whole, so which read column flows into which written one
 *   is not known: each output's facet lists the written columns with no
 *   input fields, and the columns that steer the whole function (filter,
 *   join, conditional...) as INDIRECT at dataset level.
 *
 * Functions called (usage call) are not datasets: a call shows as the
 * called function's own job.  Datasets are named as OpenLineage names
 * PostgreSQL tables: namespace postgres://host:port (by default from the
 * server's listen_addresses and port, else its host name), name
 * database.schema.table.  Only what the caller may see is exported: jobs
 * and datasets in schemas without USAGE are left out.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <unistd.h>

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_rewrite.h"
#include "commands/extension.h"
#include "commands/dbcommands.h"
#include "commands/proclang.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "postmaster/postmaster.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/varlena.h"

#include "lineage/internal.h"

#define OL_SCHEMA_URL "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
#define OL_COLUMN_LINEAGE_URL \
	"https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json#/$defs/ColumnLineageDatasetFacet"

/* One stored edge into the job, as the export needs it. */
typedef struct JobEdge
{
	Oid			source_class;
	Oid			source_rel;
	int32		source_att;
	int32		dependent_att;	/* the job's column; 0: the job as a whole */
	LineageUsage usage;
} JobEdge;

/* What is the same for every event of one call. */
typedef struct ExportContext
{
	const char *namespace;
	const char *database;
	const char *producer;
	const char *event_time;
	MemoryContext scratch;		/* reset after each event */
} ExportContext;

/* OpenLineage's transformation of a usage kind; false if it has none. */
static bool
usage_transformation(LineageUsage usage, const char **type, const char **subtype)
{
	static const char *const subtypes[] = {
		[USAGE_IDENTITY] = "IDENTITY",
		[USAGE_TRANSFORMATION] = "TRANSFORMATION",
		[USAGE_AGGREGATION] = "AGGREGATION",
		[USAGE_CONDITIONAL] = "CONDITIONAL",
		[USAGE_FILTER] = "FILTER",
		[USAGE_JOIN] = "JOIN",
		[USAGE_GROUP_BY] = "GROUP_BY",
		[USAGE_SORT] = "SORT",
		[USAGE_WINDOW] = "WINDOW",
	};

	if (usage > USAGE_WINDOW)
		return false;			/* write, call, dynamic */
	*type = USAGE_IS_DIRECT(usage) ? "DIRECT" : "INDIRECT";
	*subtype = subtypes[usage];
	return true;
}

static LineageUsage
usage_from_text(Datum value)
{
	char	   *name = TextDatumGetCString(value);
	int			i;

	for (i = 0; i < LINEAGE_NUM_USAGES; i++)
		if (strcmp(name, lineage_usage_names[i]) == 0)
			return (LineageUsage) i;
	elog(ERROR, "unknown usage \"%s\" in the lineage catalog", name);
	return USAGE_DYNAMIC;		/* keep compiler quiet */
}

/* The caller may see what lies in this schema. */
static bool
schema_visible(Oid nspid)
{
	return OidIsValid(nspid) &&
		pg_namespace_aclcheck(nspid, GetUserId(), ACL_USAGE) == ACLCHECK_OK;
}

static bool
relation_visible(Oid relid)
{
	return schema_visible(get_rel_namespace(relid));
}

/* The edges into an object, in the catalog's order. */
static List *
job_edges(Relation edges, Oid dependent_index, Oid classid, Oid objid)
{
	ScanKeyData keys[2];
	SysScanDesc scan;
	HeapTuple	tuple;
	List	   *result = NIL;

	ScanKeyInit(&keys[0], Anum_edge_dependent_classid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(classid));
	ScanKeyInit(&keys[1], Anum_edge_dependent_objid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(objid));
	scan = systable_beginscan(edges, dependent_index, true,
							  GetActiveSnapshot(), 2, keys);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Datum		values[Natts_lineage_edge];
		bool		nulls[Natts_lineage_edge];
		JobEdge    *e = palloc(sizeof(JobEdge));

		heap_deform_tuple(tuple, RelationGetDescr(edges), values, nulls);
		e->source_class = DatumGetObjectId(values[Anum_edge_source_classid - 1]);
		e->source_rel = DatumGetObjectId(values[Anum_edge_source_objid - 1]);
		e->source_att = DatumGetInt32(values[Anum_edge_source_objsubid - 1]);
		e->dependent_att = DatumGetInt32(values[Anum_edge_dependent_objsubid - 1]);
		e->usage = usage_from_text(values[Anum_edge_usage - 1]);
		result = lappend(result, e);
	}
	systable_endscan(scan);
	return result;
}

/*
 * A source column the caller may see, still there: its name; else NULL.
 * (Edges of dropped objects are ignored, as impact_of() ignores them.)
 */
static char *
source_column(const JobEdge *e)
{
	if (e->source_class != RelationRelationId || e->source_att <= 0 ||
		!relation_visible(e->source_rel))
		return NULL;
	return get_attname(e->source_rel, e->source_att, true);
}

/* Add a relation to a list of relids once (the caller may see it). */
static List *
add_dataset(List *datasets, Oid relid)
{
	if (list_member_oid(datasets, relid) || !OidIsValid(get_rel_namespace(relid)) ||
		!relation_visible(relid))
		return datasets;
	return lappend_oid(datasets, relid);
}

/* The relations a view's stored query reads, from its rule's pg_depend rows. */
static List *
view_reads(Oid viewid)
{
	Relation	depend;
	Relation	rewrite;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	List	   *rules = NIL;
	List	   *relids = NIL;
	ListCell   *lc;

	rewrite = table_open(RewriteRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_rewrite_ev_class, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(viewid));
	scan = systable_beginscan(rewrite, RewriteRelRulenameIndexId, true,
							  NULL, 1, &key);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
		rules = lappend_oid(rules, ((Form_pg_rewrite) GETSTRUCT(tuple))->oid);
	systable_endscan(scan);
	table_close(rewrite, AccessShareLock);

	depend = table_open(DependRelationId, AccessShareLock);
	foreach(lc, rules)
	{
		ScanKeyData keys[2];

		ScanKeyInit(&keys[0], Anum_pg_depend_classid, BTEqualStrategyNumber,
					F_OIDEQ, ObjectIdGetDatum(RewriteRelationId));
		ScanKeyInit(&keys[1], Anum_pg_depend_objid, BTEqualStrategyNumber,
					F_OIDEQ, ObjectIdGetDatum(lfirst_oid(lc)));
		scan = systable_beginscan(depend, DependDependerIndexId, true,
								  NULL, 2, keys);
		while (HeapTupleIsValid(tuple = systable_getnext(scan)))
		{
			Form_pg_depend dep = (Form_pg_depend) GETSTRUCT(tuple);
			char		relkind;

			if (dep->refclassid != RelationRelationId || dep->refobjid == viewid)
				continue;
			relkind = get_rel_relkind(dep->refobjid);
			if (relkind == RELKIND_RELATION || relkind == RELKIND_VIEW ||
				relkind == RELKIND_MATVIEW || relkind == RELKIND_FOREIGN_TABLE ||
				relkind == RELKIND_PARTITIONED_TABLE)
				relids = add_dataset(relids, dep->refobjid);
		}
		systable_endscan(scan);
	}
	table_close(depend, AccessShareLock);
	return relids;
}

static void
json_key(StringInfo buf, const char *key)
{
	escape_json(buf, key);
	appendStringInfoChar(buf, ':');
}

/* {"namespace": ..., "name": ...} without the closing brace */
static void
dataset_start(StringInfo buf, ExportContext *cxt, Oid relid)
{
	appendStringInfoChar(buf, '{');
	json_key(buf, "namespace");
	escape_json(buf, cxt->namespace);
	appendStringInfoChar(buf, ',');
	json_key(buf, "name");
	escape_json(buf, psprintf("%s.%s.%s", cxt->database,
							  get_namespace_name(get_rel_namespace(relid)),
							  get_rel_name(relid)));
}

/* Which edges a list of InputFields is made of. */
typedef enum FieldsOf
{
	FIELDS_OF_COLUMN,			/* into one column of the job */
	FIELDS_SHAPING_ROWS,		/* indirect, into the job as a whole */
	FIELDS_STEERING				/* indirect, anywhere (functions) */
} FieldsOf;

static bool
edge_kept(const JobEdge *e, FieldsOf of, int32 column)
{
	const char *type;
	const char *subtype;

	if (!usage_transformation(e->usage, &type, &subtype))
		return false;
	switch (of)
	{
		case FIELDS_OF_COLUMN:
			return e->dependent_att == column;
		case FIELDS_SHAPING_ROWS:
			return e->dependent_att == 0 && !USAGE_IS_DIRECT(e->usage);
		case FIELDS_STEERING:
			return !USAGE_IS_DIRECT(e->usage);
	}
	return false;
}

/*
 * The InputFields of the edges kept: one entry per source column the
 * caller may see, with one transformation per usage kind.
 */
static void
input_fields(StringInfo buf, ExportContext *cxt, List *edges, FieldsOf of,
			 int32 column)
{
	ListCell   *lc;
	int			n = 0;

	appendStringInfoChar(buf, '[');
	foreach(lc, edges)
	{
		JobEdge    *e = lfirst(lc);
		char	   *field;
		ListCell   *lt;
		bool		seen = false;
		bool		usages[LINEAGE_NUM_USAGES] = {0};
		int			nt = 0;

		if (!edge_kept(e, of, column) || (field = source_column(e)) == NULL)
			continue;
		/* an earlier edge from the same column made the entry */
		foreach(lt, edges)
		{
			JobEdge    *o = lfirst(lt);

			if (o == e)
				break;
			if (o->source_rel == e->source_rel && o->source_att == e->source_att &&
				o->source_class == e->source_class && edge_kept(o, of, column))
			{
				seen = true;
				break;
			}
		}
		if (seen)
			continue;

		if (n++ > 0)
			appendStringInfoChar(buf, ',');
		dataset_start(buf, cxt, e->source_rel);
		appendStringInfoChar(buf, ',');
		json_key(buf, "field");
		escape_json(buf, field);
		appendStringInfoString(buf, ",\"transformations\":[");
		for_each_cell(lt, edges, lc)
		{
			JobEdge    *o = lfirst(lt);
			const char *type;
			const char *subtype;

			if (o->source_class != e->source_class || o->source_rel != e->source_rel ||
				o->source_att != e->source_att || !edge_kept(o, of, column) ||
				usages[o->usage])
				continue;
			usages[o->usage] = true;
			(void) usage_transformation(o->usage, &type, &subtype);
			if (nt++ > 0)
				appendStringInfoChar(buf, ',');
			appendStringInfoString(buf, "{\"type\":");
			escape_json(buf, type);
			appendStringInfoString(buf, ",\"subtype\":");
			escape_json(buf, subtype);
			appendStringInfoString(buf, ",\"masking\":false}");
		}
		appendStringInfoString(buf, "]}");
	}
	appendStringInfoChar(buf, ']');
}

static void
facet_start(StringInfo buf, ExportContext *cxt)
{
	appendStringInfoString(buf, ",\"facets\":{\"columnLineage\":{");
	json_key(buf, "_producer");
	escape_json(buf, cxt->producer);
	appendStringInfoChar(buf, ',');
	json_key(buf, "_schemaURL");
	escape_json(buf, OL_COLUMN_LINEAGE_URL);
	appendStringInfoString(buf, ",\"fields\":{");
}

/* A view's output dataset: the view, its columns' lineage. */
static void
view_output(StringInfo buf, ExportContext *cxt, Oid viewid, List *edges)
{
	AttrNumber *attnums;
	char	  **names;
	int			ncolumns = lineage_relation_attributes(viewid, &attnums, &names);
	int			i;
	int			n = 0;

	dataset_start(buf, cxt, viewid);
	facet_start(buf, cxt);
	for (i = 0; i < ncolumns; i++)
	{
		ListCell   *lc;
		bool		any = false;

		foreach(lc, edges)
		{
			JobEdge    *e = lfirst(lc);

			if (edge_kept(e, FIELDS_OF_COLUMN, attnums[i]) && source_column(e))
				any = true;
		}
		if (!any)
			continue;
		if (n++ > 0)
			appendStringInfoChar(buf, ',');
		json_key(buf, names[i]);
		appendStringInfoString(buf, "{\"inputFields\":");
		input_fields(buf, cxt, edges, FIELDS_OF_COLUMN, attnums[i]);
		appendStringInfoChar(buf, '}');
	}
	appendStringInfoString(buf, "},\"dataset\":");
	input_fields(buf, cxt, edges, FIELDS_SHAPING_ROWS, 0);
	appendStringInfoString(buf, "}}}");
}

/* A function's output: a table it writes, and what steers the function. */
static void
function_output(StringInfo buf, ExportContext *cxt, Oid relid, List *edges)
{
	ListCell   *lc;
	List	   *written = NIL;
	int			n = 0;

	dataset_start(buf, cxt, relid);
	facet_start(buf, cxt);
	foreach(lc, edges)
	{
		JobEdge    *e = lfirst(lc);
		char	   *column;

		if (e->usage != USAGE_WRITE || e->source_rel != relid ||
			list_member_int(written, e->source_att) ||
			(column = source_column(e)) == NULL)
			continue;
		written = lappend_int(written, e->source_att);
		if (n++ > 0)
			appendStringInfoChar(buf, ',');
		json_key(buf, column);
		appendStringInfoString(buf, "{\"inputFields\":[]}");
	}
	appendStringInfoString(buf, "},\"dataset\":");
	input_fields(buf, cxt, edges, FIELDS_STEERING, 0);
	appendStringInfoString(buf, "}}}");
}

/* A version 7 UUID (time-ordered, as OpenLineage recommends for runIds). */
static char *
run_id(void)
{
	uint8		b[16];
	uint64		ms = (uint64) ((GetCurrentTimestamp() / 1000) +
							   (uint64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY * 1000);
	int			i;

	if (!pg_strong_random(b, sizeof(b)))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate random values")));
	for (i = 0; i < 6; i++)
		b[i] = (uint8) (ms >> (40 - 8 * i));
	b[6] = (b[6] & 0x0f) | 0x70;
	b[8] = (b[8] & 0x3f) | 0x80;
	return psprintf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
					b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
					b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

static void
event_start(StringInfo buf, ExportContext *cxt, const char *job)
{
	appendStringInfoString(buf, "{\"eventType\":\"COMPLETE\",");
	json_key(buf, "eventTime");
	escape_json(buf, cxt->event_time);
	appendStringInfoString(buf, ",\"run\":{");
	json_key(buf, "runId");
	escape_json(buf, run_id());
	appendStringInfoString(buf, "},\"job\":{");
	json_key(buf, "namespace");
	escape_json(buf, cxt->namespace);
	appendStringInfoChar(buf, ',');
	json_key(buf, "name");
	escape_json(buf, job);
	appendStringInfoString(buf, "},");
	json_key(buf, "producer");
	escape_json(buf, cxt->producer);
	appendStringInfoChar(buf, ',');
	json_key(buf, "schemaURL");
	escape_json(buf, OL_SCHEMA_URL);
}

static void
inputs(StringInfo buf, ExportContext *cxt, List *relids)
{
	ListCell   *lc;

	appendStringInfoString(buf, ",\"inputs\":[");
	foreach(lc, relids)
	{
		if (foreach_current_index(lc) > 0)
			appendStringInfoChar(buf, ',');
		dataset_start(buf, cxt, lfirst_oid(lc));
		appendStringInfoChar(buf, '}');
	}
	appendStringInfoChar(buf, ']');
}

static char *
view_event(ExportContext *cxt, Relation catalog, Oid dependent_index, Oid viewid)
{
	StringInfoData buf;
	List	   *edges = job_edges(catalog, dependent_index, RelationRelationId, viewid);
	List	   *read = view_reads(viewid);
	ListCell   *lc;

	/* what the edges name but pg_depend does not (none expected) */
	foreach(lc, edges)
	{
		JobEdge    *e = lfirst(lc);

		if (e->source_class == RelationRelationId)
			read = add_dataset(read, e->source_rel);
	}
	initStringInfo(&buf);
	event_start(&buf, cxt, psprintf("%s.%s.%s", cxt->database,
									get_namespace_name(get_rel_namespace(viewid)),
									get_rel_name(viewid)));
	inputs(&buf, cxt, read);
	appendStringInfoString(&buf, ",\"outputs\":[");
	view_output(&buf, cxt, viewid, edges);
	appendStringInfoString(&buf, "]}");
	return buf.data;
}

/*
 * A function's job name, unquoted as OpenLineage names are:
 * database.schema.name(argument types), the types as format_type shows them.
 */
static char *
function_job_name(ExportContext *cxt, Oid funcid)
{
	HeapTuple	tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
	Form_pg_proc form;
	StringInfoData buf;
	int			i;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for function %u", funcid);
	form = (Form_pg_proc) GETSTRUCT(tuple);
	initStringInfo(&buf);
	appendStringInfo(&buf, "%s.%s.%s(", cxt->database,
					 get_namespace_name(form->pronamespace), NameStr(form->proname));
	for (i = 0; i < form->proargtypes.dim1; i++)
		appendStringInfo(&buf, "%s%s", i > 0 ? "," : "",
						 format_type_be(form->proargtypes.values[i]));
	appendStringInfoChar(&buf, ')');
	ReleaseSysCache(tuple);
	return buf.data;
}

static char *
function_event(ExportContext *cxt, Relation catalog, Oid dependent_index,
			   Oid funcid)
{
	StringInfoData buf;
	List	   *edges = job_edges(catalog, dependent_index, ProcedureRelationId, funcid);
	List	   *read = NIL;
	List	   *written = NIL;
	ListCell   *lc;

	foreach(lc, edges)
	{
		JobEdge    *e = lfirst(lc);

		if (e->source_class != RelationRelationId)
			continue;
		if (e->usage == USAGE_WRITE)
			written = add_dataset(written, e->source_rel);
		else
			read = add_dataset(read, e->source_rel);
	}
	initStringInfo(&buf);
	event_start(&buf, cxt, function_job_name(cxt, funcid));
	inputs(&buf, cxt, read);
	appendStringInfoString(&buf, ",\"outputs\":[");
	foreach(lc, written)
	{
		if (foreach_current_index(lc) > 0)
			appendStringInfoChar(&buf, ',');
		function_output(&buf, cxt, lfirst_oid(lc), edges);
	}
	appendStringInfoString(&buf, "]}");
	return buf.data;
}

/*
 * The default namespace, postgres://host:port: the first address the
 * server listens on that names this machine to others (not a wildcard,
 * not loopback), else the machine's host name; the server's port.
 */
static char *
default_namespace(void)
{
	const char *setting = GetConfigOption("listen_addresses", true, false);
	char	   *rawstring = pstrdup(setting ? setting : "");
	List	   *addresses;
	ListCell   *lc;
	char		host[256];

	if (SplitGUCList(rawstring, ',', &addresses))
	{
		foreach(lc, addresses)
		{
			const char *a = lfirst(lc);

			if (strcmp(a, "*") == 0 || strcmp(a, "0.0.0.0") == 0 ||
				strcmp(a, "::") == 0 || pg_strcasecmp(a, "localhost") == 0 ||
				strncmp(a, "127.", 4) == 0 || strcmp(a, "::1") == 0 || a[0] == '\0')
				continue;
			if (strchr(a, ':') != NULL)
				return psprintf("postgres://[%s]:%d", a, PostPortNumber);
			return psprintf("postgres://%s:%d", a, PostPortNumber);
		}
	}
	if (gethostname(host, sizeof(host)) != 0)
		strlcpy(host, "localhost", sizeof(host));
	host[sizeof(host) - 1] = '\0';
	return psprintf("postgres://%s:%d", host, PostPortNumber);
}

/* urn:schemaguard:<installed version> */
static char *
producer(void)
{
	Oid			extoid = get_extension_oid("schemaguard", false);
	Relation	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	char	   *version = NULL;

	ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(extoid));
	scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
	tuple = systable_getnext(scan);
	if (HeapTupleIsValid(tuple))
	{
		bool		isnull;
		Datum		value = heap_getattr(tuple, Anum_pg_extension_extversion,
										 RelationGetDescr(rel), &isnull);

		if (!isnull)
			version = TextDatumGetCString(value);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return psprintf("urn:schemaguard:%s", version ? version : "unknown");
}

/* ISO 8601 in UTC, microseconds: the time the transaction started. */
static char *
event_time(void)
{
	struct pg_tm tm;
	fsec_t		fsec;

	if (timestamp2tm(GetCurrentTransactionStartTimestamp(), NULL, &tm, &fsec,
					 NULL, NULL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));
	return psprintf("%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
					tm.tm_year, tm.tm_mon, tm.tm_mday,
					tm.tm_hour, tm.tm_min, tm.tm_sec, (int) fsec);
}

/* The jobs: views, materialized views, SQL and PL/pgSQL routines. */
static bool
exported(const ObjectAddress *object)
{
	if (object->classId == RelationRelationId)
	{
		char		relkind = get_rel_relkind(object->objectId);

		return (relkind == RELKIND_VIEW || relkind == RELKIND_MATVIEW) &&
			relation_visible(object->objectId);
	}
	if (object->classId == ProcedureRelationId)
	{
		HeapTuple	tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(object->objectId));
		bool		result = false;

		if (HeapTupleIsValid(tuple))
		{
			Form_pg_proc form = (Form_pg_proc) GETSTRUCT(tuple);
			char	   *language = get_language_name(form->prolang, true);

			result = language &&
				(strcmp(language, "sql") == 0 || strcmp(language, "plpgsql") == 0) &&
				schema_visible(form->pronamespace);
			ReleaseSysCache(tuple);
		}
		return result;
	}
	return false;
}

typedef struct Job
{
	ObjectAddress object;
	char	   *identity;
} Job;

static int
compare_jobs(const ListCell *a, const ListCell *b)
{
	return strcmp(((Job *) lfirst(a))->identity, ((Job *) lfirst(b))->identity);
}

PG_FUNCTION_INFO_V1(schemaguard_openlineage_events);

/*
 * openlineage_events(namespace text) : one OpenLineage RunEvent per view,
 * materialized view and SQL or PL/pgSQL routine the caller may see, in
 * the order of their identities.
 */
Datum
schemaguard_openlineage_events(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ExportContext cxt;
	Oid			table,
				source_index,
				dependent_index;
	Relation	catalog;
	List	   *jobs = NIL;
	ListCell   *lc;
	MemoryContext oldcxt;

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	if (PG_ARGISNULL(0))
		cxt.namespace = default_namespace();
	else
	{
		cxt.namespace = text_to_cstring(PG_GETARG_TEXT_PP(0));
		if (cxt.namespace[0] == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("namespace must not be empty"),
					 errhint("Pass NULL for postgres://host:port of this server, or the namespace your lineage tool knows this server by.")));
	}
	cxt.database = get_database_name(MyDatabaseId);
	cxt.producer = producer();
	cxt.event_time = event_time();
	cxt.scratch = AllocSetContextCreate(CurrentMemoryContext,
										"schemaguard openlineage event",
										ALLOCSET_DEFAULT_SIZES);

	foreach(lc, lineage_all_objects())
	{
		ObjectAddress *object = lfirst(lc);
		Job		   *job;

		if (!exported(object))
			continue;
		job = palloc(sizeof(Job));
		job->object = *object;
		job->identity = getObjectIdentity(object, false);
		jobs = lappend(jobs, job);
	}
	list_sort(jobs, compare_jobs);

	lineage_require_catalog(&table, &source_index, &dependent_index);
	catalog = table_open(table, AccessShareLock);
	foreach(lc, jobs)
	{
		Job		   *job = lfirst(lc);
		char	   *json;
		Datum		value;
		bool		isnull = false;

		CHECK_FOR_INTERRUPTS();
		oldcxt = MemoryContextSwitchTo(cxt.scratch);
		json = job->object.classId == RelationRelationId
			? view_event(&cxt, catalog, dependent_index, job->object.objectId)
			: function_event(&cxt, catalog, dependent_index, job->object.objectId);
		value = DirectFunctionCall1(jsonb_in, CStringGetDatum(json));
		MemoryContextSwitchTo(oldcxt);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &value, &isnull);
		MemoryContextReset(cxt.scratch);
	}
	table_close(catalog, AccessShareLock);
	return (Datum) 0;
}

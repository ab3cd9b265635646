/*-------------------------------------------------------------------------
 *
 * registry.c
 *	  The registry of the guard's rules: their stable ids, their default
 *	  severities, the function that checks each, the per-rule severity that
 *	  administrators set in schemaguard.rule_config (and the cache of it),
 *	  and the statements in which no rule can find anything.
 *
 * Adding a rule: a GuardRuleId in guard.h, one line in the table below, its
 * file rules/<name>.c, its row in the install script, its tests and docs;
 * and if it can find something in a plain ADD COLUMN, guard_nothing_to_judge
 * must say so.
 *
 * The severities are read from rule_config once, then kept until the table
 * changes.  Changing a user table's rows sends no invalidation, so the
 * table's triggers send one: rule_config_changed() runs before each row is
 * inserted, updated or deleted and before a TRUNCATE, in every
 * session_replication_role (ENABLE ALWAYS), and invalidates the table's
 * relcache entry.  This backend acts on that at its next command (its own
 * change applies to its next statement), other backends once the change
 * commits, and a rollback replays it here only.  Pending invalidations are
 * read before the cache is used, so a change another session committed
 * applies to the next statement even within an open transaction.  While the
 * triggers are missing, disabled or changed, the table is read for every
 * statement, as it always was.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "catalog/pg_language.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "guard/guard.h"

typedef struct GuardRule
{
	const char *id;
	GuardSeverity default_severity;
	void		(*check) (GuardStatement *st);
} GuardRule;

/* In GuardRuleId order: lock-timeout last, it reads the others' findings. */
static const GuardRule rules[GUARD_NUM_RULES] = {
	{"breaks-dependents", SEVERITY_ERROR, rule_breaks_dependents},
	{"table-rewrite", SEVERITY_ERROR, rule_table_rewrite},
	{"full-scan-under-lock", SEVERITY_ERROR, rule_full_scan_under_lock},
	{"blocking-index-build", SEVERITY_ERROR, rule_blocking_index_build},
	{"data-loss", SEVERITY_ERROR, rule_data_loss},
	{"lock-timeout", SEVERITY_WARNING, rule_lock_timeout},
};

PG_FUNCTION_INFO_V1(schemaguard_rule_config_changed);

/* The C symbol of schemaguard.rule_config_changed(). */
#define CONFIG_TRIGGER_SYMBOL "schemaguard_rule_config_changed"

/*
 * The severities in force for the statement being judged.  They are the
 * rows of rule_config as of severities_relid's last invalidation while
 * severities_valid; severities_generation counts invalidations, so that
 * one arriving while the table is read leaves the result unkept.
 */
static GuardSeverity severities[GUARD_NUM_RULES];
static bool severities_valid = false;
static Oid	severities_relid = InvalidOid;
static uint64 severities_generation = 0;

const char *
guard_rule_name(GuardRuleId rule)
{
	return rules[rule].id;
}

int
guard_rule_by_name(const char *name)
{
	for (int i = 0; i < GUARD_NUM_RULES; i++)
		if (strcmp(rules[i].id, name) == 0)
			return i;
	return -1;
}

const char *
guard_severity_name(GuardSeverity severity)
{
	switch (severity)
	{
		case SEVERITY_ERROR:
			return "error";
		case SEVERITY_WARNING:
			return "warning";
		default:
			return "off";
	}
}

/*
 * forget_severities
 *		Relcache invalidation callback: rule_config changed (or was
 *		dropped), or every relation did (InvalidOid: a cache reset).
 */
static void
forget_severities(Datum arg, Oid relid)
{
	if (!OidIsValid(relid) || relid == severities_relid)
	{
		severities_valid = false;
		severities_generation++;
	}
}

/*
 * forget_severities_function
 *		Syscache invalidation callback: a function changed, maybe the one
 *		the triggers of rule_config call (CREATE OR REPLACE sends no
 *		invalidation of the table).
 */
static void
forget_severities_function(Datum arg, int cacheid, uint32 hashvalue)
{
	severities_valid = false;
	severities_generation++;
}

void
guard_rules_init(void)
{
	CacheRegisterRelcacheCallback(forget_severities, (Datum) 0);
	CacheRegisterSyscacheCallback(PROCOID, forget_severities_function, (Datum) 0);
}

/* Is funcoid schemaguard.rule_config_changed(), this library's C function? */
static bool
is_config_trigger_function(Oid funcoid)
{
	HeapTuple	tuple;
	Form_pg_proc proc;
	Datum		prosrc;
	bool		isnull;
	bool		result = false;

	tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcoid));
	if (!HeapTupleIsValid(tuple))
		return false;
	proc = (Form_pg_proc) GETSTRUCT(tuple);
	if (proc->prolang == ClanguageId)
	{
		prosrc = SysCacheGetAttr(PROCOID, tuple, Anum_pg_proc_prosrc, &isnull);
		if (!isnull)
		{
			char	   *symbol = TextDatumGetCString(prosrc);

			result = (strcmp(symbol, CONFIG_TRIGGER_SYMBOL) == 0);
			pfree(symbol);
		}
	}
	ReleaseSysCache(tuple);
	return result;
}

/*
 * config_changes_invalidate
 *		Does every change to rule_config's rows send an invalidation?  Its
 *		triggers must call rule_config_changed() before each row inserted,
 *		updated (any column) or deleted, and before a TRUNCATE, without a
 *		WHEN condition, enabled ALWAYS.
 */
static bool
config_changes_invalidate(Relation rel)
{
	const int16 all_events = TRIGGER_TYPE_INSERT | TRIGGER_TYPE_UPDATE |
		TRIGGER_TYPE_DELETE | TRIGGER_TYPE_TRUNCATE;
	int16		covered = 0;

	if (rel->trigdesc == NULL)
		return false;
	for (int i = 0; i < rel->trigdesc->numtriggers; i++)
	{
		Trigger    *trigger = &rel->trigdesc->triggers[i];

		if (trigger->tgenabled != TRIGGER_FIRES_ALWAYS ||
			!TRIGGER_FOR_BEFORE(trigger->tgtype) ||
			trigger->tgnattr != 0 || trigger->tgqual != NULL ||
			!is_config_trigger_function(trigger->tgfoid))
			continue;
		if (TRIGGER_FOR_ROW(trigger->tgtype))
			covered |= trigger->tgtype & (TRIGGER_TYPE_INSERT | TRIGGER_TYPE_UPDATE |
										  TRIGGER_TYPE_DELETE);
		else
			covered |= trigger->tgtype & TRIGGER_TYPE_TRUNCATE;
	}
	return covered == all_events;
}

/*
 * load_severities
 *		The defaults, overridden by the rows of schemaguard.rule_config (a
 *		handful of rows: a sequential scan under the latest snapshot), unless
 *		they are known already.
 */
static void
load_severities(void)
{
	Oid			nspid;
	Oid			relid;
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tuple;
	Snapshot	snapshot;
	uint64		generation;
	bool		keep;

	/* changes committed since this backend last looked drop the cache */
	AcceptInvalidationMessages();
	if (severities_valid)
		return;

	for (int i = 0; i < GUARD_NUM_RULES; i++)
		severities[i] = rules[i].default_severity;
	nspid = get_namespace_oid("schemaguard", true);
	relid = OidIsValid(nspid) ? get_relname_relid("rule_config", nspid) : InvalidOid;
	if (!OidIsValid(relid))
		return;
	/* from here on, an invalidation of the table counts */
	severities_relid = relid;
	generation = severities_generation;
	rel = table_open(relid, AccessShareLock);
	keep = config_changes_invalidate(rel);
	snapshot = RegisterSnapshot(GetLatestSnapshot());
	scan = table_beginscan(rel, snapshot, 0, NULL);
	while ((tuple = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		bool		isnull[2];
		Datum		rule = heap_getattr(tuple, 1, RelationGetDescr(rel), &isnull[0]);
		Datum		severity = heap_getattr(tuple, 2, RelationGetDescr(rel), &isnull[1]);
		int			r;
		char	   *s;

		if (isnull[0] || isnull[1])
			continue;
		r = guard_rule_by_name(TextDatumGetCString(rule));
		s = TextDatumGetCString(severity);
		if (r < 0)
			continue;
		severities[r] = strcmp(s, "error") == 0 ? SEVERITY_ERROR
			: strcmp(s, "warning") == 0 ? SEVERITY_WARNING : SEVERITY_OFF;
	}
	table_endscan(scan);
	UnregisterSnapshot(snapshot);
	table_close(rel, AccessShareLock);

	/* kept until rule_config's next invalidation, unless one came meanwhile */
	if (keep && generation == severities_generation)
		severities_valid = true;
}

/*
 * schemaguard.rule_config_changed()
 *		Trigger on schemaguard.rule_config: the table's rows are about to
 *		change, so every backend's cached severities must go (see the top of
 *		this file).  Returns the row, unchanged.
 */
Datum
schemaguard_rule_config_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" was not called by trigger manager",
						"rule_config_changed")));
	CacheInvalidateRelcacheByRelid(RelationGetRelid(trigdata->tg_relation));
	if (!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event))
		return PointerGetDatum(NULL);
	if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		return PointerGetDatum(trigdata->tg_newtuple);
	return PointerGetDatum(trigdata->tg_trigtuple);
}

void
guard_add_finding(GuardStatement *st, GuardRuleId rule, char *message,
				  char *detail, char *hint)
{
	GuardFinding *f;

	if (severities[rule] == SEVERITY_OFF)
		return;
	f = palloc0(sizeof(GuardFinding));
	f->rule = rule;
	f->severity = severities[rule];
	f->message = message;
	f->detail = detail;
	f->hint = hint;
	st->findings = lappend(st->findings, f);
}

/*
 * guard_add_note
 *		A finding that is no verdict -- the guard cannot judge without
 *		running user code, or withholds evidence from the caller -- at the
 *		rule's severity but never above warning: it never blocks.
 */
void
guard_add_note(GuardStatement *st, GuardRuleId rule, char *message,
			   char *detail, char *hint)
{
	GuardFinding *f;

	guard_add_finding(st, rule, message, detail, hint);
	if (st->findings == NIL)
		return;
	f = llast(st->findings);
	if (f->rule == rule && f->message == message && f->severity > SEVERITY_WARNING)
		f->severity = SEVERITY_WARNING;
}

/*
 * plain_column_type
 *		Is a new column's declared type known to be neither a domain, nor
 *		serial, nor %TYPE?  Looked up as LookupTypeName() does, but never
 *		with an error: a schema the user may not use is looked in all the
 *		same (the command then fails on its own), and anything unusual or
 *		not found answers no.
 */
static bool
plain_column_type(TypeName *typename)
{
	char	   *schemaname;
	char	   *typname;
	Oid			typid;

	if (typename->names == NIL || typename->pct_type || typename->setof ||
		list_length(typename->names) > 2)
		return false;
	if (list_length(typename->names) == 1)
	{
		static const char *const serials[] = {"smallserial", "serial2", "serial",
		"serial4", "bigserial", "serial8"};

		typname = strVal(linitial(typename->names));
		for (int i = 0; i < lengthof(serials); i++)
			if (strcmp(typname, serials[i]) == 0)
				return false;
	}
	if (typename->arrayBounds != NIL)
		return true;			/* an array type is never a domain */
	schemaname = list_length(typename->names) == 2
		? strVal(linitial(typename->names)) : NULL;
	typname = strVal(llast(typename->names));
	if (schemaname == NULL)
		typid = TypenameGetTypid(typname);
	else
	{
		Oid			nspid = get_namespace_oid(schemaname, true);

		typid = OidIsValid(nspid)
			? GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
							  PointerGetDatum(typname), ObjectIdGetDatum(nspid))
			: InvalidOid;
	}
	return OidIsValid(typid) && get_typtype(typid) != TYPTYPE_DOMAIN;
}

/*
 * guard_nothing_to_judge
 *		True for a statement in which no rule can find anything, whatever
 *		the table: an ALTER TABLE that only adds plain columns -- no
 *		default, no constraint, not serial, identity or generated, of a type
 *		that is not a domain -- run with a lock_timeout.  PostgreSQL stores
 *		such a column in the catalog only, without a rewrite or a scan, and
 *		the lock-timeout rule looks only at statements run without a
 *		timeout.  The hook leaves these statements alone, without a
 *		subtransaction or any evidence: the commonest step of a migration
 *		costs it this test only.  A rule that could find something in such
 *		a statement must narrow this test; guard_cache.sql checks that
 *		check_ddl(), which judges them all the same, finds nothing in them.
 */
bool
guard_nothing_to_judge(Node *parsetree, int lock_timeout_ms)
{
	AlterTableStmt *stmt;
	ListCell   *lc;

	if (lock_timeout_ms == 0 || !IsA(parsetree, AlterTableStmt))
		return false;
	stmt = (AlterTableStmt *) parsetree;
	if (stmt->objtype != OBJECT_TABLE || stmt->cmds == NIL)
		return false;
	foreach(lc, stmt->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);
		ColumnDef  *def;

		if (cmd->subtype != AT_AddColumn || cmd->def == NULL ||
			!IsA(cmd->def, ColumnDef))
			return false;
		def = (ColumnDef *) cmd->def;
		if (def->constraints != NIL || def->raw_default != NULL ||
			def->cooked_default != NULL || def->identity != '\0' ||
			def->generated != '\0' || def->is_not_null ||
			def->typeName == NULL || !plain_column_type(def->typeName))
			return false;
	}
	return true;
}

/*
 * guard_judge
 *		Fill st->findings: what the statement would do, checked by every
 *		rule that is not off.
 */
void
guard_judge(GuardStatement *st)
{
	bool		any = false;

	st->rule_running = -1;
	load_severities();
	for (int i = 0; i < GUARD_NUM_RULES; i++)
		any |= (severities[i] != SEVERITY_OFF);
	if (!any)
		return;
	guard_collect_changes(st);
	for (int i = 0; i < GUARD_NUM_RULES && st->changes != NIL; i++)
	{
		st->rule_running = i;
		if (severities[i] != SEVERITY_OFF)
			rules[i].check(st);
	}
	st->rule_running = -1;
	guard_withheld_note(st);
	guard_name_lock_holders(st);
	guard_plan_hints(st);
}

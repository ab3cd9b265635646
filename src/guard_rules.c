/*-------------------------------------------------------------------------
 *
 * guard_rules.c
 *	  The registry of the guard's rules: their stable ids, their default
 *	  severities, the function that checks each, and the per-rule severity
 *	  that administrators set in schemaguard.rule_config.
 *
 * Adding a rule: a GuardRuleId in guard.h, one line in the table below, its
 * file rule_<name>.c, its row in the install script, its tests and docs.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "guard.h"

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

/* The severities in force for the statement being judged. */
static GuardSeverity severities[GUARD_NUM_RULES];

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
 * load_severities
 *		The defaults, overridden by the rows of schemaguard.rule_config (a
 *		handful of rows: a sequential scan under the latest snapshot).
 */
static void
load_severities(void)
{
	Oid			nspid = get_namespace_oid("schemaguard", true);
	Oid			relid = OidIsValid(nspid) ? get_relname_relid("rule_config", nspid) : InvalidOid;
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tuple;
	Snapshot	snapshot;

	for (int i = 0; i < GUARD_NUM_RULES; i++)
		severities[i] = rules[i].default_severity;
	if (!OidIsValid(relid))
		return;
	rel = table_open(relid, AccessShareLock);
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
 * guard_judge
 *		Fill st->findings: what the statement would do, checked by every
 *		rule that is not off.
 */
void
guard_judge(GuardStatement *st)
{
	bool		any = false;

	load_severities();
	for (int i = 0; i < GUARD_NUM_RULES; i++)
		any |= (severities[i] != SEVERITY_OFF);
	if (!any)
		return;
	guard_collect_changes(st);
	if (st->changes == NIL)
		return;
	for (int i = 0; i < GUARD_NUM_RULES; i++)
	{
		if (severities[i] != SEVERITY_OFF)
			rules[i].check(st);
	}
}

/*-------------------------------------------------------------------------
 *
 * hook.c
 *	  Where the DDL guard meets the server: the ProcessUtility hook that
 *	  judges each DDL statement before it runs, the ddl_command_start event
 *	  trigger that stands in for the hook in a session whose library is not
 *	  loaded yet, the decision (block, warn, allowed by override) and
 *	  schemaguard.allow().  The settings it obeys are registered in
 *	  schemaguard.c.
 *
 * No shared_preload_libraries entry is needed.  The library is loaded in a
 * session by its first schemaguard function or event trigger call; from
 * then on the hook sees every utility statement (psql, the extended
 * protocol, EXECUTE in functions and DO blocks alike).  The first DDL
 * command of a session loads it through the ddl_command_start event
 * trigger, which judges that command itself.  TRUNCATE, VACUUM, CLUSTER
 * and REINDEX fire no event trigger in PostgreSQL 15: they are judged once
 * the library is loaded in the session -- by any earlier DDL or schemaguard
 * call, or at connection with session_preload_libraries (README).
 *
 * DML never reaches this file: only utility statements call the hook, and
 * of those only the kinds a rule looks at (guard_statement_relevant) cost
 * more than a tag test.  Of those, a statement in which no rule can find
 * anything (guard_nothing_to_judge: a plain ADD COLUMN run with a
 * lock_timeout) costs a look at the parse tree and its type; whether the
 * extension exists is kept between statements (extension_exists, below),
 * as are the severities (registry.c).  Judging runs in a subtransaction
 * that is always rolled back, and runs no code users wrote (user_code.c):
 * an error while judging (a type or column that does not exist) leaves
 * the command to fail or succeed on its own.  The statements a migration
 * runs itself (migrate/migrate.h) are not judged.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/event_trigger.h"
#include "commands/extension.h"
#include "parser/parser.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/queryjumble.h"
#include "utils/regproc.h"
#include "utils/resowner.h"
#include "utils/syscache.h"

#include "guard/guard.h"
#include "guard/predict.h"
#include "lineage/lineage.h"
#include "migrate/migrate.h"

PG_FUNCTION_INFO_V1(schemaguard_on_ddl_command_start);
PG_FUNCTION_INFO_V1(schemaguard_allow);

/* The role whose members may call schemaguard.allow(). */
#define APPROVER_ROLE "schemaguard_approver"

static ProcessUtility_hook_type prev_ProcessUtility = NULL;

/* >0 while a statement that went through the hook runs. */
static int	hook_depth = 0;

/* Overrides granted by schemaguard.allow() in the current transaction. */
typedef struct Override
{
	GuardRuleId rule;
	char	   *reason;
	SubTransactionId subid;		/* the subtransaction that made it */
} Override;

static List *overrides = NIL;	/* in TopTransactionContext */
static LocalTransactionId overrides_lxid = InvalidLocalTransactionId;

/*
 * Whether the extension exists in this database: -1 not known, 0 no, 1 yes.
 * pg_extension has no syscache and its rows send no invalidation, but
 * creating or dropping this extension creates or drops its functions, whose
 * pg_proc rows do.  So the answer is kept until any function of the
 * database is created, changed or dropped (or the caches are reset).
 */
static int	extension_exists = -1;

static void guard_process_utility(PlannedStmt *pstmt, const char *queryString,
								  bool readOnlyTree, ProcessUtilityContext context,
								  ParamListInfo params, QueryEnvironment *queryEnv,
								  DestReceiver *dest, QueryCompletion *qc);
static void overrides_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
									   SubTransactionId parentSubid, void *arg);

/* Syscache invalidation callback: a function changed, maybe the extension did. */
static void
forget_extension(Datum arg, int cacheid, uint32 hashvalue)
{
	extension_exists = -1;
}

/* Library load (schemaguard.c): the callbacks and the hook. */
void
guard_init(void)
{
	RegisterSubXactCallback(overrides_subxact_callback, NULL);
	CacheRegisterSyscacheCallback(PROCOID, forget_extension, (Datum) 0);
	guard_rules_init();
	guard_sessions_init();

	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = guard_process_utility;
}

/*
 * overrides_subxact_callback
 *		An allow() made in a subtransaction that rolls back (ROLLBACK TO
 *		SAVEPOINT, an exception caught in PL/pgSQL) is undone with it; one
 *		made in a subtransaction that commits belongs to its parent.
 */
static void
overrides_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						   SubTransactionId parentSubid, void *arg)
{
	ListCell   *lc;

	if (overrides == NIL || overrides_lxid != MyProc->lxid)
		return;
	foreach(lc, overrides)
	{
		Override   *o = lfirst(lc);

		if (o->subid != mySubid)
			continue;
		if (event == SUBXACT_EVENT_COMMIT_SUB)
			o->subid = parentSubid;
		else if (event == SUBXACT_EVENT_ABORT_SUB)
			overrides = foreach_delete_current(overrides, lc);
	}
}

/*
 * guard_end_failed_subtransaction
 *		In a PG_CATCH of work done in an internal subtransaction begun in
 *		cxt under owner: roll the subtransaction back and return the error,
 *		unless it is a cancel or a shutdown, which goes on.
 */
ErrorData *
guard_end_failed_subtransaction(MemoryContext cxt, ResourceOwner owner)
{
	ErrorData  *edata;

	MemoryContextSwitchTo(cxt);
	edata = CopyErrorData();
	FlushErrorState();
	RollbackAndReleaseCurrentSubTransaction();
	MemoryContextSwitchTo(cxt);
	CurrentResourceOwner = owner;
	if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED ||
		edata->sqlerrcode == ERRCODE_ADMIN_SHUTDOWN)
		ReThrowError(edata);
	return edata;
}

/*
 * guard_judge_safely
 *		guard_judge() in a subtransaction that is always rolled back, so
 *		that nothing judging did stays; with the trap of user_code.c armed,
 *		so that it runs no code users wrote.  An error while judging leaves
 *		no finding (it is logged at DEBUG1), except a cancel, which goes
 *		on, and the trap, which leaves a note that the rule it stopped
 *		cannot judge without running user code.  names: a dry run's table
 *		names as the script has left them so far, updated with this
 *		statement's.
 */
void
guard_judge_safely(GuardStatement *st, List **names)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	volatile bool armed = false;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		guard_trap_begin();
		armed = true;
		if (guard_statement_relevant(st->parsetree))
			guard_judge(st);
		if (names)
			guard_script_note(st, names);
		armed = false;
		guard_trap_end();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		Oid			trapped = guard_trapped_function();
		int			rule = st->rule_running;
		ErrorData  *edata;

		if (armed)
			guard_trap_end();
		edata = guard_end_failed_subtransaction(cxt, owner);
		ereport(DEBUG1,
				(errmsg_internal("schemaguard could not judge the statement: %s",
								 edata->message)));
		if (OidIsValid(trapped) && rule >= 0)
			guard_add_note(st, rule,
						   pstrdup("cannot judge this statement without running user code"),
						   psprintf("Judging the statement would call function %s, which the guard never runs: the statement's own expressions and the constraints it meets are judged from their definitions only.",
									format_procedure_qualified(trapped)),
						   NULL);
		else
		{
			st->changes = NIL;
			st->findings = NIL;
		}
	}
	PG_END_TRY();
}

const char *
guard_override_reason(GuardRuleId rule)
{
	ListCell   *lc;

	if (overrides_lxid != MyProc->lxid)
		return NULL;
	foreach(lc, overrides)
	{
		Override   *o = lfirst(lc);

		if (o->rule == rule)
			return o->reason;
	}
	return NULL;
}

static void
report(int elevel, GuardFinding *f, const char *override_reason)
{
	const char *id = guard_rule_name(f->rule);

	if (override_reason)
		ereport(elevel,
				(errmsg("%s: %s", id, f->message),
				 errdetail("%s", f->detail),
				 errhint("Allowed in this transaction by schemaguard.allow('%s'): %s",
						 id, override_reason)));
	else
		ereport(elevel,
				(errcode(elevel == ERROR ? ERRCODE_SCHEMAGUARD_BLOCKED : ERRCODE_WARNING),
				 errmsg("%s: %s", id, f->message),
				 errdetail("%s", f->detail),
				 f->hint ? errhint("%s", f->hint) : 0));
}

/* Messages of a blocked statement shown in its errmsg; the rest are counted. */
#define BLOCKING_MESSAGES_SHOWN 3

/*
 * report_blocked
 *		The one ERROR of a blocked statement, carrying every finding that
 *		blocks it: most clients show the ERROR only (no WARNING, no NOTICE),
 *		so a second rule must not wait for the first to be fixed.  errmsg
 *		names every rule, errdetail gives each finding's evidence, errhint
 *		each distinct way forward, rule by rule.  One finding keeps the
 *		form of report().
 */
static void
report_blocked(List *blocking)
{
	StringInfoData ids;
	StringInfoData messages;
	StringInfoData detail;
	StringInfoData hint;
	List	   *hints = NIL;
	char	   *plan_hint = NULL;
	ListCell   *lc;
	int			n = list_length(blocking);

	if (n == 1)
		report(ERROR, linitial(blocking), NULL);

	initStringInfo(&ids);
	initStringInfo(&messages);
	initStringInfo(&detail);
	initStringInfo(&hint);
	for (int rule = 0; rule < GUARD_NUM_RULES; rule++)
	{
		foreach(lc, blocking)
		{
			if (((GuardFinding *) lfirst(lc))->rule == rule)
			{
				appendStringInfo(&ids, "%s%s", ids.len ? ", " : "", guard_rule_name(rule));
				break;
			}
		}
	}
	foreach(lc, blocking)
	{
		GuardFinding *f = lfirst(lc);
		const char *id = guard_rule_name(f->rule);
		int			i = foreach_current_index(lc);
		char	   *own_hint = f->hint ? pstrdup(f->hint) : NULL;
		char	   *plan;

		if (i < BLOCKING_MESSAGES_SHOWN)
			appendStringInfo(&messages, "%s%s", i ? "; " : "", f->message);
		else if (i == BLOCKING_MESSAGES_SHOWN)
			appendStringInfo(&messages, "; and %d more", n - BLOCKING_MESSAGES_SHOWN);
		appendStringInfo(&detail, "%s%s: %s", i ? "\n" : "", id, f->detail);

		/*
		 * The migration that carries the statement out is the same whichever
		 * rule offers it: shown once, last, not after each rule's hint.
		 */
		if (own_hint && (plan = strstr(own_hint, GUARD_PLAN_HINT_START)) != NULL)
		{
			if (plan_hint == NULL)
				plan_hint = pstrdup(plan + 1);
			*plan = '\0';
		}
		if (own_hint && !list_member(hints, makeString(own_hint)))
		{
			hints = lappend(hints, makeString(own_hint));
			appendStringInfo(&hint, "%s%s: %s", hint.len ? "\n" : "", id, own_hint);
		}
	}
	if (plan_hint)
		appendStringInfo(&hint, "\n%s", plan_hint);
	ereport(ERROR,
			(errcode(ERRCODE_SCHEMAGUARD_BLOCKED),
			 errmsg("%s: %s", ids.data, messages.data),
			 errdetail("%s", detail.data),
			 hint.len ? errhint("Each rule's way forward:\n%s", hint.data) : 0));
}

/*
 * enforce
 *		Act on the findings: in enforce mode the findings at severity error
 *		that no override allows block the statement, all in one ERROR; the
 *		others are shown first, as WARNINGs (NOTICEs for the overridden
 *		ones); in warn mode every finding warns.  Every statement with a
 *		finding is audited.  In rewrite mode a statement that would be
 *		blocked may be carried out in its safe form instead (rewrite.c):
 *		true, and the statement itself must not run.
 */
static bool
enforce(GuardStatement *st, GuardRewriteWhere where)
{
	List	   *blocking = NIL;
	StringInfoData reasons;
	ListCell   *lc;
	GuardDecision decision;

	initStringInfo(&reasons);
	foreach(lc, st->findings)
	{
		GuardFinding *f = lfirst(lc);
		const char *reason;

		if (guard_mode != GUARD_MODE_ENFORCE || f->severity != SEVERITY_ERROR)
			continue;
		if ((reason = guard_override_reason(f->rule)) != NULL)
		{
			f->overridden = true;
			appendStringInfo(&reasons, "%s%s: %s", reasons.len ? "; " : "",
							 guard_rule_name(f->rule), reason);
		}
		else
			blocking = lappend(blocking, f);
	}
	decision = blocking ? DECISION_BLOCKED
		: reasons.len ? DECISION_ALLOWED_BY_OVERRIDE : DECISION_WARNED;

	foreach(lc, st->findings)
	{
		GuardFinding *f = lfirst(lc);

		if (list_member_ptr(blocking, f) || (blocking && guard_rewrite))
			continue;
		report(f->overridden ? NOTICE : WARNING, f,
			   f->overridden ? guard_override_reason(f->rule) : NULL);
	}
	if (blocking && guard_rewrite && guard_rewrite_blocked(st, blocking, where))
		return true;
	guard_audit(st, decision, reasons.len ? reasons.data : NULL);
	foreach(lc, st->findings)
	{
		GuardFinding *f = lfirst(lc);

		if (list_member_ptr(blocking, f) || !(blocking && guard_rewrite))
			continue;
		report(f->overridden ? NOTICE : WARNING, f,
			   f->overridden ? guard_override_reason(f->rule) : NULL);
	}
	if (blocking)
		report_blocked(blocking);
	return false;
}

/*
 * guard_statement
 *		Judge one statement about to run and act on the findings; true if
 *		rewrite mode carried it out in its safe form (it must not run).
 */
static bool
guard_statement(Node *parsetree, const char *source, int location, int len,
				GuardRewriteWhere where)
{
	GuardStatement st;
	MemoryContext cxt;
	MemoryContext old;
	bool		rewritten = false;

	if (creating_extension || IsBinaryUpgrade || IsAbortedTransactionBlockState())
		return false;

	/*
	 * What other sessions committed since this one last looked (a CREATE or
	 * DROP EXTENSION, a change to schemaguard.rule_config) drops what this
	 * one keeps of it.
	 */
	AcceptInvalidationMessages();
	if (extension_exists < 0)
		extension_exists = OidIsValid(get_extension_oid("schemaguard", true)) ? 1 : 0;
	if (!extension_exists || guard_nothing_to_judge(parsetree, LockTimeout))
		return false;

	cxt = AllocSetContextCreate(CurrentMemoryContext, "schemaguard guard",
								ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	memset(&st, 0, sizeof(st));
	st.parsetree = parsetree;
	st.source = source ? source : "";
	if (location < 0 || location > (int) strlen(st.source))
		location = -1;
	/* the statement alone, without the blanks around it */
	st.text = CleanQuerytext(st.source, &location, &len);
	st.text = pnstrdup(st.text, len);
	st.lock_timeout_ms = LockTimeout;

	guard_judge_safely(&st, NULL);
	if (st.findings != NIL)
		rewritten = enforce(&st, where);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
	return rewritten;
}

static void
guard_process_utility(PlannedStmt *pstmt, const char *queryString,
					  bool readOnlyTree, ProcessUtilityContext context,
					  ParamListInfo params, QueryEnvironment *queryEnv,
					  DestReceiver *dest, QueryCompletion *qc)
{
	/*
	 * subcommands (an index a CREATE TABLE makes) were judged with their
	 * statement; a migration's own statements are safe by construction
	 */
	if (guard_mode != GUARD_MODE_OFF && context != PROCESS_UTILITY_SUBCOMMAND &&
		!migrate_own_statement(queryString) &&
		guard_statement_relevant(pstmt->utilityStmt) &&
		guard_statement(pstmt->utilityStmt, queryString, pstmt->stmt_location,
						pstmt->stmt_len,
						/* where rewrite mode may take it: as CONCURRENTLY */
						context == PROCESS_UTILITY_TOPLEVEL && !IsTransactionBlock() &&
						!IsSubTransaction() && !(MyXactFlags & XACT_FLAGS_PIPELINING)
						? REWRITE_MAY : REWRITE_IN_BLOCK))
		return;					/* carried out in its safe form */

	/* lineage's look-ups that the statement would spoil (lineage.h) */
	lineage_before_utility(pstmt->utilityStmt);
	hook_depth++;
	PG_TRY();
	{
		if (prev_ProcessUtility)
			prev_ProcessUtility(pstmt, queryString, readOnlyTree, context, params,
								queryEnv, dest, qc);
		else
			standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params,
									queryEnv, dest, qc);
	}
	PG_FINALLY();
	{
		hook_depth--;
	}
	PG_END_TRY();
	/* what no event trigger reports (REINDEX CONCURRENTLY's new indexes) */
	lineage_after_utility(pstmt->utilityStmt);
}

/*
 * locate_statement
 *		Where the statement an event trigger fired for is in the query
 *		string: a simple query may hold several statements.  Found by
 *		parsing the string again and comparing trees (equal() ignores
 *		locations); *len 0 -- the whole string -- if none matches, as when
 *		the statement came from a function.  Parsing runs in a subtransaction
 *		that is always released: it cannot disturb the command.
 */
static void
locate_statement(Node *parsetree, const char *query, int *location, int *len)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;

	*location = 0;
	*len = 0;
	if (query == NULL || strchr(query, ';') == NULL)
		return;
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		ListCell   *lc;

		foreach(lc, raw_parser(query, RAW_PARSE_DEFAULT))
		{
			RawStmt    *raw = lfirst_node(RawStmt, lc);

			if (equal(raw->stmt, parsetree))
			{
				*location = raw->stmt_location;
				*len = raw->stmt_len;
				break;
			}
		}
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		(void) guard_end_failed_subtransaction(cxt, owner);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	CurrentResourceOwner = owner;
}

/*
 * schemaguard_on_ddl_command_start
 *		Event trigger: judges a DDL command that did not go through the hook
 *		because the library was loaded only now, by this very call.
 */
Datum
schemaguard_on_ddl_command_start(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_EVENT_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" was not called by event trigger manager",
						"on_ddl_command_start")));
	trigdata = (EventTriggerData *) fcinfo->context;
	if (hook_depth == 0 && guard_mode != GUARD_MODE_OFF &&
		guard_statement_relevant(trigdata->parsetree))
	{
		int			location;
		int			len;

		locate_statement(trigdata->parsetree, debug_query_string, &location, &len);
		(void) guard_statement(trigdata->parsetree, debug_query_string, location, len,
							   REWRITE_NOT_LOADED);
	}
	PG_RETURN_VOID();
}

/*
 * schemaguard.allow(rule text, reason text)
 *		Let the current transaction run what the rule would block.  Only
 *		members of schemaguard_approver (and superusers) may; the reason is
 *		recorded in the audit log with each statement it lets through.
 */
Datum
schemaguard_allow(PG_FUNCTION_ARGS)
{
	char	   *rule_name;
	char	   *reason;
	int			rule;
	Oid			approver;
	MemoryContext old;
	Override   *o;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("rule must not be null")));
	rule_name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	rule = guard_rule_by_name(rule_name);
	if (rule < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown schemaguard rule \"%s\"", rule_name),
				 errhint("The rules are breaks-dependents, table-rewrite, full-scan-under-lock, blocking-index-build, data-loss and lock-timeout.")));
	reason = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));
	if (reason == NULL || strspn(reason, " \t\r\n") == strlen(reason))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("an override of rule \"%s\" needs a reason", rule_name),
				 errhint("Say why the change is safe, as in schemaguard.allow('%s', 'maintenance window, table locked by the migration tool').",
						 rule_name)));

	approver = get_role_oid(APPROVER_ROLE, true);
	if (!superuser() &&
		!(OidIsValid(approver) && has_privs_of_role(GetUserId(), approver)))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to allow rule \"%s\"", rule_name),
				 errdetail("Only members of role %s may approve a change the guard blocks.",
						   APPROVER_ROLE),
				 errhint("Ask an approver to run the change, or to GRANT %s to you.",
						 APPROVER_ROLE)));

	if (overrides_lxid != MyProc->lxid)
	{
		overrides = NIL;
		overrides_lxid = MyProc->lxid;
	}
	old = MemoryContextSwitchTo(TopTransactionContext);
	o = palloc(sizeof(Override));
	o->rule = rule;
	o->reason = pstrdup(reason);
	o->subid = GetCurrentSubTransactionId();
	overrides = lcons(o, overrides);	/* the latest reason wins */
	MemoryContextSwitchTo(old);
	PG_RETURN_VOID();
}

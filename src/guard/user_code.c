/*-------------------------------------------------------------------------
 *
 * user_code.c
 *	  The guard runs no code that users wrote.  Judging a statement -- in
 *	  check_ddl()'s dry run or before a real statement -- never calls a
 *	  user-defined function and never evaluates a user's expression: a
 *	  superuser reviewing an untrusted script would otherwise run its
 *	  author's code with superuser rights, and before a real statement the
 *	  guard would run that code earlier than, or on top of, what PostgreSQL
 *	  runs itself.
 *
 * Where PostgreSQL's own transformations evaluate expressions (the
 * planner's constant folding of USING and DEFAULT expressions and of
 * stored CHECK constraints; the evaluation of partition bound expressions),
 * the guard works from the expression's tree and pg_proc instead:
 *	 - guard_expr_evaluable(): evaluating the expression would run only the
 *	   server's own immutable functions (no side effect, no user code);
 *	 - guard_simplify(): eval_const_expressions() or expression_planner(),
 *	   done only if it runs no user code, else NULL (the caller then judges
 *	   from the unsimplified tree, or says it cannot judge);
 *	 - guard_constraints_imply(): ALTER TABLE's proof that a table's
 *	   validated constraints imply a qual (ConstraintImpliedByRelConstraint),
 *	   with each constraint simplified by guard_simplify().
 * Under all of them, while a statement is judged, a trap: a call of any
 * function that is not the server's own raises an error before the
 * function runs (the fmgr hooks, installed only for that time, so nothing
 * is added to other statements' path).  Paths nobody foresaw -- the input
 * function of a literal of a composite type running a domain's CHECK, a
 * partition key expression folded when the relcache builds the key --
 * stop there; the caller reports that it cannot judge without running
 * user code.
 *
 * The server's own code: functions initdb made (OID below
 * FirstNormalObjectId), and of the others, internal-language ones and
 * IMMUTABLE C ones (a superuser installed them: the input, output and
 * comparison functions of extension types).  SQL and procedural-language
 * functions, and C functions that are not immutable (which may run SQL,
 * as dblink's do), are user code.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/transam.h"
#include "access/xact.h"
#include "catalog/partition.h"
#include "catalog/pg_class.h"
#include "catalog/pg_language.h"
#include "catalog/pg_proc.h"
#include "fmgr.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/regproc.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/resowner.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

#include "guard/guard.h"

/* The trap: >0 while armed; the hooks it replaced; what it stopped. */
static int	trap_depth = 0;
static needs_fmgr_hook_type saved_needs_fmgr_hook = NULL;
static fmgr_hook_type saved_fmgr_hook = NULL;
static Oid	trapped_function = InvalidOid;
static uint64 trap_count = 0;	/* calls stopped, ever */

/*
 * guard_function_trusted
 *		Is the function the server's own code (see the top of the file)?
 */
bool
guard_function_trusted(Oid funcid)
{
	HeapTuple	tuple;
	Form_pg_proc proc;
	bool		result;

	if (funcid < FirstNormalObjectId)
		return true;
	tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
	if (!HeapTupleIsValid(tuple))
		return false;
	proc = (Form_pg_proc) GETSTRUCT(tuple);
	result = proc->prolang == INTERNALlanguageId ||
		(proc->prolang == ClanguageId && proc->provolatile == PROVOLATILE_IMMUTABLE);
	ReleaseSysCache(tuple);
	return result;
}

static bool
needs_trap(Oid fn_oid)
{
	if (saved_needs_fmgr_hook && (*saved_needs_fmgr_hook) (fn_oid))
		return true;
	return trap_depth > 0 && !guard_function_trusted(fn_oid);
}

/* fmgr_hook: called before a function the trap flagged runs. */
static void
trap(FmgrHookEventType event, FmgrInfo *flinfo, Datum *private)
{
	if (event == FHET_START && trap_depth > 0 &&
		!guard_function_trusted(flinfo->fn_oid))
	{
		trapped_function = flinfo->fn_oid;
		trap_count++;
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("schemaguard does not run function %s while it judges a statement",
						format_procedure(flinfo->fn_oid))));
	}
	if (saved_fmgr_hook)
		(*saved_fmgr_hook) (event, flinfo, private);
}

/*
 * guard_trap_begin, guard_trap_end
 *		Arm and disarm the trap; they nest.  guard_trap_end must be called
 *		on every path, errors included (PG_FINALLY).
 */
void
guard_trap_begin(void)
{
	if (trap_depth++ > 0)
		return;
	trapped_function = InvalidOid;
	saved_needs_fmgr_hook = needs_fmgr_hook;
	saved_fmgr_hook = fmgr_hook;
	needs_fmgr_hook = needs_trap;
	fmgr_hook = trap;
}

void
guard_trap_end(void)
{
	Assert(trap_depth > 0);
	if (--trap_depth > 0)
		return;
	needs_fmgr_hook = saved_needs_fmgr_hook;
	fmgr_hook = saved_fmgr_hook;
}

/* The function the trap stopped since it was armed, or InvalidOid. */
Oid
guard_trapped_function(void)
{
	return trapped_function;
}

/* check_functions_in_node callbacks: true for a function that disqualifies */
static bool
untrusted_function(Oid funcid, void *context)
{
	return !guard_function_trusted(funcid);
}

static bool
not_evaluable_function(Oid funcid, void *context)
{
	return !guard_function_trusted(funcid) ||
		func_volatile(funcid) != PROVOLATILE_IMMUTABLE;
}

/*
 * What stops an expression from being evaluated: the first function the
 * check rejects (*funcid), or another node (*reason).
 */
typedef struct Culprit
{
	check_function_callback check;
	Oid			funcid;
	const char *reason;
} Culprit;

static bool
remember_function(Oid funcid, void *context)
{
	Culprit    *culprit = (Culprit *) context;

	if (!culprit->check(funcid, NULL))
		return false;
	culprit->funcid = funcid;
	return true;
}

static bool
find_culprit(Node *node, Culprit *culprit)
{
	if (node == NULL)
		return false;
	if (check_functions_in_node(node, remember_function, culprit))
		return true;
	if (culprit->check == not_evaluable_function)
	{
		if (IsA(node, CoerceToDomain) &&
			DomainHasConstraints(((CoerceToDomain *) node)->resulttype))
		{
			culprit->reason = psprintf("it is checked against the constraints of domain %s",
									   format_type_be(((CoerceToDomain *) node)->resulttype));
			return true;
		}
		if (IsA(node, SubLink) || IsA(node, Param) || IsA(node, NextValueExpr) ||
			IsA(node, Aggref) || IsA(node, WindowFunc) || IsA(node, GroupingFunc))
		{
			culprit->reason = "it is not a constant expression";
			return true;
		}
	}
	return expression_tree_walker(node, find_culprit, (void *) culprit);
}

/* Why expr cannot be folded (evaluable false) or evaluated; NULL if it can. */
static char *
culprit_of(Node *expr, bool evaluable)
{
	Culprit		culprit;

	culprit.check = evaluable ? not_evaluable_function : untrusted_function;
	culprit.funcid = InvalidOid;
	culprit.reason = NULL;
	if (!find_culprit(expr, &culprit))
		return NULL;
	if (OidIsValid(culprit.funcid))
		return psprintf("it calls %sfunction %s",
						guard_function_trusted(culprit.funcid) ? "volatile " : "",
						format_procedure_qualified(culprit.funcid));
	return pstrdup(culprit.reason);
}

/*
 * guard_expr_evaluable
 *		Would evaluating expr run only the server's own immutable functions,
 *		and nothing that changes anything?  If not, *why (if why is not
 *		NULL) says what stops it, for a message: "it calls function
 *		app.payload()".
 */
bool
guard_expr_evaluable(Node *expr, char **why)
{
	char	   *culprit = culprit_of(expr, true);

	if (why)
		*why = culprit;
	return culprit == NULL;
}

/*
 * guard_expr_user_code
 *		Why the planner could not fold expr without running user code ("it
 *		calls function app.f(integer)"), or NULL when every function it
 *		calls is the server's own.
 */
char *
guard_expr_user_code(Node *expr)
{
	return culprit_of(expr, false);
}

/*
 * guard_simplify
 *		eval_const_expressions(NULL, expr) -- or expression_planner(expr)
 *		when plan -- as PostgreSQL's own code would run it, if that runs no
 *		user code; NULL if it would.  With only the server's own functions
 *		in the tree it is run at once.  Otherwise the planner may still
 *		leave the user's functions alone (their arguments are not
 *		constants), so it is tried in a subtransaction with the trap armed:
 *		the first call of a user function stops it before that function
 *		runs, and NULL is returned.  Other errors go on.
 */
Node *
guard_simplify(Node *expr, bool plan)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	Node	   *result = NULL;

	if (expr == NULL)
		return NULL;
	guard_trap_begin();
	PG_TRY();
	{
		if (guard_expr_user_code(expr) == NULL)
			result = plan ? (Node *) expression_planner((Expr *) copyObject(expr))
				: eval_const_expressions(NULL, copyObject(expr));
		else
		{
			uint64		before = trap_count;
			Oid			outer = trapped_function;

			BeginInternalSubTransaction(NULL);
			MemoryContextSwitchTo(cxt);
			PG_TRY();
			{
				result = plan ? (Node *) expression_planner((Expr *) copyObject(expr))
					: eval_const_expressions(NULL, copyObject(expr));
				RollbackAndReleaseCurrentSubTransaction();
				MemoryContextSwitchTo(cxt);
				CurrentResourceOwner = owner;
			}
			PG_CATCH();
			{
				bool		trapped = (trap_count != before);
				ErrorData  *edata = guard_end_failed_subtransaction(cxt, owner);

				if (!trapped)
					ReThrowError(edata);
				/* stopped here and answered: not the caller's concern */
				trapped_function = outer;
				result = NULL;
			}
			PG_END_TRY();
		}
	}
	PG_FINALLY();
	{
		guard_trap_end();
	}
	PG_END_TRY();
	return result;
}

/*
 * guard_partition_keys_unbuilt, guard_forget_partition_keys
 *		The partitioned table and its ancestors whose partition key this
 *		backend has not built yet; and, once the guard is done with them,
 *		their relcache entries dropped.  A key built while the trap is armed
 *		is built with user SQL functions left uninlined (inline_function
 *		leaves alone the functions an fmgr hook wants), and the relcache
 *		would keep it for the session: partition pruning would then no
 *		longer match such a key.  Dropped, the entry is built again, as
 *		PostgreSQL builds it, when next used.
 */
List *
guard_partition_keys_unbuilt(Oid relid)
{
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, lcons_oid(relid, get_partition_ancestors(relid)))
	{
		Relation	rel = RelationIdGetRelation(lfirst_oid(lc));

		if (rel == NULL)
			continue;
		if (rel->rd_rel->relkind == RELKIND_PARTITIONED_TABLE && rel->rd_partkey == NULL)
			result = lappend_oid(result, lfirst_oid(lc));
		RelationClose(rel);
	}
	return result;
}

void
guard_forget_partition_keys(List *relids)
{
	ListCell   *lc;

	foreach(lc, relids)
		RelationCacheInvalidateEntry(lfirst_oid(lc));
}

/*
 * guard_not_null_test
 *		"column IS NOT NULL" as ALTER TABLE tests it against constraints
 *		(argisrow false even for a composite column: attnotnull means IS
 *		DISTINCT FROM NULL).
 */
Expr *
guard_not_null_test(Form_pg_attribute att)
{
	NullTest   *test = makeNode(NullTest);

	test->arg = (Expr *) makeVar(1, att->attnum, att->atttypid, att->atttypmod,
								 att->attcollation, 0);
	test->nulltesttype = IS_NOT_NULL;
	test->argisrow = false;
	test->location = -1;
	return (Expr *) test;
}

/*
 * guard_constraints_imply
 *		Do the validated CHECK constraints of rel (and its NOT NULL columns,
 *		when with_not_null) prove every clause of test?  ALTER TABLE's own
 *		proof (ConstraintImpliedByRelConstraint and
 *		PartConstraintImpliedByRelConstraint in tablecmds.c), except that a
 *		constraint whose simplification would run user code is used as it
 *		is stored.  *undecided (if not NULL) is set when the proof failed
 *		and such a constraint, about a column the test is about, was among
 *		them: PostgreSQL, folding it, might have made the proof.
 */
bool
guard_constraints_imply(Relation rel, List *test, bool with_not_null,
						bool *undecided)
{
	TupleDesc	desc = RelationGetDescr(rel);
	TupleConstr *constr = desc->constr;
	List	   *known = NIL;
	Bitmapset  *tested = NULL;
	bool		unsimplified = false;
	bool		result;

	if (undecided)
		*undecided = false;
	if (with_not_null && constr && constr->has_not_null)
	{
		for (int i = 1; i <= desc->natts; i++)
		{
			Form_pg_attribute att = TupleDescAttr(desc, i - 1);

			if (att->attnotnull && !att->attisdropped)
				known = lappend(known, guard_not_null_test(att));
		}
	}
	for (int i = 0; constr && i < constr->num_check; i++)
	{
		Node	   *stored;
		Node	   *expr;

		if (!constr->check[i].ccvalid)
			continue;
		stored = stringToNode(constr->check[i].ccbin);
		expr = guard_simplify(stored, false);
		if (expr == NULL)
		{
			Bitmapset  *columns = NULL;

			/* only one about a column the test is about could have helped */
			if (tested == NULL)
				pull_varattnos((Node *) test, 1, &tested);
			pull_varattnos(stored, 1, &columns);
			unsimplified |= bms_overlap(columns, tested);
			expr = stored;
		}
		expr = (Node *) canonicalize_qual((Expr *) expr, true);
		known = list_concat(known, make_ands_implicit((Expr *) expr));
	}
	result = predicate_implied_by(test, known, true);
	if (undecided)
		*undecided = !result && unsimplified;
	return result;
}

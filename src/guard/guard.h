/*-------------------------------------------------------------------------
 *
 * guard.h
 *	  Declarations of the DDL guard: a statement is turned into the changes
 *	  it makes (changes.c), each rule (rules/<rule>.c) turns changes and live
 *	  evidence (evidence.c) into findings, the registry
 *	  (registry.c) gives each finding its configured severity, and the
 *	  hook (hook.c) or check_ddl() (check_ddl.c) acts on them.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SCHEMAGUARD_GUARD_H
#define SCHEMAGUARD_GUARD_H

#include "postgres.h"

#include "catalog/objectaddress.h"
#include "catalog/pg_attribute.h"
#include "nodes/parsenodes.h"
#include "nodes/pg_list.h"
#include "storage/lockdefs.h"
#include "utils/relcache.h"
#include "utils/resowner.h"

#include "schemaguard.h"

/* Rule ids: stable, kebab-case, in the order the guard runs them. */
typedef enum GuardRuleId
{
	RULE_BREAKS_DEPENDENTS = 0,
	RULE_TABLE_REWRITE,
	RULE_FULL_SCAN_UNDER_LOCK,
	RULE_BLOCKING_INDEX_BUILD,
	RULE_DATA_LOSS,
	RULE_LOCK_TIMEOUT			/* last: it looks at the others' findings */
} GuardRuleId;

#define GUARD_NUM_RULES (RULE_LOCK_TIMEOUT + 1)

typedef enum GuardSeverity
{
	SEVERITY_OFF = 0,
	SEVERITY_WARNING,
	SEVERITY_ERROR
} GuardSeverity;

/*
 * A table (or partitioned table, or inheritance parent) a change touches,
 * with the live evidence about it.  Sizes and row estimates cover every
 * member the command reaches: all partitions of a partitioned table, and
 * the inheritance children an ALTER recurses into.  Members created in the
 * current transaction are left out: nobody else can see them yet.
 */
typedef struct GuardRelation
{
	Oid			relid;
	char		relkind;
	char	   *nspname;
	char	   *relname;
	char	   *sql_name;		/* quoted, schema-qualified: for generated SQL */
	bool		is_new;			/* created in this transaction (or script) */
	int			nmembers;		/* relations counted, the table included */
	int64		bytes;			/* main forks of the members; their TOAST
								 * tables' added by guard_relation_bytes(),
								 * which is what rules read */
	List	   *toast_pending;	/* TOAST tables not measured yet */
	bool		all_heap;		/* every member is heap or has no storage */
	double		rows;			/* sum of reltuples; -1 if never analyzed */
	int			has_rows;		/* -1: not looked at yet; 0; 1 */
	List	   *member_oids;
	int			unwatched;		/* a lock on it blocks nobody (sessions.c):
								 * -1 not looked at yet (asked only when a
								 * rule needs it: guard_relation_is_unwatched,
								 * which sets it); 0; 1 */
	struct GuardStatement *st;	/* the statement it was looked at for */
	bool		rows_withheld;	/* the caller may not read its rows: taken
								 * to hold some, rows and estimate unsaid */
} GuardRelation;

/* What a statement does, one entry per effect the rules judge. */
typedef enum GuardChangeKind
{
	CHANGE_ALTER_TYPE,
	CHANGE_ADD_COLUMN,
	CHANGE_DROP_COLUMN,
	CHANGE_RENAME_COLUMN,
	CHANGE_SET_NOT_NULL,
	CHANGE_ADD_CONSTRAINT,		/* CHECK, FOREIGN KEY, UNIQUE, PRIMARY KEY, EXCLUDE */
	CHANGE_SET_PERSISTENCE,
	CHANGE_SET_ACCESS_METHOD,
	CHANGE_SET_TABLESPACE,
	CHANGE_VACUUM_FULL,
	CHANGE_CLUSTER,
	CHANGE_CREATE_INDEX,
	CHANGE_REINDEX,
	CHANGE_DROP_INDEX,
	CHANGE_DROP_RELATION,
	CHANGE_RENAME_RELATION,
	CHANGE_TRUNCATE,
	CHANGE_DROP_FUNCTION,
	CHANGE_RENAME_FUNCTION,
	CHANGE_DOMAIN_CONSTRAINT,
	CHANGE_ATTACH_PARTITION,	/* ATTACH PARTITION or CREATE TABLE ... PARTITION
								 * OF; rel: the table attached (NULL if new);
								 * object: the parent */
	CHANGE_OTHER				/* anything else that locks a table */
} GuardChangeKind;

typedef struct GuardChange
{
	GuardChangeKind kind;
	const char *command;		/* "ALTER TABLE", "CREATE INDEX", ... */
	GuardRelation *rel;			/* the table; NULL for functions, domains */
	LOCKMODE	lockmode;		/* the lock the command takes on rel */
	Node	   *node;			/* the (sub)command: AlterTableCmd, IndexStmt... */
	AttrNumber	attnum;			/* column changes */
	const char *colname;
	ObjectAddress object;		/* index, function, domain, schema */
	const char *object_name;	/* its name as the messages show it */
	bool		cascade;		/* DROP ... CASCADE */
} GuardChange;

typedef struct GuardFinding
{
	GuardRuleId rule;
	GuardSeverity severity;
	bool		overridden;		/* allowed by schemaguard.allow() */
	char	   *message;		/* without the rule id */
	char	   *detail;
	char	   *hint;
} GuardFinding;

/*
 * What a table name means after the earlier statements of a check_ddl
 * script: a table the script created (new and empty), an existing table
 * the script renamed or moved to this name, or nothing (dropped, or renamed
 * or moved away).  Names the script did not touch mean what the catalogs
 * say.
 */
typedef enum GuardScriptNameKind
{
	SCRIPT_NAME_NEW,
	SCRIPT_NAME_EXISTING,
	SCRIPT_NAME_GONE
} GuardScriptNameKind;

typedef struct GuardScriptName
{
	char	   *nspname;
	char	   *relname;
	GuardScriptNameKind kind;
	Oid			relid;			/* SCRIPT_NAME_EXISTING */
} GuardScriptName;

typedef struct GuardStatement
{
	Node	   *parsetree;
	const char *source;			/* the query string node locations index */
	const char *text;			/* the statement's own text */
	bool		dry_run;		/* check_ddl: catalogs as of the script's start */
	List	   *names;			/* dry run: GuardScriptName, latest first */
	int			lock_timeout_ms;	/* lock_timeout the statement runs with */
	List	   *relations;		/* GuardRelation cache */
	List	   *changes;		/* GuardChange */
	List	   *findings;		/* GuardFinding */
	struct GuardSessions *sessions; /* who is there (sessions.c), looked up once */
	bool		denied;			/* the caller may not run it: not judged */
	int			withheld;		/* tables it reaches in schemas the caller
								 * may not use: not named, not judged */
	int			rule_running;	/* the rule judging it now, or -1 */
} GuardStatement;

/* changes.c */
extern bool guard_statement_relevant(Node *parsetree);
extern void guard_collect_changes(GuardStatement *st);
extern void guard_script_note(GuardStatement *st, List **names);

/* evidence.c */
extern GuardRelation *guard_relation(GuardStatement *st, Oid relid, bool recurse);
extern bool guard_relation_has_rows(GuardRelation *rel);
extern int64 guard_relation_bytes(GuardRelation *rel);
extern bool guard_relation_is_unwatched(GuardRelation *rel);
extern bool guard_relation_large(GuardRelation *rel);
extern char *guard_size_evidence(GuardRelation *rel);
extern const char *guard_lock_name(LOCKMODE mode);
extern const char *guard_lock_effect(LOCKMODE mode);
extern char *guard_lock_phrase(LOCKMODE mode);
extern char *guard_insert_after_keyword(const char *sql, const char *keyword,
										const char *insertion);
extern char *guard_statement_sql(const char *text);
extern char *guard_paren_text(const char *source, int location);
extern char *guard_expand_contract_hint(GuardRelation *rel, const char *colname,
										const char *newtype, const char *using_sql,
										const char *why);
extern char *guard_impact_query(GuardRelation *rel, const char *colname);
extern char *guard_choose_constraint_name(GuardRelation *rel, const char *colname,
										  const char *label);
extern char *guard_choose_relation_name(GuardRelation *rel, const char *name2,
										const char *label, bool isconstraint);
extern char *guard_choose_column_name(GuardRelation *rel, const char *colname,
									  const char *label, const char *taken);

/* sessions.c: who is there */
extern void guard_sessions_init(void);
extern bool guard_relation_unwatched(GuardStatement *st, GuardRelation *rel);
extern char *guard_lock_holders(GuardStatement *st, GuardRelation *rel, LOCKMODE mode);
extern char *guard_statement_lock_holders(GuardStatement *st);
extern void guard_name_lock_holders(GuardStatement *st);

/* registry.c */
extern void guard_rules_init(void);
extern bool guard_nothing_to_judge(Node *parsetree, int lock_timeout_ms);
extern const char *guard_rule_name(GuardRuleId rule);
extern int	guard_rule_by_name(const char *name);
extern void guard_add_finding(GuardStatement *st, GuardRuleId rule,
							  char *message, char *detail, char *hint);
extern void guard_add_note(GuardStatement *st, GuardRuleId rule,
						   char *message, char *detail, char *hint);
extern void guard_judge(GuardStatement *st);
extern const char *guard_severity_name(GuardSeverity severity);

/* the rules, one file each */
extern void rule_breaks_dependents(GuardStatement *st);
extern void rule_table_rewrite(GuardStatement *st);
extern void rule_full_scan_under_lock(GuardStatement *st);
extern void rule_blocking_index_build(GuardStatement *st);
extern void rule_data_loss(GuardStatement *st);
extern void rule_lock_timeout(GuardStatement *st);

/* rules/table_rewrite.c, for the data-loss and breaks-dependents rules too */
extern bool guard_type_change_target(GuardChange *change, Oid *oldtype,
									 int32 *oldtypmod, Oid *newtype,
									 int32 *newtypmod);
extern bool guard_type_change_rewrites(GuardStatement *st, GuardChange *change,
									   char **using_sql);
extern const char *guard_add_column_rewrites(GuardStatement *st, GuardChange *change,
											 char **hint);

/* user_code.c: the guard runs no code users wrote */
extern bool guard_function_trusted(Oid funcid);
extern void guard_trap_begin(void);
extern void guard_trap_end(void);
extern Oid	guard_trapped_function(void);
extern bool guard_expr_evaluable(Node *expr, char **why);
extern char *guard_expr_user_code(Node *expr);
extern Node *guard_simplify(Node *expr, bool plan);
extern List *guard_partition_keys_unbuilt(Oid relid);
extern void guard_forget_partition_keys(List *relids);
extern Expr *guard_not_null_test(Form_pg_attribute att);
extern bool guard_constraints_imply(Relation rel, List *test, bool with_not_null,
									bool *undecided);

/* visibility.c: what the caller may run and see */
extern bool guard_may_run_on(GuardStatement *st, Oid classId, Oid objectId);
extern bool guard_vacuum_reaches(Oid relid);
extern bool guard_schema_usable(Oid nspid);
extern bool guard_rows_visible(Oid relid);
extern void guard_withheld_note(GuardStatement *st);

/* audit.c */
typedef enum GuardDecision
{
	DECISION_BLOCKED,
	DECISION_WARNED,
	DECISION_ALLOWED_BY_OVERRIDE,
	DECISION_REWRITTEN			/* carried out in its safe form (rewrite.c) */
} GuardDecision;

extern void guard_audit(GuardStatement *st, GuardDecision decision,
						const char *reason);

/* rewrite.c: plan() in the hints, rewrite mode */
typedef enum GuardRewriteWhere
{
	REWRITE_MAY,				/* top level, outside a transaction block */
	REWRITE_IN_BLOCK,			/* in a transaction block, a function, a
								 * multi-statement query or a pipeline */
	REWRITE_NOT_LOADED			/* judged by the ddl_command_start trigger */
} GuardRewriteWhere;

extern void guard_plan_hints(GuardStatement *st);
extern bool guard_rewrite_blocked(GuardStatement *st, List *blocking,
								  GuardRewriteWhere where);

/* hook.c */
extern void guard_init(void);
extern const char *guard_override_reason(GuardRuleId rule);
extern void guard_judge_safely(GuardStatement *st, List **names);
extern ErrorData *guard_end_failed_subtransaction(MemoryContext cxt,
												  ResourceOwner owner);

/* SQLSTATE of a statement the guard blocks (class SG: schemaguard) */
#define ERRCODE_SCHEMAGUARD_BLOCKED MAKE_SQLSTATE('S','G','0','0','1')

#endif							/* SCHEMAGUARD_GUARD_H */

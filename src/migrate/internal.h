/*-------------------------------------------------------------------------
 *
 * internal.h
 *	  Declarations shared by the files of the migration room only: a
 *	  migration and its changes, the steps of each phase, the change kinds
 *	  (one file each under kinds/), and the helpers every phase uses.
 *
 * A migration is built from its ddl text (parse.c) into a Migration with
 * one MigChange per change; each change has a MigKind that says what it
 * adds at expand, which pair of columns it keeps in step, what its
 * backfill writes, what verify compares, what switch renames and whether
 * dependents must be re-created, and what contract and rollback drop.
 * Every phase turns the migration into a list of MigSteps (plan.c) from
 * the live catalog at that moment; plan() shows them all, each phase runs
 * its own (exec.c).  Nothing outside src/migrate/ includes this header.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SCHEMAGUARD_MIGRATE_INTERNAL_H
#define SCHEMAGUARD_MIGRATE_INTERNAL_H

#include "postgres.h"

#include "catalog/objectaddress.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "nodes/parsenodes.h"
#include "nodes/pg_list.h"
#include "utils/acl.h"

#include "schemaguard.h"

/* The phases, in the order they run. */
typedef enum MigPhase
{
	PHASE_EXPAND,
	PHASE_BACKFILL,
	PHASE_VERIFY,
	PHASE_SWITCH,
	PHASE_CONTRACT,
	PHASE_ROLLBACK
} MigPhase;

/* The states a migration goes through (migration.state). */
typedef enum MigState
{
	STATE_PLANNED,				/* plan(): not started */
	STATE_EXPANDED,
	STATE_BACKFILLED,
	STATE_VERIFIED,
	STATE_SWITCHED,
	STATE_CONTRACTED,
	STATE_ROLLED_BACK
} MigState;

/* How a step runs. */
typedef enum MigStepHow
{
	STEP_SQL,					/* through SPI, in the phase's transaction */
	STEP_TOPLEVEL,				/* a utility statement that commits itself
								 * (CREATE INDEX CONCURRENTLY): backfill only */
	STEP_SHOWN					/* run by the phase's own code (the batches of
								 * backfill, the checks of verify); plan()
								 * shows its SQL */
} MigStepHow;

/* Whom a statement runs as. */
typedef enum MigRole
{
	ROLE_TABLE_OWNER,
	ROLE_EXTENSION_OWNER,		/* the engine's own functions and bookkeeping */
	ROLE_OBJECT_OWNER			/* the owner of the dependent it re-creates */
} MigRole;

typedef struct MigStep
{
	MigPhase	phase;
	MigStepHow	how;
	char	   *sql;
	char	   *lock;			/* what it locks, as plan() shows it */
	char	   *description;
	bool		reversible;
	MigRole		role;
	Oid			owner;			/* ROLE_OBJECT_OWNER: the role */
	int			group;			/* steps of a group run in one subtransaction
								 * under lock_timeout, retried (exec.c) */
	int			object;			/* the migration_object it builds, or 0 */
	bool		hidden;			/* on an object the caller cannot see: plan()
								 * shows no SQL */
} MigStep;

/* A step list being built: the phase the steps are added to. */
typedef struct MigPlan
{
	MigPhase	phase;
	List	   *steps;
	int			group;			/* the group new steps join */
	char	   *lock;			/* the lock of that group, as plan() shows it */
} MigPlan;

struct Migration;
struct MigChange;

/*
 * A pair of columns the dual-write triggers keep in step: p is the column
 * writers use by its name now, s the other; f converts p's value into s's
 * type, g s's into p's.  Expressions are over the table, Vars by attnum.
 */
typedef struct MigSyncPair
{
	AttrNumber	p;
	AttrNumber	s;
	Node	   *f;
	Node	   *g;
} MigSyncPair;

/*
 * A change kind: one file under kinds/.  A new kind is one more file and
 * one more entry in mig_kinds[] (parse.c).
 */
typedef struct MigKind
{
	const char *name;			/* migration_change.kind */

	/*
	 * The change this subcommand asks for, or NULL if the kind does not
	 * handle it.  stmt: an AlterTableCmd or a RenameStmt.
	 */
	struct MigChange *(*recognize) (struct Migration *m, Node *stmt,
									const char *source);
	/* attribute numbers and types from the live catalog (after load) */
	void		(*resolve) (struct Migration *m, struct MigChange *c);
	/* expand: the columns and constraints it adds (run by start()) */
	void		(*expand) (struct Migration *m, struct MigChange *c, MigPlan *plan);
	/* the pair it keeps in step, if any (the state says which way) */
	bool		(*sync) (struct Migration *m, struct MigChange *c, MigSyncPair *pair);
	/* backfill: "col = value" into set, "row needs it" into todo */
	void		(*backfill) (struct Migration *m, struct MigChange *c,
							 const char *alias, StringInfo set, StringInfo todo);
	/* verify: "row is wrong" into wrong (nothing: no check) */
	void		(*verify) (struct Migration *m, struct MigChange *c,
						   const char *alias, StringInfo wrong);
	/* switch (back: the rollback of a switch): renames, defaults, NOT NULL */
	void		(*swap) (struct Migration *m, struct MigChange *c, MigPlan *plan,
						 bool back);
	/* contract, and rollback's cleanup (after a swap back if switched) */
	void		(*contract) (struct Migration *m, struct MigChange *c, MigPlan *plan);
	void		(*rollback) (struct Migration *m, struct MigChange *c, MigPlan *plan);
	/* the names the table's columns have after its swap (or swap back) */
	void		(*rename) (struct Migration *m, struct MigChange *c, char **names,
						   bool back);
	/* at swap, readers of the column must move to another column */
	bool		repoints;

	/*
	 * The kinds of issue 13 (the safe forms of what the guard blocks): the
	 * change names an index, constraint or table, not a column (names_object);
	 * it writes no row (no_rows: a migration whose changes all write none
	 * passes through the phases that have nothing to do, and rewrite mode may
	 * carry it out); swaps: whether it has steps at switch's swap (NULL: it
	 * has).
	 */
	bool		names_object;
	bool		no_rows;
	bool		(*swaps) (struct Migration *m, struct MigChange *c);
} MigKind;

/*
 * One change of a migration (a row of migration_change, then resolved
 * against the catalog).
 */
typedef struct MigChange
{
	const MigKind *kind;
	int			ordinal;
	char	   *colname;		/* the column, named as at start; add_column:
								 * the new column */
	char	   *newcol;			/* the column the migration adds */
	char	   *oldcol;			/* alter_type: the original's name after switch */
	char	   *type_sql;
	char	   *collation_sql;
	char	   *using_sql;		/* alter_type: USING, over the names at start */
	char	   *default_sql;
	bool		not_null;
	char	   *sql;			/* direct: the statement run as it is;
								 * create_index, drop_index, reindex: the
								 * CONCURRENTLY form */

	/*
	 * Kinds that name an object (names_object): colname is the index,
	 * constraint or table it names; add_constraint keeps the constraint's
	 * type in type_sql (CHECK, FOREIGN KEY, UNIQUE, PRIMARY KEY);
	 * rename_table the new name in newcol; drop_table the name in the
	 * holding schema in newcol and the schema it came from in oldcol.
	 */

	/* resolved from the live catalog */
	AttrNumber	attnum;			/* the original column; 0 if none */
	AttrNumber	new_attnum;		/* the added column; at plan(): the one it
								 * will get */
	Oid			oldtype;
	int32		oldtypmod;
	Oid			oldcoll;
	Oid			newtype;
	int32		newtypmod;
	Oid			newcoll;
	bool		old_notnull;
} MigChange;

/* An index or constraint built beside an original (migration_object). */
typedef struct MigObject
{
	int			ordinal;
	int			change;			/* the ordinal of the change it belongs to */
	char	   *kind;			/* index, unique, check, foreign_key, not_null */
	char	   *original;		/* the original's name (NULL for not_null) */
	char	   *created;
	char	   *sql;
	bool		done;
	List	   *roles;			/* swap: steps giving the index's roles */
	char	   *description;	/* plan(): what it is for (NULL: the
								 * default of its kind) */
} MigObject;

typedef struct Migration
{
	int64		id;				/* 0 before start() */
	char	   *name;
	char	   *ddl;
	Oid			relid;
	char	   *nspname;
	char	   *relname;
	char	   *qualname;		/* quoted, qualified */
	Oid			owner;			/* the table's owner */
	MigState	state;
	char	   *phase;
	List	   *changes;		/* MigChange */
	List	   *objects;		/* MigObject */
	List	   *backfill_key;	/* text values of the last key done */
	bool		backfill_done;
	int64		rows_done;
	int64		rows_total;
	char	   *sync_function;	/* quoted, qualified */
	AttrNumber	natts;			/* plan(): attributes once expanded */
	char	  **names_override; /* column names to print instead of the
								 * catalog's (after a swap not run yet) */
	bool		drop_dependents;	/* contract(id, drop_dependents => true) */
	bool		listing;		/* steps made to be looked at, not run: a
								 * kind refuses nothing */
} Migration;

/* What a backfill walks: the primary key's columns, or ctid. */
typedef struct MigBackfillKey
{
	bool		ctid;
	int			ncols;
	char	  **names;			/* quoted */
	char	  **types;			/* as casts: "integer" */
} MigBackfillKey;

/*
 * Where a definition is pointed: the Vars of relation relid from attribute
 * `from' to `to'; or (from 0) the relation relid replaced by to_relid.
 */
typedef struct MigRepoint
{
	Oid			relid;
	AttrNumber	from;
	AttrNumber	to;
	Oid			to_relid;
} MigRepoint;

/* Names of the migration's own objects on the table. */
#define SYNC_TRIGGER_FIRST	"!schemaguard_sync_first"
#define SYNC_TRIGGER_LAST	"~schemaguard_sync_last"

/* kinds/<kind>.c */
extern const MigKind mig_kind_alter_type;
extern const MigKind mig_kind_rename_column;
extern const MigKind mig_kind_add_column;
extern const MigKind mig_kind_direct;
extern const MigKind mig_kind_set_not_null;
extern const MigKind mig_kind_add_constraint;
extern const MigKind mig_kind_create_index;
extern const MigKind mig_kind_drop_index;
extern const MigKind mig_kind_reindex;
extern const MigKind mig_kind_drop_column;
extern const MigKind mig_kind_rename_table;
extern const MigKind mig_kind_drop_table;

/* A pg_depend row that references an object (dependents.c). */
typedef struct MigDep
{
	ObjectAddress object;
	char		deptype;
} MigDep;

/* The dependents re-created at a swap (dependents.c). */
typedef struct MigDependents MigDependents;

/* parse.c: the ddl into a migration */
extern Migration *mig_parse(const char *ddl);
extern const MigKind *mig_kind_by_name(const char *name);
extern MigChange *mig_new_change(Migration *m, const MigKind *kind,
								 const char *colname);
extern char *mig_choose_column_name(Migration *m, const char *base,
									const char *label);
extern char *mig_choose_relation_name(Oid nspid, const char *base,
									  const char *label, List *taken);
extern char *mig_choose_constraint_name(Migration *m, const char *base,
										const char *label, List *taken);
extern char *mig_prefixed_name(const char *prefix, const char *base, int n);
extern char *mig_choose_function_name(const char *base, const char *label);

/* state.c: the migration tables, permissions, states */
extern const char *mig_state_name(MigState state);
extern Migration *mig_load(int64 id, bool for_update);
extern void mig_resolve(Migration *m);
extern void mig_store_new(Migration *m);
extern int64 mig_active_migration(Oid relid);
extern void mig_set_state(Migration *m, MigState state, const char *phase);
extern void mig_set_phase(Migration *m, const char *phase);
extern void mig_set_error(Migration *m, const char *message);
extern void mig_save_backfill(Migration *m, double rows_per_second);
extern void mig_object_done(Migration *m, MigObject *o);
extern void mig_require_state(Migration *m, const char *call, int nstates,
							  const MigState *states);
extern void mig_check_may_run(Migration *m, const char *call);
extern void mig_check_may_see(Oid relid);
extern void mig_lock_migration(int64 id);
extern void mig_lock_migration_session(int64 id);
extern void mig_unlock_migration_session(int64 id);
extern char *mig_next_call(Migration *m);
extern Migration *mig_begin_call(FunctionCallInfo fcinfo, const char *call, int *nestlevel);

/* plan.c: steps */
extern MigStep *mig_step(MigPlan *plan, const char *sql, const char *lock,
						 const char *description);
extern List *mig_phase_steps(Migration *m, MigPhase phase, MigDependents **deps);
extern const char *mig_phase_name(MigPhase phase);
extern char *mig_lock_on(Migration *m, const char *mode);
extern MigStep *mig_drop_column_step(Migration *m, MigPlan *plan, const char *colname,
									 const char *description, bool reversible);
extern char *mig_analyze_sql(Migration *m);
extern bool mig_is_migration(Migration *m);

/* backfill.c */
extern MigBackfillKey *mig_backfill_key(Migration *m);
extern char *mig_backfill_sql(Migration *m, MigBackfillKey *key, const char *set,
							  const char *todo, bool lower, bool upper);

/* sync.c: the dual-write triggers */
extern void mig_sync_steps(Migration *m, MigPlan *plan, bool create);
extern bool mig_has_sync(Migration *m);

/* deparse.c: SQL for expressions, indexes and queries */
extern char **mig_column_names(Migration *m);
extern char *mig_deparse_expr(Migration *m, Node *expr, const char *alias);
extern char *mig_deparse_expr_renamed(Migration *m, Node *expr,
									  AttrNumber from, AttrNumber to);
extern Node *mig_column_var(Migration *m, AttrNumber attnum);
extern Node *mig_coerce(Node *expr, Oid type, int32 typmod, Oid coll);
extern Node *mig_transform_using(Migration *m, MigChange *c);
extern char *mig_index_sql(Oid indexrelid, const char *name, const char *target_sql,
						   char **names, int nnames, Oid tableid, bool concurrently);
extern char *mig_query_repointed(Oid viewid, List *repoint);
extern char *mig_reloptions_clause(Oid relid);
extern char *mig_options_sql(Datum options);
extern char *mig_column_options_sql(Datum attoptions);
extern char *mig_tablespace_clause(Oid relid);
extern char *mig_literal_array(List *strings);
extern char *mig_dollar_quote(const char *body, const char *label);
extern char *mig_comment_identifier(const char *name);

/* dependents.c: who reads the columns that move, and their re-creation */
extern List *mig_depend_on(Oid refclassid, Oid refobjid, int32 refobjsubid);
extern MigDependents *mig_dependents(Migration *m, List *moves, bool back);
extern void mig_dependents_prebuild(Migration *m, MigDependents *d, MigPlan *plan);
extern List *mig_dependents_locks(MigDependents *d);
extern void mig_dependents_drop(Migration *m, MigDependents *d, MigPlan *plan);
extern void mig_dependents_create(Migration *m, MigDependents *d, MigPlan *plan);
extern void mig_dependents_readers(Migration *m, MigDependents *d, MigPlan *plan);
extern List *mig_dependents_reader_objects(MigDependents *d);
extern void mig_relation_acl_steps(MigPlan *plan, Oid relid, const char *target,
								   Oid owner);
extern List *mig_text_body_readers(Migration *m, AttrNumber attnum);

/* bodies.c: a function body with a renamed column's old name changed */
extern char *mig_body_rewritten(Oid funcid, Oid relid, const char *from, const char *to,
								List **flags, int *count);
extern void mig_dependents_name_readers(Migration *m, MigDependents *d, MigPlan *plan,
										AttrNumber attnum, const char *name,
										const char *newname);

/* lookup.c: catalog look-ups */
extern Oid	mig_rel_owner(Oid relid);
extern Oid	mig_func_owner(Oid funcid);
extern AttrNumber mig_user_column(Migration *m, const char *name, const char *verb,
								  bool missing_ok);
extern bool mig_attnotnull(Oid relid, AttrNumber attnum);
extern Oid	mig_attcollation(Oid relid, AttrNumber attnum);
extern Node *mig_column_default(Oid relid, AttrNumber attnum);
extern char *mig_rule_name(Oid ruleid);
extern char *mig_trigger_name(Oid trigid);
extern char *mig_policy_name(Oid policyid);
extern char *mig_statistics_name(Oid statid, Oid *owner);
extern const char *mig_privilege_name(AclMode privilege);
extern char *mig_deferrable_clause(Migration *m, const char *conname);
extern bool mig_attrdef_column(Oid attrdefid, Oid *relid, AttrNumber *attnum);

/* expand.c */
extern List *mig_start(Migration *m, const char *name);

/* switch.c */
extern void mig_check_left(Migration *m, bool back);

/*
 * objects.c: the migration's objects and their top-level statements
 * (CREATE INDEX, DROP INDEX and REINDEX CONCURRENTLY), phases with nothing
 * to do
 */
extern MigObject *mig_new_object(Migration *m, MigChange *c, const char *kind,
								 const char *original, const char *created,
								 char *sql);
extern char *mig_object_description(MigObject *o);
extern bool mig_object_toplevel(MigObject *o);
extern bool mig_object_constraint(MigObject *o);
extern char *mig_object_leftover(Migration *m, MigObject *o);
extern bool mig_object_done_already(Migration *m, MigObject *o);
extern bool mig_writes_no_rows(Migration *m);
extern void mig_no_resolve(Migration *m, MigChange *c);
extern void mig_no_steps(Migration *m, MigChange *c, MigPlan *plan);
extern bool mig_no_sync(Migration *m, MigChange *c, MigSyncPair *pair);
extern void mig_no_backfill(Migration *m, MigChange *c, const char *alias,
							StringInfo set, StringInfo todo);
extern void mig_no_verify(Migration *m, MigChange *c, const char *alias,
						  StringInfo wrong);
extern void mig_no_swap(Migration *m, MigChange *c, MigPlan *plan, bool back);
extern bool mig_never_swaps(Migration *m, MigChange *c);
extern bool mig_swaps(Migration *m);
extern void mig_pass_empty_phases(Migration *m);
extern char *mig_constraint_name(Migration *m, const char *colname, const char *label);
extern char *mig_index_name(Migration *m, List *colnames, const char *label);

/* exec.c: running the engine's own SQL */
extern int	mig_exec(Migration *m, const char *sql, MigRole role, Oid owner);
extern int	mig_exec_args(Migration *m, const char *sql, int nargs, char **args,
						  MigRole role, Oid owner);
extern void mig_exec_step(Migration *m, MigStep *step);
extern void mig_exec_toplevel(Migration *m, MigStep *step);
extern void mig_rethrow(ErrorData *edata) pg_attribute_noreturn();
extern void mig_restart_transaction(bool commit, Oid userid, int sec_context);
extern void mig_run_locked(Migration *m, const char *what, List *steps);
extern void mig_run_steps(Migration *m, const char *what, List *steps);
extern void mig_phase(Migration *m, const char *phase,
					  void (*fn) (Migration *m, void *arg), void *arg);
extern Oid	mig_extension_owner(void);
extern void mig_audit(Migration *m, const char *phase, List *steps,
					  const char *failure);
extern void mig_search_path_pinned(void);

#endif							/* SCHEMAGUARD_MIGRATE_INTERNAL_H */

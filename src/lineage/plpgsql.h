/*-------------------------------------------------------------------------
 *
 * plpgsql.h
 *	  What the two files that read PL/pgSQL bodies share: plpgsql.c (names,
 *	  variables and the analysis of each embedded statement) and
 *	  plpgsql_walk.c (the body's tree, in the order it runs).  Nothing else
 *	  includes it.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SCHEMAGUARD_LINEAGE_PLPGSQL_H
#define SCHEMAGUARD_LINEAGE_PLPGSQL_H

#include "postgres.h"

#include "lineage/internal.h"

typedef enum VariableConflict
{
	CONFLICT_ERROR,
	CONFLICT_USE_VARIABLE,
	CONFLICT_USE_COLUMN
} VariableConflict;

typedef struct Variable
{
	char	   *name;
	Oid			typid;			/* UNKNOWNOID if not known */
	int32		typmod;
	bool		is_record;		/* a record or row: name.field is a field */
	bool		is_newold;		/* NEW or OLD of a trigger function */
	bool		loop_scoped;	/* a FOR loop's variable: only inside it */
	List	   *fields;			/* LineageColumn *: its fields, when known */
	DynText    *text;			/* the SQL text it holds, when the body shows it */
} Variable;

typedef struct PlpgsqlContext
{
	const ObjectAddress *dependent; /* the function, or one of its triggers */
	bool		per_trigger;	/* reading NEW and OLD for one trigger */
	bool		trigger_function;
	char	   *funcname;
	List	   *variables;		/* Variable * */
	Variable  **datums;			/* by libpg_query's datum number */
	int			ndatums;
	List	   *labels;			/* block labels, and the function's name */
	int			nargs;
	Oid		   *argtypes;
	VariableConflict conflict;
	Oid			trigger_table;	/* what NEW/OLD are typed as, or InvalidOid */
	List	  **param_sources;	/* what each of our Params stands for */
	int			nparams;
	int			maxparams;
	List	   *edges;
	List	   *columns;		/* LineageColumn *: the last statement's result */
	List	   *runtime_temps;	/* String: tables the body creates as TEMP */
	bool		optimistic;		/* steps in the body's subtransaction (function.c) */
	bool		in_dynamic;		/* analyzing dynamic SQL: $n are USING values */
	bool		used_newold;	/* the statement read NEW or OLD */
	/* read for one trigger: what its TG_ variables hold */
	char	   *tg_table_name;
	char	   *tg_table_schema;
	char	   *tg_name;
	List	   *tg_argv;		/* String */
	const char *case_value;		/* the CASE being walked: its value, if known */
} PlpgsqlContext;

/* An embedded expression and how to parse it. */
typedef enum ExprKind
{
	EXPR_SQL,					/* a whole SQL statement */
	EXPR_ASSIGN,				/* target := expression */
	EXPR_EXPRESSION,			/* an expression */
	EXPR_CONDITION,				/* an expression deciding control flow */
	EXPR_DYNAMIC				/* an expression giving SQL to EXECUTE */
} ExprKind;

/* What a guarded step does, in the subtransaction run_guarded opens. */
typedef void (*GuardedStep) (PlpgsqlContext *cx, void *arg);

/* plpgsql.c */
extern Variable *lineage_pl_find_variable(PlpgsqlContext *cx, const char *name);
extern Variable *lineage_pl_add_variable(PlpgsqlContext *cx, const char *name,
										 Oid typid, bool is_record);
extern List *lineage_pl_relation_fields(Oid relid);
extern ErrorData *lineage_pl_run_guarded(PlpgsqlContext *cx, GuardedStep step,
										 void *arg);
extern ErrorData *lineage_pl_run_step(PlpgsqlContext *cx, GuardedStep step,
									  void *arg);
extern void lineage_pl_analyze_embedded(PlpgsqlContext *cx, const char *text,
										ExprKind kind, Variable *default_of);

/* plpgsql_walk.c */
extern JsonNode *lineage_pl_tree(char *json);
extern void lineage_pl_walk(PlpgsqlContext *cx, JsonNode *tree);

#endif							/* SCHEMAGUARD_LINEAGE_PLPGSQL_H */

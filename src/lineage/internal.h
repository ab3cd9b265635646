/*-------------------------------------------------------------------------
 *
 * internal.h
 *	  Declarations shared by the files of the lineage room only: reading
 *	  query trees, the analyzers of each kind of definition, the notes they
 *	  take of names that do not resolve, the lineage catalog's layout and
 *	  upkeep, and the sealed door to libpg_query.
 *
 * Nothing outside src/lineage/ includes this header (lineage.h is what the
 * room offers).  The analyzers call each other one way only:
 * object.c -> function.c -> plpgsql.c -> query.c; what they all report
 * (notes.c) and read (query.c) calls none of them.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SCHEMAGUARD_LINEAGE_INTERNAL_H
#define SCHEMAGUARD_LINEAGE_INTERNAL_H

#include "postgres.h"

#include "access/htup.h"
#include "catalog/objectaddress.h"
#include "nodes/parsenodes.h"
#include "nodes/pg_list.h"
#include "utils/resowner.h"

#include "schemaguard.h"
#include "lineage/lineage.h"

/* A source and how it is used, without its dependent. */
typedef struct LineageSource
{
	ObjectAddress source;
	LineageUsage usage;
} LineageSource;

/* An output column of a query: its name, type, and what it is made of. */
typedef struct LineageColumn
{
	char	   *name;
	Oid			typid;
	int32		typmod;
	Oid			collid;
	List	   *sources;		/* LineageSource * */
} LineageColumn;

/* query.c */
extern int	lineage_usage_of(Datum value);
extern bool lineage_function_tracked(Oid funcid);
extern bool lineage_namespace_tracked(Oid nspid);
extern List *view_lineage_edges(Oid relid);
extern void lineage_set_param_sources(int base, int count, List **sources);
extern void lineage_set_params_only(bool on);
extern List *query_lineage_edges(Query *query, const ObjectAddress *dependent,
								 bool by_column);
extern List *query_lineage_edges_columns(Query *query,
										 const ObjectAddress *dependent,
										 bool by_column, List **columns);
extern Query *lineage_call_as_select(Query *query);
extern List *expression_lineage_edges(Node *expr, Oid relid,
									  const ObjectAddress *dependent,
									  LineageUsage usage);

/* Attribute numbers of schemaguard.lineage_edge (see the install script). */
#define Natts_lineage_edge				7
#define Anum_edge_source_classid		1
#define Anum_edge_source_objid			2
#define Anum_edge_source_objsubid		3
#define Anum_edge_dependent_classid		4
#define Anum_edge_dependent_objid		5
#define Anum_edge_dependent_objsubid	6
#define Anum_edge_usage					7

/* Attribute numbers of schemaguard.unresolved_reference. */
#define Natts_unresolved				4
#define Anum_unresolved_classid			1
#define Anum_unresolved_objid			2
#define Anum_unresolved_reference		3
#define Anum_unresolved_reason			4

/* store.c */
extern bool lineage_catalog_oids(Oid *table, Oid *source_index,
								 Oid *dependent_index);
extern void lineage_require_catalog(Oid *table, Oid *source_index,
									Oid *dependent_index);
extern Oid	lineage_unresolved_table(Oid *index);
extern bool lineage_has_unresolved(void);
extern List *lineage_unresolved_objects(List *names);
extern void lineage_store_refresh(List *objects);
extern List *lineage_deferred_objects(bool *any);
extern List *lineage_functions_maybe_reading(const ObjectAddress *object);
extern void lineage_store_forget(const ObjectAddress *object, List **readers,
								 bool as_dependent);
extern void lineage_store_forget_vanished(Oid relid);
extern void lineage_store_forget_vanished_class(Oid classid);
extern int64 lineage_store_rebuild(void);

/* origin.c */
extern void lineage_origin_set(void);
extern bool lineage_ensure_current(void);

/*
 * A name an object's definition uses that does not resolve (a table or
 * column that does not exist, yet or any more), or a body that does not
 * parse.
 */
typedef struct UnresolvedRef
{
	ObjectAddress object;
	char	   *reference;
	char	   *reason;
	bool		deferred;		/* not analyzed now: locked (see notes.c) */
} UnresolvedRef;

/*
 * The reason of a name only a temporary relation has (a format: its name):
 * what the server says in any session without it, so that the reason does
 * not go stale when the relation goes (no event says so), and rebuild()
 * in any session stores what upkeep stored.
 */
#define LINEAGE_TEMPORARY_REASON "relation \"%s\" does not exist"

/* The reason of a table the body creates as TEMP and then names. */
#define LINEAGE_RUNTIME_TEMP_REASON "created at run time by this function"

/* The reason of a reference that could not be analyzed now starts so. */
#define LINEAGE_DEFERRED_PREFIX "could not analyze now: "

/* notes.c */
extern void lineage_note_unresolved(const ObjectAddress *object,
									const char *reference, const char *reason);
extern void lineage_note_deferred(const ObjectAddress *object,
								  const char *reference, const char *why);
extern bool lineage_error_is_analysis(const struct ErrorData *edata);
extern struct ErrorData *lineage_catch_error(MemoryContext cxt);
extern void lineage_end_subtransaction(MemoryContext cxt,
									   ResourceOwner owner,
									   struct ErrorData *failed);
extern void lineage_note_error(const ObjectAddress *object,
							   struct ErrorData *edata);
extern void lineage_notes_reset(void);
extern int	lineage_notes_mark(void);
extern void lineage_notes_rewind(int mark);
extern List *lineage_notes_take(void);

/* object.c */
extern List *object_lineage(const ObjectAddress *object, List **owned,
							List **unresolved);
extern Oid	lineage_trigger_function(const ObjectAddress *object);
extern List *lineage_trigger_relations(Oid funcid);
extern List *lineage_all_objects(void);
extern void lineage_catalog_presence(bool on);

/* trigger_args.c */
typedef struct TriggerRow
{
	Oid			relid;
	Oid			funcid;
	char	   *name;
	bool		internal;
	int			nargs;
	char	   *args;			/* nargs NUL-terminated strings, as tgargs */
	List	   *argv;			/* the same as String nodes */
} TriggerRow;

extern bool lineage_trigger_row(Oid trigger, TriggerRow *row);
extern List *trigger_argument_edges(Oid funcid, const char *args, int nargs,
									Oid relid, const ObjectAddress *trigger);

/* function.c */
extern List *function_lineage(Oid funcid, List **owned);
extern List *function_trigger_lineage(Oid funcid, Oid relid,
									  const ObjectAddress *trigger);

/* plpgsql_cursors.c */
extern char *lineage_neutralize_cursors(const char *src, List **loop_records);

/* plpgsql.c */

/* A PL/pgSQL body's tree, as libpg_query gives it (plpgsql_walk.c). */
typedef struct JsonNode JsonNode;

/* What libpg_query made of a body, kept for a second reading of it. */
typedef struct PlpgsqlParse
{
	bool		parsed;
	JsonNode   *tree;			/* its tree, or NULL: see error */
	char	   *error;
	List	   *loop_records;	/* String: records of cursor FOR loops */
} PlpgsqlParse;

extern List *plpgsql_body_edges(HeapTuple proctup, const ObjectAddress *dependent,
								Oid trigger_table, bool per_trigger,
								PlpgsqlParse *parse, bool optimistic);

/* names.c */
typedef enum BindResult
{
	BIND_OK,					/* analyze it */
	BIND_LOCKED,				/* a relation it names is locked by another transaction */
	BIND_RUNTIME_TEMP,			/* it names a table the body creates as TEMP */
	BIND_TEMPORARY				/* it names a relation only a temporary one has */
} BindResult;

/* What a raw column reference is to the caller of lineage_raw_name_edges(). */
typedef enum RawRef
{
	RAWREF_NAME,				/* not known to the caller: match it */
	RAWREF_VARIABLE,			/* a variable: no column */
	RAWREF_COLUMN				/* a column standing behind a variable */
} RawRef;
typedef RawRef (*RawRefHook) (ColumnRef *cref, void *arg, Oid *relid,
							  AttrNumber *attnum);

extern BindResult lineage_bind_relations(Node *stmt, List *runtime_temps,
										 char **name);
extern List *lineage_runtime_temp_tables(const char *source);
extern List *lineage_raw_name_edges(Node *stmt, const ObjectAddress *dependent,
									RawRefHook ref_hook, void *hook_arg,
									bool variables_only);

/* dynamic_sql.c */
#define DYNTEXT_MAX 8
#define LINEAGE_DYNAMIC_PLACEHOLDER "schemaguard_dynamic"

/* The texts a dynamic statement can run: alternatives, each maybe literal. */
typedef struct DynText
{
	int			n;
	char	   *text[DYNTEXT_MAX];
	bool		literal[DYNTEXT_MAX];	/* no placeholder in it */
} DynText;

/* The text a variable holds, when the body shows it (else NULL). */
typedef DynText *(*DynVarHook) (ColumnRef *cref, void *arg);

extern DynText *lineage_dynamic_text(Node *expr, DynVarHook hook, void *arg);
extern bool lineage_dynamic_text_opaque(const DynText *d);

/* pg_query_sealed.c */
extern char *lineage_parse_plpgsql(const char *create_function, char **error);

#endif							/* SCHEMAGUARD_LINEAGE_INTERNAL_H */

/*-------------------------------------------------------------------------
 *
 * schemaguard.h
 *	  Declarations shared by the schemaguard modules: the lineage edge,
 *	  its usage kinds, and the entry points each module offers the others.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SCHEMAGUARD_H
#define SCHEMAGUARD_H

#include "postgres.h"

#include "access/htup.h"
#include "catalog/objectaddress.h"
#include "nodes/parsenodes.h"
#include "nodes/pg_list.h"

/* The extension's fixed schema (schemaguard.control: relocatable = false). */
#define SCHEMAGUARD_SCHEMA "schemaguard"

/*
 * How a dependent uses a source column, named as OpenLineage names them.
 * The first three are "direct" (the value flows into the dependent) and are
 * ordered: composing two direct usages keeps the stronger one.  The rest are
 * "indirect": the column shapes which rows exist or which branch is taken,
 * without its value being output.
 */
typedef enum LineageUsage
{
	USAGE_IDENTITY = 0,
	USAGE_TRANSFORMATION,
	USAGE_AGGREGATION,
	USAGE_CONDITIONAL,
	USAGE_FILTER,
	USAGE_JOIN,
	USAGE_GROUP_BY,
	USAGE_SORT,
	USAGE_WINDOW,
	USAGE_WRITE,				/* assigned by INSERT/UPDATE/MERGE */
	USAGE_CALL,					/* source is a function the dependent calls */
	USAGE_DYNAMIC				/* named by dynamic SQL: opaque */
} LineageUsage;

#define LINEAGE_NUM_USAGES	(USAGE_DYNAMIC + 1)
#define USAGE_IS_DIRECT(u)	((u) <= USAGE_AGGREGATION)

extern const char *const lineage_usage_names[];

/*
 * One stored edge: source -> dependent object [column].  The source is a
 * column (pg_class, relation, attnum), a relation as a whole (attnum 0:
 * dynamic SQL naming it), or a function (pg_proc, oid, 0) the dependent
 * calls.  A dependent objsubid of 0 means the dependent as a whole (e.g. a
 * view that filters on the column without outputting it, a trigger, a
 * function).
 */
typedef struct LineageEdge
{
	ObjectAddress source;
	ObjectAddress dependent;
	LineageUsage usage;
} LineageEdge;

/* Compared with memcmp (lineage/object.c): it must have no padding. */
StaticAssertDecl(sizeof(LineageEdge) == 2 * sizeof(ObjectAddress) + sizeof(LineageUsage),
				 "LineageEdge must not have padding");

/* lineage/query.c */
extern bool lineage_function_tracked(Oid funcid);
extern bool lineage_namespace_tracked(Oid nspid);
extern List *view_lineage_edges(Oid relid);
extern void lineage_set_param_columns(int base, int count,
									  const ObjectAddress *columns);
extern List *query_lineage_edges(Query *query, const ObjectAddress *dependent,
								 bool by_column);
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

/* lineage/store.c */
extern bool lineage_catalog_oids(Oid *table, Oid *source_index,
								 Oid *dependent_index);
extern void lineage_require_catalog(Oid *table, Oid *source_index,
									Oid *dependent_index);
extern Oid	lineage_unresolved_table(Oid *index);
extern List *lineage_functions_reading(const ObjectAddress *object);
extern List *lineage_functions_called_by(const ObjectAddress *object);
extern List *lineage_dependents(const ObjectAddress *source);
extern bool lineage_has_unresolved(void);
extern List *lineage_unresolved_objects(List *names);
extern void lineage_store_refresh(List *objects);
extern void lineage_store_forget(const ObjectAddress *object);
extern void lineage_store_forget_vanished(Oid relid);
extern int64 lineage_store_rebuild(void);

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
} UnresolvedRef;

/* lineage/object.c */
extern List *object_lineage(const ObjectAddress *object, List **owned,
							List **unresolved);
extern void lineage_note_unresolved(const ObjectAddress *object,
									const char *reference, const char *reason);
extern void lineage_note_error(const ObjectAddress *object,
							   struct ErrorData *edata);
extern ObjectAddress lineage_owner(const ObjectAddress *object);
extern Oid	lineage_trigger_function(const ObjectAddress *object);
extern Oid	lineage_object_schema(const ObjectAddress *object);
extern List *lineage_all_objects(void);

/* lineage/function.c */
extern List *function_lineage(Oid funcid, List **owned);

/* lineage/plpgsql.c */
extern List *plpgsql_body_edges(HeapTuple proctup, const ObjectAddress *function);

/* lineage/pg_query_sealed.c */
extern char *lineage_parse_plpgsql(const char *create_function, char **error);

/* lineage/target.c */
extern void lineage_resolve_target(const char *target, Oid *relid,
								   AttrNumber *attnum);
extern int	lineage_relation_attributes(Oid relid, AttrNumber **attnums,
										char ***names);
extern List *lineage_relation_columns(Oid relid);

#endif							/* SCHEMAGUARD_H */

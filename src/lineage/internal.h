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

#include "schemaguard.h"
#include "lineage/lineage.h"

/* query.c */
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

/* store.c */
extern bool lineage_catalog_oids(Oid *table, Oid *source_index,
								 Oid *dependent_index);
extern void lineage_require_catalog(Oid *table, Oid *source_index,
									Oid *dependent_index);
extern Oid	lineage_unresolved_table(Oid *index);
extern bool lineage_has_unresolved(void);
extern List *lineage_unresolved_objects(List *names);
extern void lineage_store_refresh(List *objects);
extern void lineage_store_forget(const ObjectAddress *object);
extern void lineage_store_forget_vanished(Oid relid);
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
} UnresolvedRef;

/* notes.c */
extern void lineage_note_unresolved(const ObjectAddress *object,
									const char *reference, const char *reason);
extern void lineage_note_error(const ObjectAddress *object,
							   struct ErrorData *edata);
extern void lineage_notes_reset(void);
extern List *lineage_notes_take(void);

/* object.c */
extern List *object_lineage(const ObjectAddress *object, List **owned,
							List **unresolved);
extern Oid	lineage_trigger_function(const ObjectAddress *object);
extern List *lineage_all_objects(void);

/* function.c */
extern List *function_lineage(Oid funcid, List **owned);

/* plpgsql.c */
extern List *plpgsql_body_edges(HeapTuple proctup, const ObjectAddress *function);

/* pg_query_sealed.c */
extern char *lineage_parse_plpgsql(const char *create_function, char **error);

#endif							/* SCHEMAGUARD_LINEAGE_INTERNAL_H */

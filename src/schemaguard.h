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
	USAGE_WINDOW
} LineageUsage;

#define LINEAGE_NUM_USAGES	(USAGE_WINDOW + 1)
#define USAGE_IS_DIRECT(u)	((u) <= USAGE_AGGREGATION)

extern const char *const lineage_usage_names[LINEAGE_NUM_USAGES];

/*
 * One stored edge: source column -> dependent object [column].  A dependent
 * objsubid of 0 means the dependent as a whole (e.g. a view that filters on
 * the column without outputting it).
 */
typedef struct LineageEdge
{
	Oid			source_relid;
	AttrNumber	source_attnum;
	Oid			dep_classid;
	Oid			dep_objid;
	int32		dep_objsubid;
	LineageUsage usage;
} LineageEdge;

/* view_lineage.c */
extern bool view_lineage_tracked(Oid relid);
extern List *view_lineage_edges(Oid relid);

/* Attribute numbers of schemaguard.column_edge (see the install script). */
#define Natts_column_edge				6
#define Anum_edge_source_relid			1
#define Anum_edge_source_attnum			2
#define Anum_edge_dependent_classid		3
#define Anum_edge_dependent_objid		4
#define Anum_edge_dependent_objsubid	5
#define Anum_edge_usage					6

/* lineage_store.c */
extern bool lineage_catalog_oids(Oid *table, Oid *source_index,
								 Oid *dependent_index);
extern void lineage_store_refresh_relations(List *relids);
extern void lineage_store_forget(Oid relid, AttrNumber attnum);
extern int64 lineage_store_rebuild(void);

/* target.c */
extern void lineage_resolve_target(const char *target, Oid *relid,
								   AttrNumber *attnum);
extern int	lineage_relation_attributes(Oid relid, AttrNumber **attnums,
										char ***names);
extern List *lineage_relation_columns(Oid relid);

#endif							/* SCHEMAGUARD_H */

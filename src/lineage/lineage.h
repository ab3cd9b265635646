/*-------------------------------------------------------------------------
 *
 * lineage.h
 *	  What the lineage room offers the rest of schemaguard: the edge and
 *	  its usage kinds, and the questions other rooms may ask of the lineage
 *	  catalog (who depends on an object, which object owns a catalog entry,
 *	  in which schema an object lives, what a target name means).
 *
 * The guard and the migration engine include this header and no other of
 * src/lineage/; the files of the room share internal.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SCHEMAGUARD_LINEAGE_H
#define SCHEMAGUARD_LINEAGE_H

#include "postgres.h"

#include "catalog/objectaddress.h"
#include "nodes/pg_list.h"

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

/* query.c */
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

/* Compared with memcmp (object.c): it must have no padding. */
StaticAssertDecl(sizeof(LineageEdge) == 2 * sizeof(ObjectAddress) + sizeof(LineageUsage),
				 "LineageEdge must not have padding");

/* ddl_events.c: called by the ProcessUtility hook before and after a statement runs */
extern void lineage_before_utility(Node *parsetree);
extern void lineage_after_utility(Node *parsetree);

/* store.c: what the catalog says about an object */
extern List *lineage_dependents(const ObjectAddress *source);
extern List *lineage_functions_reading(const ObjectAddress *object);
extern List *lineage_functions_called_by(const ObjectAddress *object);

/* object.c: catalog entries and their owners */
extern ObjectAddress lineage_owner(const ObjectAddress *object);
extern Oid	lineage_object_schema(const ObjectAddress *object);
extern bool lineage_names_by_text(const ObjectAddress *dependent,
								  const ObjectAddress *source);

/* dependents.c: for the migration engine */
typedef struct LineageReader
{
	ObjectAddress object;		/* with its sub-object (a column), if any */
	LineageUsage usage;
} LineageReader;

extern List *lineage_column_readers(Oid relid, AttrNumber attnum);
extern void lineage_refresh_objects(List *objects);

/*
 * pg_query_sealed.c: a text's tokens as PostgreSQL's scanner reads them
 * (libpg_query), with their byte offsets: to change a name at the exact
 * places the parser sees it, never by a text search.
 */
typedef enum LineageTokenKind
{
	LINEAGE_TOKEN_NAME,			/* identifier, or keyword that is not reserved */
	LINEAGE_TOKEN_STRING,
	LINEAGE_TOKEN_COMMENT,
	LINEAGE_TOKEN_DOT,
	LINEAGE_TOKEN_OTHER
} LineageTokenKind;

typedef struct LineageToken
{
	int			start;			/* byte offsets: [start, end) */
	int			end;
	LineageTokenKind kind;
} LineageToken;

extern LineageToken *lineage_scan(const char *text, int *ntokens, char **error);

/* target.c: names as impact_of() resolves them */
extern void lineage_resolve_target(const char *target, Oid *relid,
								   AttrNumber *attnum);
extern int	lineage_relation_attributes(Oid relid, AttrNumber **attnums,
										char ***names);
extern List *lineage_relation_columns(Oid relid);

/*
 * impact.c: the rows of impact_of() and lineage_of() as data.  A node is
 * a column (pg_class, relation, attnum) or an object as a whole (objsubid
 * 0): a function, a view used as a whole, a trigger, an index...
 */
typedef struct LineageNode
{
	ObjectAddress address;
	const char *type;			/* pg_identify_object's type of the object */
	const char *identity;		/* its identity (of the object as a whole) */
	const char *column;			/* the column's name; NULL for a whole */
	const char *name;			/* as "via" shows it: identity[.column] */
	char		relkind;		/* relations: pg_class.relkind; else '\0' */
	bool		visible;		/* the caller may see its schema */
} LineageNode;

typedef struct LineageImpactRow
{
	int			depth;
	const char *usage;			/* one of lineage_usage_names */
	LineageNode object;			/* the dependent (upstream: the source) */
	LineageNode via;			/* reached from; not to be named unless visible */
} LineageImpactRow;

extern LineageImpactRow *lineage_walk(Oid relid, AttrNumber attnum,
									  int max_depth, bool downstream,
									  int *nrows);
extern int	lineage_check_max_depth(int32 max_depth);

#endif							/* SCHEMAGUARD_LINEAGE_H */

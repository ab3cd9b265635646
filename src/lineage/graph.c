/*-------------------------------------------------------------------------
 *
 * graph.c
 *	  impact_graph(): what impact_of() answers, as a picture to render,
 *	  in Graphviz DOT or as a Mermaid flowchart.
 *
 * Each relation reached (the target's table, views, materialized views; not
 * indexes) is a cluster (DOT) or subgraph (Mermaid) holding its columns as nodes, and a
 * node for the relation as a whole where it is used as a whole (a view that
 * filters on a column without outputting it).  Every other dependent is a
 * node of its own, shaped by its kind: functions, triggers, policies,
 * indexes, constraints, defaults, statistics objects, rules.  Each row of
 * impact_of() is an edge from its "via" to its object, labelled with the
 * usage; indirect usages (the column shapes rows or branches) are dashed.
 *
 * The rows are impact_of()'s own (lineage_walk), so the picture shows what
 * the caller may see and nothing else: a "via" in a schema the caller cannot
 * see is one anonymous node.  Every name is escaped for the output format:
 * DOT labels are quoted strings in which '"' and '\' are escaped, newlines
 * become line breaks and '&' and control characters HTML entities (which
 * Graphviz decodes in labels); Mermaid labels are quoted strings with
 * Mermaid's entity codes for every character its syntax or HTML labels
 * would take as markup.  Node identifiers are generated (n1, n2, ...), never
 * names.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_class.h"
#include "catalog/pg_proc.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"

#include "lineage/internal.h"

typedef enum GraphFormat
{
	GRAPH_DOT,
	GRAPH_MERMAID
} GraphFormat;

/* One node: a column, a relation as a whole, or another object. */
typedef struct GraphNode
{
	ObjectAddress key;			/* hash key */
	int			id;				/* n<id> */
	int			cluster;		/* 0: none; else c<cluster> */
	char	   *label;
	const char *kind;			/* pg_identify_object type, or NULL (hidden) */
	bool		is_column;
	bool		is_target;
} GraphNode;

typedef struct GraphCluster
{
	Oid			relid;			/* hash key */
	int			id;
	char	   *label;
	List	   *nodes;			/* GraphNode, in order of appearance */
} GraphCluster;

typedef struct GraphEdge
{
	int			from;
	int			to;
	const char *usage;
} GraphEdge;

typedef struct Graph
{
	HTAB	   *nodes;
	HTAB	   *clusters;
	List	   *cluster_order;	/* GraphCluster */
	List	   *free_nodes;		/* GraphNode outside clusters */
	int			nnodes;
	int			nclusters;
	GraphEdge  *edges;
	int			nedges;
	int			maxedges;
	HTAB	   *edge_set;		/* GraphEdgeKey: each edge once */
} Graph;

typedef struct GraphEdgeKey
{
	int			from;
	int			to;
	const char *usage;			/* one of lineage_usage_names: compared as a pointer */
} GraphEdgeKey;

/* The node standing for every "via" the caller may not see. */
static const ObjectAddress hidden_key = {InvalidOid, InvalidOid, -1};

static GraphCluster *
graph_cluster(Graph *g, const LineageNode *n)
{
	GraphCluster *c;
	bool		found;

	c = hash_search(g->clusters, &n->address.objectId, HASH_ENTER, &found);
	if (!found)
	{
		c->id = ++g->nclusters;
		c->label = psprintf("%s %s", n->type, n->identity);
		c->nodes = NIL;
		g->cluster_order = lappend(g->cluster_order, c);
	}
	return c;
}

/* The graph's node for one end of a row, made on first sight. */
static GraphNode *
graph_node(Graph *g, const LineageNode *n, bool is_target)
{
	ObjectAddress key = n->visible ? n->address : hidden_key;
	GraphNode  *node;
	bool		found;

	node = hash_search(g->nodes, &key, HASH_ENTER, &found);
	if (found)
	{
		node->is_target |= is_target;
		return node;
	}
	node->id = ++g->nnodes;
	node->cluster = 0;
	node->is_target = is_target;
	node->is_column = false;
	node->kind = NULL;
	if (!n->visible)
	{
		node->label = "(objects you may not see)";
		g->free_nodes = lappend(g->free_nodes, node);
	}
	else if (n->address.classId == RelationRelationId &&
			 n->relkind != RELKIND_INDEX && n->relkind != RELKIND_PARTITIONED_INDEX)
	{
		GraphCluster *c = graph_cluster(g, n);

		node->cluster = c->id;
		node->kind = n->type;
		node->is_column = (n->column != NULL);
		node->label = n->column ? pstrdup(n->column)
			: psprintf("(the %s as a whole)", n->type);
		c->nodes = lappend(c->nodes, node);
	}
	else
	{
		node->kind = n->type;
		node->label = psprintf("%s\n%s", n->type, n->identity);
		g->free_nodes = lappend(g->free_nodes, node);
	}
	return node;
}

static void
graph_edge(Graph *g, int from, int to, const char *usage)
{
	GraphEdgeKey key;
	bool		found;

	memset(&key, 0, sizeof(key));
	key.from = from;
	key.to = to;
	key.usage = usage;
	(void) hash_search(g->edge_set, &key, HASH_ENTER, &found);
	if (found)
		return;
	if (g->nedges >= g->maxedges)
	{
		g->maxedges = Max(g->maxedges * 2, 64);
		g->edges = g->edges ? repalloc(g->edges, sizeof(GraphEdge) * g->maxedges)
			: palloc(sizeof(GraphEdge) * g->maxedges);
	}
	g->edges[g->nedges].from = from;
	g->edges[g->nedges].to = to;
	g->edges[g->nedges].usage = usage;
	g->nedges++;
}

/* Build the graph of impact_of(relid[.attnum]). */
static void
build_graph(Graph *g, Oid relid, AttrNumber attnum, int max_depth)
{
	HASHCTL		ctl;
	LineageImpactRow *rows;
	int			nrows;
	int			i;

	memset(g, 0, sizeof(*g));
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(ObjectAddress);
	ctl.entrysize = sizeof(GraphNode);
	ctl.hcxt = CurrentMemoryContext;
	g->nodes = hash_create("schemaguard graph nodes", 256, &ctl,
						   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(GraphCluster);
	g->clusters = hash_create("schemaguard graph clusters", 64, &ctl,
							  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	ctl.keysize = sizeof(GraphEdgeKey);
	ctl.entrysize = sizeof(GraphEdgeKey);
	g->edge_set = hash_create("schemaguard graph edges", 256, &ctl,
							  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);

	rows = lineage_walk(relid, attnum, max_depth, true, &nrows);

	/*
	 * The target first: its column, or the relation as a whole when it has
	 * no dependent at all (its columns with dependents come with the rows).
	 */
	if (attnum > 0 || nrows == 0)
	{
		LineageNode target;
		ObjectAddress address;

		memset(&target, 0, sizeof(target));
		ObjectAddressSet(address, RelationRelationId, relid);
		target.type = getObjectTypeDescription(&address, false);
		target.identity = getObjectIdentity(&address, false);
		address.objectSubId = attnum;
		target.address = address;
		target.visible = true;
		target.column = attnum > 0 ? get_attname(relid, attnum, false) : NULL;
		(void) graph_node(g, &target, true);
	}

	for (i = 0; i < nrows; i++)
	{
		LineageImpactRow *row = &rows[i];
		bool		from_target = row->depth == 1 &&
			row->via.address.classId == RelationRelationId &&
			row->via.address.objectId == relid;
		GraphNode  *from = graph_node(g, &row->via, from_target);
		GraphNode  *to = graph_node(g, &row->object, false);

		graph_edge(g, from->id, to->id, row->usage);
	}
}

/* A usage that shapes rows or branches rather than passing a value on. */
static bool
usage_indirect(const char *usage)
{
	int			i;

	for (i = 0; i <= USAGE_AGGREGATION; i++)
		if (strcmp(usage, lineage_usage_names[i]) == 0)
			return false;
	return strcmp(usage, lineage_usage_names[USAGE_CALL]) != 0 &&
		strcmp(usage, lineage_usage_names[USAGE_WRITE]) != 0;
}

/*
 * A DOT quoted string for a label: '"' and '\' escaped, a newline a line
 * break, '&' and other control characters HTML entities.
 */
static void
dot_quote(StringInfo buf, const char *s)
{
	appendStringInfoChar(buf, '"');
	for (; *s; s++)
	{
		unsigned char c = (unsigned char) *s;

		if (c == '"' || c == '\\')
		{
			appendStringInfoChar(buf, '\\');
			appendStringInfoChar(buf, c);
		}
		else if (c == '\n')
			appendStringInfoString(buf, "\\n");
		else if (c == '&' || c < 0x20 || c == 0x7f)
			appendStringInfo(buf, "&#%d;", c);
		else
			appendStringInfoChar(buf, c);
	}
	appendStringInfoChar(buf, '"');
}

/*
 * A Mermaid quoted string: everything Mermaid's grammar or its HTML labels
 * could read as syntax becomes an entity code (#quot;, #35; ...); a newline
 * a <br>.
 */
static void
mermaid_quote(StringInfo buf, const char *s)
{
	appendStringInfoChar(buf, '"');
	for (; *s; s++)
	{
		unsigned char c = (unsigned char) *s;

		if (c == '\n')
			appendStringInfoString(buf, "<br>");
		else if (c == '"')
			appendStringInfoString(buf, "#quot;");
		else if (c < 0x20 || c == 0x7f || strchr("#&<>`;|\\", c) != NULL)
			appendStringInfo(buf, "#%d;", c);
		else
			appendStringInfoChar(buf, c);
	}
	appendStringInfoChar(buf, '"');
}

/* Graphviz shape of a node, by the kind of object. */
static const char *
dot_shape(const GraphNode *node)
{
	const char *kind = node->kind;

	if (kind == NULL)
		return "shape=box, style=dotted";
	if (node->cluster)
		return node->is_column ? "shape=box" : "shape=box, style=dashed";
	if (strcmp(kind, "function") == 0 || strcmp(kind, "procedure") == 0)
		return "shape=component";
	if (strcmp(kind, "trigger") == 0)
		return "shape=hexagon";
	if (strcmp(kind, "policy") == 0)
		return "shape=house";
	if (strcmp(kind, "index") == 0)
		return "shape=cylinder";
	if (strcmp(kind, "table constraint") == 0 || strcmp(kind, "domain constraint") == 0)
		return "shape=diamond";
	if (strcmp(kind, "default value") == 0)
		return "shape=note";
	if (strcmp(kind, "statistics object") == 0)
		return "shape=tab";
	if (strcmp(kind, "rule") == 0)
		return "shape=parallelogram";
	return "shape=ellipse";
}

/* Mermaid's opening and closing of a node's shape. */
static void
mermaid_shape(const GraphNode *node, const char **open, const char **close)
{
	const char *kind = node->kind;

	*open = "[";
	*close = "]";
	if (kind == NULL || (node->cluster && !node->is_column))
	{
		*open = "(";
		*close = ")";
	}
	else if (node->cluster)
		return;
	else if (strcmp(kind, "function") == 0 || strcmp(kind, "procedure") == 0)
	{
		*open = "[[";
		*close = "]]";
	}
	else if (strcmp(kind, "trigger") == 0)
	{
		*open = "{{";
		*close = "}}";
	}
	else if (strcmp(kind, "policy") == 0)
	{
		*open = ">";
		*close = "]";
	}
	else if (strcmp(kind, "index") == 0)
	{
		*open = "[(";
		*close = ")]";
	}
	else if (strcmp(kind, "table constraint") == 0 || strcmp(kind, "domain constraint") == 0)
	{
		*open = "{";
		*close = "}";
	}
	else if (strcmp(kind, "default value") == 0)
	{
		*open = "([";
		*close = "])";
	}
	else if (strcmp(kind, "statistics object") == 0)
	{
		*open = "[/";
		*close = "\\]";
	}
	else if (strcmp(kind, "rule") == 0)
	{
		*open = "[/";
		*close = "/]";
	}
	else
	{
		*open = "((";
		*close = "))";
	}
}

static void
dot_node(StringInfo buf, const GraphNode *node, const char *indent)
{
	appendStringInfo(buf, "%sn%d [label=", indent, node->id);
	dot_quote(buf, node->label);
	appendStringInfo(buf, ", %s%s];\n", dot_shape(node),
					 node->is_target ? ", penwidth=2, color=\"#c0392b\"" : "");
}

static char *
graph_dot(Graph *g)
{
	StringInfoData buf;
	ListCell   *lc;
	int			i;

	initStringInfo(&buf);
	appendStringInfoString(&buf,
						   "digraph impact {\n"
						   "  rankdir=LR;\n"
						   "  graph [fontname=\"Helvetica\", fontsize=11];\n"
						   "  node [fontname=\"Helvetica\", fontsize=10];\n"
						   "  edge [fontname=\"Helvetica\", fontsize=9];\n");
	foreach(lc, g->cluster_order)
	{
		GraphCluster *c = lfirst(lc);
		ListCell   *ln;

		appendStringInfo(&buf, "  subgraph cluster_%d {\n    label=", c->id);
		dot_quote(&buf, c->label);
		appendStringInfoString(&buf, ";\n    style=rounded;\n");
		foreach(ln, c->nodes)
			dot_node(&buf, lfirst(ln), "    ");
		appendStringInfoString(&buf, "  }\n");
	}
	foreach(lc, g->free_nodes)
		dot_node(&buf, lfirst(lc), "  ");
	for (i = 0; i < g->nedges; i++)
		appendStringInfo(&buf, "  n%d -> n%d [label=\"%s\"%s];\n",
						 g->edges[i].from, g->edges[i].to, g->edges[i].usage,
						 usage_indirect(g->edges[i].usage) ? ", style=dashed" : "");
	appendStringInfoString(&buf, "}\n");
	return buf.data;
}

static void
mermaid_node(StringInfo buf, const GraphNode *node, const char *indent)
{
	const char *open;
	const char *close;

	mermaid_shape(node, &open, &close);
	appendStringInfo(buf, "%sn%d%s", indent, node->id, open);
	mermaid_quote(buf, node->label);
	appendStringInfo(buf, "%s\n", close);
}

static char *
graph_mermaid(Graph *g)
{
	StringInfoData buf;
	ListCell   *lc;
	int			i;
	bool		any_target = false;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "flowchart LR\n");
	foreach(lc, g->cluster_order)
	{
		GraphCluster *c = lfirst(lc);
		ListCell   *ln;

		appendStringInfo(&buf, "  subgraph c%d[", c->id);
		mermaid_quote(&buf, c->label);
		appendStringInfoString(&buf, "]\n");
		foreach(ln, c->nodes)
		{
			GraphNode  *node = lfirst(ln);

			mermaid_node(&buf, node, "    ");
			any_target |= node->is_target;
		}
		appendStringInfoString(&buf, "  end\n");
	}
	foreach(lc, g->free_nodes)
		mermaid_node(&buf, lfirst(lc), "  ");
	for (i = 0; i < g->nedges; i++)
		appendStringInfo(&buf, "  n%d %s|%s| n%d\n", g->edges[i].from,
						 usage_indirect(g->edges[i].usage) ? "-.->" : "-->",
						 g->edges[i].usage, g->edges[i].to);
	if (any_target)
	{
		bool		first = true;

		appendStringInfoString(&buf, "  classDef target stroke:#c0392b,stroke-width:2px\n  class ");
		foreach(lc, g->cluster_order)
		{
			ListCell   *ln;

			foreach(ln, ((GraphCluster *) lfirst(lc))->nodes)
			{
				GraphNode  *node = lfirst(ln);

				if (!node->is_target)
					continue;
				appendStringInfo(&buf, "%sn%d", first ? "" : ",", node->id);
				first = false;
			}
		}
		appendStringInfoString(&buf, " target\n");
	}
	return buf.data;
}

PG_FUNCTION_INFO_V1(schemaguard_impact_graph);

/*
 * impact_graph(target text, format text, max_depth int) : the picture of
 * impact_of(target, max_depth), as Graphviz DOT ('dot') or a Mermaid
 * flowchart ('mermaid').
 */
Datum
schemaguard_impact_graph(PG_FUNCTION_ARGS)
{
	GraphFormat format;
	const char *name;
	int			max_depth = 0;
	Oid			relid;
	AttrNumber	attnum;
	Graph		g;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("format must not be null"),
				 errhint("Pass 'dot' or 'mermaid'.")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(1));
	if (pg_strcasecmp(name, "dot") == 0)
		format = GRAPH_DOT;
	else if (pg_strcasecmp(name, "mermaid") == 0)
		format = GRAPH_MERMAID;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown graph format \"%s\"", name),
				 errhint("Pass 'dot' (Graphviz) or 'mermaid' (a Mermaid flowchart).")));
	if (!PG_ARGISNULL(2))
		max_depth = lineage_check_max_depth(PG_GETARG_INT32(2));

	lineage_resolve_target(text_to_cstring(PG_GETARG_TEXT_PP(0)), &relid, &attnum);
	build_graph(&g, relid, attnum, max_depth);
	PG_RETURN_TEXT_P(cstring_to_text(format == GRAPH_DOT ? graph_dot(&g)
									 : graph_mermaid(&g)));
}

/*-------------------------------------------------------------------------
 *
 * plpgsql_walk.c
 *	  The tree of a PL/pgSQL body, as libpg_query gives it in JSON, walked
 *	  in the order the function runs it, for plpgsql.c.
 *
 * libpg_query gives each node as {"PLpgSQL_<type>": {fields}}, read here
 * once into a tree whose objects keep their keys in jsonb's order (see "The
 * JSON tree"), so a statement's fields are visited in the order PL/pgSQL
 * evaluates them: its expressions before its body, a FOR loop's query
 * before the loop's record is read.
 * First the variables libpg_query lists are declared with their types
 * (and FOR i IN 1..n variables marked), then the DECLARE defaults and
 * declared cursors' queries are analyzed, then the body.  Each PLpgSQL_expr
 * goes to plpgsql.c's analysis with the way it is parsed, decided by where
 * it stands.  A record filled by a statement's query gets that query's
 * columns.  Read for one trigger, IF and CASE branches that its table
 * never takes are left out (see "Branches by table").
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "access/genam.h"
#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_type.h"
#include "parser/parser.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/regproc.h"

#include "lineage/internal.h"
#include "lineage/plpgsql.h"

/* Where an embedded expression stands decides how it is parsed. */
static ExprKind
expression_kind(const char *statement, const char *field)
{
	if (strcmp(field, "cursor_explicit_expr") == 0)
		return EXPR_SQL;		/* c CURSOR FOR query, in a declaration */
	if (statement == NULL)
		return EXPR_EXPRESSION;
	if (strcmp(statement, "PLpgSQL_stmt_assign") == 0)
		return EXPR_ASSIGN;
	if (strcmp(field, "dynquery") == 0 ||
		(strcmp(field, "query") == 0 &&
		 (strcmp(statement, "PLpgSQL_stmt_dynexecute") == 0 ||
		  strcmp(statement, "PLpgSQL_stmt_dynfors") == 0)))
		return EXPR_DYNAMIC;
	if (strcmp(field, "sqlstmt") == 0 || strcmp(field, "query") == 0 ||
		strcmp(statement, "PLpgSQL_stmt_perform") == 0 ||
		strcmp(statement, "PLpgSQL_stmt_call") == 0)
		return EXPR_SQL;		/* PERFORM's text is stored as SELECT ...;
								 * CALL's as CALL ... */
	if (strcmp(field, "cond") == 0 || strcmp(field, "t_expr") == 0 ||
		(strcmp(field, "expr") == 0 && strcmp(statement, "PLpgSQL_stmt_case") == 0))
		return EXPR_CONDITION;
	return EXPR_EXPRESSION;
}

/*
 * The JSON tree
 *
 * libpg_query gives each node as {"PLpgSQL_<type>": {fields}}.  The JSON is
 * read once, in one pass, into a tree of JsonNode: arrays keep their order,
 * an object's keys are sorted as jsonb sorts them (shorter first, then
 * bytewise; of a key given twice the last value wins), so that a
 * statement's fields are visited in the order PL/pgSQL runs them
 * (key_order), the rest after, in jsonb's order.  Strings are unescaped as
 * the server's JSON parser unescapes them (\uXXXX to the database's
 * encoding), in place in the text libpg_query gave.  Walking the tree reads
 * no JSON again and copies nothing; a body read a second time (function.c's
 * body_lineage) is walked from the same tree.
 */

typedef enum JsonKind
{
	JSON_OBJECT,
	JSON_ARRAY,
	JSON_STRING,
	JSON_NUMBER,
	JSON_OTHER					/* true, false, null */
} JsonKind;

typedef struct JsonField
{
	char	   *key;
	JsonNode   *value;
	int			keylen;
	int			order;			/* as given, for keys given twice */
} JsonField;

struct JsonNode
{
	JsonKind	kind;
	char	   *scalar;			/* a string's value, a number's text */
	int			n;				/* fields of an object, items of an array */
	JsonField  *fields;
	JsonNode  **items;
};

static bool
is_container(const JsonNode *node)
{
	return node->kind == JSON_OBJECT || node->kind == JSON_ARRAY;
}

/* The JSON text being read (unescaped in place), and nodes to hand out. */
typedef struct JsonReader
{
	char	   *json;
	JsonNode   *free;			/* nodes allocated and not handed out yet */
	int			nfree;
} JsonReader;

static pg_attribute_noreturn() void
json_invalid(JsonReader *r, const char *at)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("libpg_query gave a PL/pgSQL tree that is not valid JSON"),
			 errdetail("Unexpected input at byte %d.", (int) (at - r->json)),
			 errhint("Install the libpg_query schemaguard was built for (Debian package libpg-query-dev).")));
}

static JsonNode *
json_node(JsonReader *r, JsonKind kind)
{
	if (r->nfree == 0)
	{
		r->nfree = 64;
		r->free = palloc0(sizeof(JsonNode) * r->nfree);
	}
	r->nfree--;
	r->free->kind = kind;
	return r->free++;
}

static char *
json_space(char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

static int
json_hex4(JsonReader *r, const char *p)
{
	int			v = 0;
	int			i;

	for (i = 0; i < 4; i++)
	{
		char		c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			json_invalid(r, p + i);
	}
	return v;
}

/*
 * A string; *pp is at its opening quote, and is left after the closing one.
 * It is unescaped in place (what an escape stands for is never longer than
 * the escape) and ended with a NUL where its closing quote was.
 */
static char *
json_string(JsonReader *r, char **pp)
{
	char	   *start = *pp + 1;
	char	   *p = start;
	char	   *out;

	/* most strings have no escape */
	while (*p != '"' && *p != '\\' && *p != '\0')
		p++;
	out = p;
	for (;;)
	{
		if (*p == '\0')
			json_invalid(r, p);
		if (*p == '"')
			break;
		if (*p != '\\')
		{
			*out++ = *p++;
			continue;
		}
		p++;
		switch (*p)
		{
			case '"':
			case '\\':
			case '/':
				*out++ = *p;
				break;
			case 'b':
				*out++ = '\b';
				break;
			case 'f':
				*out++ = '\f';
				break;
			case 'n':
				*out++ = '\n';
				break;
			case 'r':
				*out++ = '\r';
				break;
			case 't':
				*out++ = '\t';
				break;
			case 'u':
				{
					char	   *escape = p - 1;
					pg_wchar	c = json_hex4(r, p + 1);
					unsigned char converted[MAX_UNICODE_EQUIVALENT_STRING + 1];
					size_t		len;

					p += 4;
					if (c >= 0xD800 && c <= 0xDBFF)
					{
						/* a pair of surrogates */
						pg_wchar	low;

						if (p[1] != '\\' || p[2] != 'u')
							json_invalid(r, p + 1);
						low = json_hex4(r, p + 3);
						if (low < 0xDC00 || low > 0xDFFF)
							json_invalid(r, p + 1);
						c = 0x10000 + ((c - 0xD800) << 10) + (low - 0xDC00);
						p += 6;
					}
					else if ((c >= 0xDC00 && c <= 0xDFFF) || c == 0)
						json_invalid(r, escape);	/* as the server refuses them */
					if (c < 0x80)
						*out++ = (char) c;
					else
					{
						pg_unicode_to_server(c, converted);
						len = strlen((char *) converted);
						/* no server encoding has characters this long */
						if (len > p + 1 - escape)
							json_invalid(r, escape);
						memcpy(out, converted, len);
						out += len;
					}
				}
				break;
			default:
				json_invalid(r, p);
		}
		p++;
	}
	*out = '\0';
	*pp = p + 1;
	return start;
}

/* jsonb's order of keys; of equal keys, the one given last first. */
static int
field_cmp(const void *a, const void *b)
{
	const JsonField *fa = (const JsonField *) a;
	const JsonField *fb = (const JsonField *) b;

	if (fa->keylen != fb->keylen)
		return fa->keylen < fb->keylen ? -1 : 1;
	if (fa->keylen > 0)
	{
		int			c = memcmp(fa->key, fb->key, fa->keylen);

		if (c != 0)
			return c;
	}
	return fa->order > fb->order ? -1 : (fa->order < fb->order ? 1 : 0);
}

/* An object's fields in jsonb's order, each key once. */
static void
sort_fields(JsonNode *node)
{
	int			i;
	int			kept;

	if (node->n < 2)
		return;
	qsort(node->fields, node->n, sizeof(JsonField), field_cmp);
	for (i = 1, kept = 1; i < node->n; i++)
	{
		if (node->fields[i].keylen == node->fields[kept - 1].keylen &&
			memcmp(node->fields[i].key, node->fields[kept - 1].key,
				   node->fields[i].keylen) == 0)
			continue;
		node->fields[kept++] = node->fields[i];
	}
	node->n = kept;
}

/* A value; *pp is at it (after any space), and is left after it. */
static JsonNode *
json_value(JsonReader *r, char **pp)
{
	char	   *p = *pp;
	JsonNode   *node;
	int			cap = 0;

	check_stack_depth();
	if (*p == '{' || *p == '[')
	{
		bool		object = (*p == '{');
		char		close = object ? '}' : ']';

		node = json_node(r, object ? JSON_OBJECT : JSON_ARRAY);
		p = json_space(p + 1);
		if (*p == close)
		{
			*pp = p + 1;
			return node;
		}
		for (;;)
		{
			char	   *key = NULL;
			JsonNode   *value;

			if (object)
			{
				if (*p != '"')
					json_invalid(r, p);
				key = json_string(r, &p);
				p = json_space(p);
				if (*p != ':')
					json_invalid(r, p);
				p = json_space(p + 1);
			}
			value = json_value(r, &p);
			if (node->n >= cap)
			{
				cap = Max(cap * 2, 4);
				if (object)
					node->fields = node->fields
						? repalloc(node->fields, sizeof(JsonField) * cap)
						: palloc(sizeof(JsonField) * cap);
				else
					node->items = node->items
						? repalloc(node->items, sizeof(JsonNode *) * cap)
						: palloc(sizeof(JsonNode *) * cap);
			}
			if (object)
			{
				JsonField  *f = &node->fields[node->n];

				f->key = key;
				f->keylen = strlen(key);
				f->value = value;
				f->order = node->n;
			}
			else
				node->items[node->n] = value;
			node->n++;
			p = json_space(p);
			if (*p == ',')
				p = json_space(p + 1);
			else if (*p == close)
				break;
			else
				json_invalid(r, p);
		}
		if (object)
			sort_fields(node);
		*pp = p + 1;
		return node;
	}
	if (*p == '"')
	{
		node = json_node(r, JSON_STRING);
		node->scalar = json_string(r, &p);
		*pp = p;
		return node;
	}
	if (*p == '-' || (*p >= '0' && *p <= '9'))
	{
		char	   *start = p;

		p++;
		while ((*p >= '0' && *p <= '9') || *p == '.' || *p == 'e' || *p == 'E' ||
			   *p == '+' || *p == '-')
			p++;
		node = json_node(r, JSON_NUMBER);
		node->scalar = pnstrdup(start, p - start);
		*pp = p;
		return node;
	}
	if (strncmp(p, "true", 4) == 0 || strncmp(p, "null", 4) == 0)
		*pp = p + 4;
	else if (strncmp(p, "false", 5) == 0)
		*pp = p + 5;
	else
		json_invalid(r, p);
	return json_node(r, JSON_OTHER);
}

/*
 * lineage_pl_tree
 *		The tree of a JSON text, which it takes (its strings are unescaped
 *		in place); an error if it is not JSON.
 */
JsonNode *
lineage_pl_tree(char *json)
{
	JsonReader	r = {json, NULL, 0};
	char	   *p = json_space(json);
	JsonNode   *root = json_value(&r, &p);

	p = json_space(p);
	if (*p != '\0')
		json_invalid(&r, p);
	return root;
}

/* The fields of a JSON object, in jsonb's order (none for an array). */
static int
object_fields(JsonNode *node, JsonField **fields)
{
	*fields = node->fields;
	return node->kind == JSON_OBJECT ? node->n : 0;
}

/* The value of a key of an object (NULL if absent). */
static JsonNode *
field_value(JsonField *fields, int n, const char *key)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		if (strcmp(fields[i].key, key) == 0)
			return fields[i].value;
	}
	return NULL;
}

/* A string field's value (the tree's own: not to be changed). */
static char *
field_string(JsonField *fields, int n, const char *key)
{
	JsonNode   *v = field_value(fields, n, key);

	return (v && v->kind == JSON_STRING) ? v->scalar : NULL;
}

static int
field_int(JsonField *fields, int n, const char *key, int missing)
{
	JsonNode   *v = field_value(fields, n, key);

	return (v && v->kind == JSON_NUMBER)
		? DatumGetInt32(DirectFunctionCall1(numeric_int4,
											DirectFunctionCall3(numeric_in,
																CStringGetDatum(v->scalar),
																ObjectIdGetDatum(InvalidOid),
																Int32GetDatum(-1))))
		: missing;
}

/* A typed node {"PLpgSQL_x": {...}}: its type and inner object. */
static bool
typed_node(JsonNode *value, char **type, JsonNode **inner)
{
	if (value->kind != JSON_OBJECT || value->n != 1 ||
		strncmp(value->fields[0].key, "PLpgSQL_", 8) != 0 ||
		!is_container(value->fields[0].value))
		return false;
	*type = value->fields[0].key;
	*inner = value->fields[0].value;
	return true;
}

/* The order in which PL/pgSQL evaluates a statement's fields. */
static const char *const key_order[] = {
	"cond", "t_expr", "expr", "sqlstmt", "query", "dynquery", "lower", "upper",
	"step", "params", "options", "message", "target", "var", "row", "rec",
	"body", "then_body", "elsif_list", "case_when_list", "else_body",
	"else_stmts", "stmts", "action", "exceptions", "exc_list"
};

static void walk_value(PlpgsqlContext *cx, JsonNode *value,
					   const char *statement, const char *field);

/*
 * bind_target
 *		The INTO target or loop variable of a statement whose query was just
 *		analyzed: a record filled by it knows the query's columns from now
 *		on.
 */
static void
bind_target(PlpgsqlContext *cx, JsonNode *value)
{
	char	   *type;
	JsonNode   *inner;
	JsonField  *fields;
	int			n;
	int			dno = -1;

	if (!typed_node(value, &type, &inner))
		return;
	n = object_fields(inner, &fields);
	if (strcmp(type, "PLpgSQL_row") == 0)
	{
		JsonNode   *list = field_value(fields, n, "fields");
		JsonNode   *elem;
		JsonField  *f;
		int			m;

		/* a single record variable; several targets are scalars */
		if (list == NULL || list->kind != JSON_ARRAY || list->n != 1)
			return;
		elem = list->items[0];
		if (!is_container(elem))
			return;
		m = object_fields(elem, &f);
		dno = field_int(f, m, "varno", -1);
	}
	else if (strcmp(type, "PLpgSQL_rec") == 0)
		dno = field_int(fields, n, "dno", -1);
	if (dno >= 0 && dno < cx->ndatums && cx->datums[dno] != NULL &&
		cx->datums[dno]->is_record && !cx->datums[dno]->is_newold &&
		cx->columns != NIL)
		cx->datums[dno]->fields = cx->columns;
}

/*
 * Is this RETURN NEW or RETURN OLD (a trigger's result row, which reads no
 * column: the row is the table's own)?
 */
static bool
returns_newold(JsonNode *inner)
{
	JsonField  *fields;
	int			n = object_fields(inner, &fields);
	JsonNode   *expr = field_value(fields, n, "expr");
	char	   *type;
	JsonNode   *einner;
	JsonField  *efields;
	int			m;
	char	   *query;

	if (expr == NULL || !typed_node(expr, &type, &einner))
		return false;
	m = object_fields(einner, &efields);
	query = field_string(efields, m, "query");
	if (query == NULL)
		return false;
	while (isspace((unsigned char) *query))
		query++;
	return (pg_strncasecmp(query, "new", 3) == 0 || pg_strncasecmp(query, "old", 3) == 0) &&
		strspn(query + 3, " \t\r\n") == strlen(query + 3);
}

/*
 * Branches by table
 *
 * A function shared by the triggers of many tables often branches on the
 * table it fires for (IF TG_TABLE_NAME = 'la' THEN ... OLD.link ...).  Read
 * for one trigger, a branch whose condition is false for that trigger's
 * table is not read: its NEW and OLD fields are another table's.  The
 * conditions understood are comparisons (=, <>, IN, NOT IN) of TG_TABLE_NAME,
 * TG_RELNAME, TG_TABLE_SCHEMA, TG_NAME or TG_ARGV[n] with string literals,
 * combined with AND, OR, NOT, and CASE on one of them; anything else may be
 * true.
 */

typedef enum Tri
{
	TRI_FALSE,
	TRI_TRUE,
	TRI_UNKNOWN
} Tri;

static const char *
literal_string(Node *node)
{
	if (node != NULL && IsA(node, TypeCast))
		node = ((TypeCast *) node)->arg;
	if (node != NULL && IsA(node, A_Const) && !((A_Const *) node)->isnull &&
		IsA(&((A_Const *) node)->val, String))
		return strVal(&((A_Const *) node)->val);
	return NULL;
}

/* What a TG_ variable (or the CASE value) holds for this trigger, or NULL. */
static const char *
trigger_value(PlpgsqlContext *cx, Node *node)
{
	if (node != NULL && IsA(node, TypeCast))
		node = ((TypeCast *) node)->arg;
	if (node == NULL)
		return NULL;
	if (IsA(node, ColumnRef) && list_length(((ColumnRef *) node)->fields) == 1 &&
		IsA(linitial(((ColumnRef *) node)->fields), String))
	{
		const char *name = strVal(linitial(((ColumnRef *) node)->fields));

		if (strcmp(name, "tg_table_name") == 0 || strcmp(name, "tg_relname") == 0)
			return cx->tg_table_name;
		if (strcmp(name, "tg_table_schema") == 0)
			return cx->tg_table_schema;
		if (strcmp(name, "tg_name") == 0)
			return cx->tg_name;
		if (strncmp(name, "__Case__Variable_", 17) == 0)
			return cx->case_value;
		return NULL;
	}
	if (IsA(node, A_Indirection))
	{
		A_Indirection *ind = (A_Indirection *) node;
		A_Indices  *idx;
		ColumnRef  *cref = (ColumnRef *) ind->arg;

		if (!IsA(cref, ColumnRef) || list_length(cref->fields) != 1 ||
			!IsA(linitial(cref->fields), String) ||
			strcmp(strVal(linitial(cref->fields)), "tg_argv") != 0 ||
			list_length(ind->indirection) != 1 ||
			!IsA(linitial(ind->indirection), A_Indices))
			return NULL;
		idx = (A_Indices *) linitial(ind->indirection);
		if (idx->is_slice || idx->uidx == NULL || !IsA(idx->uidx, A_Const) ||
			!IsA(&((A_Const *) idx->uidx)->val, Integer))
			return NULL;
		/* TG_ARGV counts from 0; beyond the arguments it is NULL */
		if (intVal(&((A_Const *) idx->uidx)->val) < 0 ||
			intVal(&((A_Const *) idx->uidx)->val) >= list_length(cx->tg_argv))
			return NULL;
		return strVal(list_nth(cx->tg_argv, intVal(&((A_Const *) idx->uidx)->val)));
	}
	return NULL;
}

static Tri
tri_not(Tri t)
{
	return t == TRI_UNKNOWN ? t : (t == TRI_TRUE ? TRI_FALSE : TRI_TRUE);
}

static Tri
eval_branch(PlpgsqlContext *cx, Node *node)
{
	if (node == NULL)
		return TRI_UNKNOWN;
	check_stack_depth();
	if (IsA(node, BoolExpr))
	{
		BoolExpr   *b = (BoolExpr *) node;
		ListCell   *lc;
		Tri			result = (b->boolop == AND_EXPR) ? TRI_TRUE : TRI_FALSE;

		if (b->boolop == NOT_EXPR)
			return tri_not(eval_branch(cx, (Node *) linitial(b->args)));
		foreach(lc, b->args)
		{
			Tri			t = eval_branch(cx, (Node *) lfirst(lc));

			if (b->boolop == AND_EXPR && t == TRI_FALSE)
				return TRI_FALSE;
			if (b->boolop == OR_EXPR && t == TRI_TRUE)
				return TRI_TRUE;
			if (t == TRI_UNKNOWN)
				result = TRI_UNKNOWN;
		}
		return result;
	}
	if (IsA(node, A_Expr))
	{
		A_Expr	   *a = (A_Expr *) node;
		const char *op = list_length(a->name) == 1 ? strVal(linitial(a->name)) : "";
		const char *value = trigger_value(cx, a->lexpr);
		const char *other = literal_string(a->rexpr);
		bool		equal = (strcmp(op, "=") == 0);

		if (!equal && strcmp(op, "<>") != 0 && strcmp(op, "!=") != 0)
			return TRI_UNKNOWN;
		if (a->kind == AEXPR_OP)
		{
			if (value == NULL)
			{
				value = trigger_value(cx, a->rexpr);
				other = literal_string(a->lexpr);
			}
			if (value == NULL || other == NULL)
				return TRI_UNKNOWN;
			return (strcmp(value, other) == 0) == equal ? TRI_TRUE : TRI_FALSE;
		}
		if (a->kind == AEXPR_IN && value != NULL && IsA(a->rexpr, List))
		{
			ListCell   *lc;

			foreach(lc, (List *) a->rexpr)
			{
				const char *item = literal_string((Node *) lfirst(lc));

				if (item == NULL)
					return TRI_UNKNOWN;
				if (strcmp(item, value) == 0)
					return equal ? TRI_TRUE : TRI_FALSE;
			}
			return equal ? TRI_FALSE : TRI_TRUE;
		}
	}
	return TRI_UNKNOWN;
}

typedef struct Condition
{
	const char *text;
	Tri			result;
} Condition;

static void
condition_step(PlpgsqlContext *cx, void *arg)
{
	Condition  *c = (Condition *) arg;
	SelectStmt *select = (SelectStmt *) linitial_node(RawStmt,
													  raw_parser(c->text, RAW_PARSE_PLPGSQL_EXPR))->stmt;

	if (IsA(select, SelectStmt) && list_length(select->targetList) == 1)
		c->result = eval_branch(cx, ((ResTarget *) linitial(select->targetList))->val);
}

/* CASE x WHEN ...: what x holds for this trigger, if known. */
static void
case_value_step(PlpgsqlContext *cx, void *arg)
{
	Condition  *c = (Condition *) arg;
	SelectStmt *select = (SelectStmt *) linitial_node(RawStmt,
													  raw_parser(c->text, RAW_PARSE_PLPGSQL_EXPR))->stmt;

	if (IsA(select, SelectStmt) && list_length(select->targetList) == 1)
		cx->case_value = trigger_value(cx, ((ResTarget *) linitial(select->targetList))->val);
}

/* Is a condition true, false or unknown for this trigger? */
static Tri
branch_condition(PlpgsqlContext *cx, JsonNode *expr)
{
	Condition	c = {NULL, TRI_UNKNOWN};
	char	   *type;
	JsonNode   *inner;
	JsonField  *fields;

	if (expr == NULL || !typed_node(expr, &type, &inner) ||
		strcmp(type, "PLpgSQL_expr") != 0)
		return TRI_UNKNOWN;
	c.text = field_string(fields, object_fields(inner, &fields), "query");
	if (c.text == NULL || lineage_pl_run_guarded(cx, condition_step, &c) != NULL)
		return TRI_UNKNOWN;
	return c.result;
}

/*
 * walk_branches
 *		IF and CASE read for one trigger: a branch whose condition is false
 *		for its table is left out, and so is ELSE once a branch is true.
 */
static void
walk_branches(PlpgsqlContext *cx, const char *type, JsonNode *inner)
{
	JsonField  *fields;
	int			n = object_fields(inner, &fields);
	bool		is_case = strcmp(type, "PLpgSQL_stmt_case") == 0;
	const char *saved_case = cx->case_value;
	JsonNode   *list;
	bool		decided = false;
	Tri			t;

	if (is_case)
	{
		JsonNode   *t_expr = field_value(fields, n, "t_expr");
		Condition	c = {NULL, TRI_UNKNOWN};
		char	   *ttype;
		JsonNode   *tinner;
		JsonField  *tf;

		if (t_expr != NULL)
			walk_value(cx, t_expr, type, "t_expr");
		cx->case_value = NULL;
		if (t_expr != NULL && typed_node(t_expr, &ttype, &tinner))
		{
			c.text = field_string(tf, object_fields(tinner, &tf), "query");
			if (c.text != NULL)
				(void) lineage_pl_run_guarded(cx, case_value_step, &c);
		}
	}
	else
	{
		t = branch_condition(cx, field_value(fields, n, "cond"));
		if (t != TRI_FALSE)
		{
			walk_value(cx, field_value(fields, n, "cond"), type, "cond");
			if (field_value(fields, n, "then_body"))
				walk_value(cx, field_value(fields, n, "then_body"), type, "then_body");
		}
		decided = (t == TRI_TRUE);
	}

	/* ELSIF branches, CASE WHEN branches */
	list = field_value(fields, n, is_case ? "case_when_list" : "elsif_list");
	if (list != NULL && list->kind == JSON_ARRAY)
	{
		int			size = list->n;
		int			i;

		for (i = 0; i < size && !decided; i++)
		{
			JsonNode   *branch = list->items[i];
			char	   *btype;
			JsonNode   *binner;
			JsonField  *bf;
			int			m;
			const char *cond_key = is_case ? "expr" : "cond";

			if (!typed_node(branch, &btype, &binner))
				continue;
			m = object_fields(binner, &bf);
			t = branch_condition(cx, field_value(bf, m, cond_key));
			if (t == TRI_FALSE)
				continue;
			if (field_value(bf, m, cond_key))
				walk_value(cx, field_value(bf, m, cond_key), type, cond_key);
			if (field_value(bf, m, "stmts"))
				walk_value(cx, field_value(bf, m, "stmts"), type, "stmts");
			decided = (t == TRI_TRUE);
		}
	}
	if (!decided && field_value(fields, n, is_case ? "else_stmts" : "else_body"))
		walk_value(cx, field_value(fields, n, is_case ? "else_stmts" : "else_body"),
				   type, is_case ? "else_stmts" : "else_body");
	cx->case_value = saved_case;
}

/* A PL/pgSQL statement: its fields in the order it runs them. */
static void
walk_statement(PlpgsqlContext *cx, const char *type, JsonNode *inner)
{
	JsonField  *fields;
	int			n = object_fields(inner, &fields);
	bool	   *done = palloc0(sizeof(bool) * Max(n, 1));
	bool		binds = (strcmp(type, "PLpgSQL_stmt_execsql") == 0 ||
						 strcmp(type, "PLpgSQL_stmt_dynexecute") == 0 ||
						 strcmp(type, "PLpgSQL_stmt_fors") == 0 ||
						 strcmp(type, "PLpgSQL_stmt_dynfors") == 0 ||
						 strcmp(type, "PLpgSQL_stmt_fetch") == 0);
	int			k;
	int			i;

	cx->columns = NIL;
	if (strcmp(type, "PLpgSQL_stmt_return") == 0 && returns_newold(inner))
		return;
	if (cx->per_trigger && (strcmp(type, "PLpgSQL_stmt_if") == 0 ||
							strcmp(type, "PLpgSQL_stmt_case") == 0))
	{
		walk_branches(cx, type, inner);
		return;
	}
	for (k = 0; k <= lengthof(key_order); k++)
	{
		for (i = 0; i < n; i++)
		{
			if (done[i] || (k < lengthof(key_order) &&
							strcmp(fields[i].key, key_order[k]) != 0))
				continue;
			done[i] = true;
			if (binds && (strcmp(fields[i].key, "target") == 0 ||
						  strcmp(fields[i].key, "var") == 0 ||
						  strcmp(fields[i].key, "row") == 0 ||
						  strcmp(fields[i].key, "rec") == 0))
				bind_target(cx, fields[i].value);
			else
				walk_value(cx, fields[i].value, type, fields[i].key);
		}
	}
}

static void
walk_value(PlpgsqlContext *cx, JsonNode *value, const char *statement,
		   const char *field)
{
	char	   *type;
	JsonNode   *inner;

	if (!is_container(value))
		return;
	check_stack_depth();
	if (value->kind == JSON_ARRAY)
	{
		int			size = value->n;
		int			i;

		for (i = 0; i < size; i++)
		{
			JsonNode   *elem = value->items[i];

			walk_value(cx, elem, statement, field);
		}
		return;
	}
	if (!typed_node(value, &type, &inner))
		return;
	if (strcmp(type, "PLpgSQL_expr") == 0)
	{
		JsonField  *fields;
		int			n = object_fields(inner, &fields);
		char	   *query = field_string(fields, n, "query");

		if (query != NULL)
			lineage_pl_analyze_embedded(cx, query, expression_kind(statement, field), NULL);
	}
	else if (strncmp(type, "PLpgSQL_stmt_", 13) == 0)
		walk_statement(cx, type, inner);
	else
	{
		/* if_elsif, case_when, exception blocks: inside their statement */
		JsonField  *fields;
		int			n = object_fields(inner, &fields);
		int			i;

		for (i = 0; i < n; i++)
			walk_value(cx, fields[i].value, statement, fields[i].key);
	}
}

/* The variables of FOR i IN 1..n loops: only inside their loop, integers. */
static void
mark_loop_variables(PlpgsqlContext *cx, JsonNode *value)
{
	char	   *type;
	JsonNode   *inner;
	JsonField  *fields;
	int			n;
	int			i;

	if (!is_container(value))
		return;
	check_stack_depth();
	if (value->kind == JSON_ARRAY)
	{
		int			size = value->n;

		for (i = 0; i < size; i++)
			mark_loop_variables(cx, value->items[i]);
		return;
	}
	if (!typed_node(value, &type, &inner))
		return;
	n = object_fields(inner, &fields);
	if (strcmp(type, "PLpgSQL_stmt_fori") == 0)
	{
		JsonNode   *var = field_value(fields, n, "var");
		char	   *vtype;
		JsonNode   *vinner;

		if (var != NULL && typed_node(var, &vtype, &vinner))
		{
			JsonField  *vf;
			int			m = object_fields(vinner, &vf);
			char	   *name = field_string(vf, m, "refname");
			Variable   *v = name ? lineage_pl_find_variable(cx, name) : NULL;

			if (name != NULL && v == NULL)
				v = lineage_pl_add_variable(cx, name, INT4OID, false);
			if (v != NULL)
			{
				v->loop_scoped = true;
				if (v->typid == UNKNOWNOID)
					v->typid = INT4OID;
			}
		}
	}
	for (i = 0; i < n; i++)
		mark_loop_variables(cx, fields[i].value);
}

/*
 * declared_type_step
 *		The type a declaration names: a type, name%TYPE (a column's),
 *		name%ROWTYPE or a composite type (a row: its fields are known), or
 *		record; libpg_query only passes the text.
 */
typedef struct Declared
{
	Variable   *v;
	const char *typname;
} Declared;

static void
declared_type_step(PlpgsqlContext *cx, void *arg)
{
	Variable   *v = ((Declared *) arg)->v;
	const char *typname = ((Declared *) arg)->typname;
	Oid			typid;
	int32		typmod;
	const char *pct = strchr(typname, '%');

	if (pct != NULL)
	{
		char	   *name = pnstrdup(typname, pct - typname);
		List	   *names = stringToQualifiedNameList(name);
		Oid			relid;
		bool		rowtype = pg_strncasecmp(pct, "%rowtype", 8) == 0;

		if (rowtype)
		{
			v->is_record = true;
			relid = RangeVarGetRelid(makeRangeVarFromNameList(names), NoLock, true);
			if (OidIsValid(relid))
			{
				v->typid = get_rel_type_id(relid);
				v->fields = lineage_pl_relation_fields(relid);
			}
		}
		else if (list_length(names) >= 2)
		{
			/* table.column%TYPE */
			char	   *column = strVal(llast(names));
			AttrNumber	attnum;
			Oid			collid;

			relid = RangeVarGetRelid(makeRangeVarFromNameList(list_truncate(list_copy(names),
																			list_length(names) - 1)),
									 NoLock, true);
			if (OidIsValid(relid) && (attnum = get_attnum(relid, column)) > 0)
				get_atttypetypmodcoll(relid, attnum, &v->typid, &v->typmod, &collid);
		}
		return;
	}
	/* missing_ok: an unknown type leaves it unknown */
	parseTypeString(typname, &typid, &typmod, true);
	if (!OidIsValid(typid))
		return;
	v->typid = typid;
	v->typmod = typmod;
	if (get_typtype(typid) == TYPTYPE_COMPOSITE && OidIsValid(get_typ_typrelid(typid)))
	{
		v->is_record = true;
		v->fields = lineage_pl_relation_fields(get_typ_typrelid(typid));
	}
}

/* The types of PL/pgSQL's own variables, which libpg_query leaves unknown. */
static const struct
{
	const char *name;
	Oid			typid;
}			implicit_types[] = {
	{"found", BOOLOID},
	{"sqlstate", TEXTOID},
	{"sqlerrm", TEXTOID}
};

/*
 * declare_datums
 *		The variables libpg_query lists ("datums"), by number, with their
 *		types; their DECLARE defaults are analyzed after.
 */
static void
declare_datums(PlpgsqlContext *cx, JsonNode *datums, List **defaults)
{
	int			size;
	int			i;

	if (datums == NULL || datums->kind != JSON_ARRAY)
		return;
	size = datums->n;
	cx->ndatums = size;
	cx->datums = palloc0(sizeof(Variable *) * Max(size, 1));
	for (i = 0; i < size; i++)
	{
		JsonNode   *datum = datums->items[i];
		char	   *type;
		JsonNode   *inner;
		JsonField  *fields;
		int			n;
		char	   *name;
		Variable   *v;
		int			k;

		if (!typed_node(datum, &type, &inner) ||
			(strcmp(type, "PLpgSQL_var") != 0 && strcmp(type, "PLpgSQL_rec") != 0))
			continue;
		n = object_fields(inner, &fields);
		name = field_string(fields, n, "refname");
		if (name == NULL)
			continue;
		/* parameters, NEW, OLD and TG_ variables are declared already */
		v = lineage_pl_find_variable(cx, name);
		if (v == NULL)
		{
			JsonNode   *datatype = field_value(fields, n, "datatype");
			char	   *typname = NULL;
			char	   *ttype;
			JsonNode   *tinner;

			v = lineage_pl_add_variable(cx, name, UNKNOWNOID, strcmp(type, "PLpgSQL_rec") == 0);
			if (datatype != NULL && typed_node(datatype, &ttype, &tinner))
			{
				JsonField  *tf;
				int			m = object_fields(tinner, &tf);

				typname = field_string(tf, m, "typname");
			}
			if (typname != NULL && strcmp(typname, "UNKNOWN") != 0)
			{
				Declared	d = {v, typname};

				/* a type that does not resolve leaves it unknown */
				if (pg_strcasecmp(typname, "record") == 0)
					v->is_record = true;
				else
					(void) lineage_pl_run_step(cx, declared_type_step, &d);
			}
			for (k = 0; k < lengthof(implicit_types); k++)
			{
				if (v->typid == UNKNOWNOID && strcmp(name, implicit_types[k].name) == 0)
					v->typid = implicit_types[k].typid;
			}
		}
		/* a DECLAREd default, a declared cursor's query: analyzed after */
		if (field_value(fields, n, "default_val") != NULL)
			*defaults = lappend(*defaults, list_make3(v, field_value(fields, n, "default_val"),
													  makeInteger(EXPR_EXPRESSION)));
		if (field_value(fields, n, "cursor_explicit_expr") != NULL)
			*defaults = lappend(*defaults, list_make3(v, field_value(fields, n, "cursor_explicit_expr"),
													  makeInteger(EXPR_SQL)));
		cx->datums[i] = v;
	}
}

/*
 * The default of a DECLAREd variable (analyzed, and its text kept), or the
 * query of a declared cursor.
 */
static void
analyze_default(PlpgsqlContext *cx, Variable *v, JsonNode *value, ExprKind kind)
{
	char	   *type;
	JsonNode   *inner;
	JsonField  *fields;
	int			n;
	char	   *query;

	if (!typed_node(value, &type, &inner) || strcmp(type, "PLpgSQL_expr") != 0)
		return;
	n = object_fields(inner, &fields);
	if ((query = field_string(fields, n, "query")) != NULL)
		lineage_pl_analyze_embedded(cx, query, kind, kind == EXPR_EXPRESSION ? v : NULL);
}

/*
 * lineage_pl_walk
 *		Walk a function's tree (the JSON libpg_query gave): declare
 *		its variables, analyze its defaults, then its body.
 */
void
lineage_pl_walk(PlpgsqlContext *cx, JsonNode *root)
{
	JsonNode   *function = (root->kind == JSON_ARRAY && root->n > 0)
		? root->items[0] : NULL;
	char	   *type;
	JsonNode   *inner;
	JsonField  *fields;
	List	   *defaults = NIL;
	ListCell   *lc;
	int			n;

	if (function == NULL || !typed_node(function, &type, &inner) ||
		strcmp(type, "PLpgSQL_function") != 0)
		return;
	n = object_fields(inner, &fields);

	/* every variable is known before any expression is analyzed */
	declare_datums(cx, field_value(fields, n, "datums"), &defaults);
	if (field_value(fields, n, "action") != NULL)
		mark_loop_variables(cx, field_value(fields, n, "action"));
	foreach(lc, defaults)
		analyze_default(cx, (Variable *) linitial((List *) lfirst(lc)),
						(JsonNode *) lsecond((List *) lfirst(lc)),
						(ExprKind) intVal(lthird((List *) lfirst(lc))));
	if (field_value(fields, n, "action") != NULL)
		walk_value(cx, field_value(fields, n, "action"), NULL, "action");
}

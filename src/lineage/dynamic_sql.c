/*-------------------------------------------------------------------------
 *
 * dynamic_sql.c
 *	  The SQL text a dynamic statement (EXECUTE, FOR ... IN EXECUTE, RETURN
 *	  QUERY EXECUTE, OPEN ... FOR EXECUTE) runs, as far as the body shows
 *	  it: the text its expression builds from literal pieces.
 *
 * The expression is read as a raw parse tree.  String literals are what
 * they say; || and concat() join pieces; format() with a literal template
 * fills its placeholders (%s, %I, %L, numbered ones as %2$I, with flags and
 * widths) from its arguments; quote_ident(), quote_literal() and
 * quote_nullable() quote a known value; a variable the body assigned from
 * such pieces (plpgsql.c keeps them) is its text; CASE and COALESCE give
 * one text per branch.  A piece the body does not show (a parameter, a
 * computed value) becomes a placeholder: the identifier
 * schemaguard_dynamic, which the analysis reads as a value of unknown type
 * where a value stands (and which names no table), or NULL where a quoted
 * literal stands.  So "WHERE amount > ' || p || ' ORDER BY a" still
 * analyzes, and its columns are known.
 *
 * The result is a set of at most DYNTEXT_MAX alternatives, each with
 * whether it is entirely literal (then it is analyzed as any SQL
 * statement) or holds placeholders (then its columns get "dynamic").
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "utils/builtins.h"

#include "lineage/internal.h"

static DynText *piece_text(Node *expr, DynVarHook hook, void *arg);

static DynText *
dyntext_one(const char *text, bool literal)
{
	DynText    *d = palloc0(sizeof(DynText));

	d->n = 1;
	d->text[0] = pstrdup(text);
	d->literal[0] = literal;
	return d;
}

/* A piece the body does not show, as a value or an identifier. */
static DynText *
unknown_piece(void)
{
	return dyntext_one(LINEAGE_DYNAMIC_PLACEHOLDER, false);
}

/* a || b: every alternative of a followed by every one of b (capped). */
static DynText *
dyntext_concat(DynText *a, DynText *b)
{
	DynText    *d;
	int			i,
				j;

	if (a == NULL || b == NULL)
		return NULL;			/* || with NULL is NULL */
	d = palloc0(sizeof(DynText));
	for (i = 0; i < a->n; i++)
	{
		for (j = 0; j < b->n && d->n < DYNTEXT_MAX; j++)
		{
			d->text[d->n] = psprintf("%s%s", a->text[i], b->text[j]);
			d->literal[d->n] = a->literal[i] && b->literal[j];
			d->n++;
		}
	}
	return d;
}

/* The alternatives of several texts together (CASE, COALESCE). */
static DynText *
dyntext_union(DynText *a, DynText *b)
{
	int			i;

	if (a == NULL)
		return b;
	if (b == NULL)
		return a;
	for (i = 0; i < b->n && a->n < DYNTEXT_MAX; i++)
	{
		a->text[a->n] = b->text[i];
		a->literal[a->n] = b->literal[i];
		a->n++;
	}
	return a;
}

/* Apply a function of one known string to every alternative. */
static DynText *
dyntext_map(DynText *d, char kind)
{
	int			i;

	if (d == NULL)
		return kind == 'L' ? dyntext_one("NULL", true) : NULL;
	for (i = 0; i < d->n; i++)
	{
		if (!d->literal[i])
		{
			/* an unknown value, quoted: a literal or an identifier */
			d->text[i] = pstrdup(kind == 'L' ? "NULL" : LINEAGE_DYNAMIC_PLACEHOLDER);
			continue;
		}
		if (kind == 'I')
			d->text[i] = pstrdup(quote_identifier(d->text[i]));
		else if (kind == 'L')
			d->text[i] = quote_literal_cstr(d->text[i]);
	}
	return d;
}

static const char *
func_name(FuncCall *call)
{
	return strVal(llast(call->funcname));
}

/* The argument of a format() placeholder, or a marker for none/unknown. */
static DynText *
format_argument(List *args, int argno, DynVarHook hook, void *arg, bool *missing)
{
	*missing = (argno < 1 || argno >= list_length(args));
	if (*missing)
		return NULL;
	return piece_text((Node *) list_nth(args, argno), hook, arg);
}

/*
 * format_text
 *		format(template, args...) with a literal template, as text_format()
 *		reads it: %[n$][-][width|*|*n$]type, type one of s, I, L, and %%.
 */
static DynText *
format_text(FuncCall *call, DynVarHook hook, void *arg)
{
	Node	   *first = (Node *) linitial(call->args);
	const char *p;
	DynText    *result;
	StringInfoData literal;
	int			next_arg = 1;

	if (call->func_variadic || !IsA(first, A_Const) ||
		!IsA(&((A_Const *) first)->val, String))
		return unknown_piece();
	result = dyntext_one("", true);
	initStringInfo(&literal);
	for (p = strVal(&((A_Const *) first)->val); *p; p++)
	{
		int			argno = 0;
		char		kind;
		DynText    *value;
		bool		missing;

		if (*p != '%')
		{
			appendStringInfoChar(&literal, *p);
			continue;
		}
		p++;
		if (*p == '%')
		{
			appendStringInfoChar(&literal, '%');
			continue;
		}
		/* n$ */
		if (isdigit((unsigned char) *p))
		{
			const char *q = p;
			int			n = 0;

			while (isdigit((unsigned char) *q))
				n = n * 10 + (*q++ - '0');
			if (*q == '$')
			{
				argno = n;
				p = q + 1;
			}
		}
		while (*p == '-')
			p++;
		/* width: digits, or * (from the next argument), or *n$ */
		if (*p == '*')
		{
			p++;
			if (isdigit((unsigned char) *p))
			{
				while (isdigit((unsigned char) *p))
					p++;
				if (*p == '$')
					p++;
			}
			else
				next_arg++;
		}
		while (isdigit((unsigned char) *p))
			p++;
		kind = *p;
		if (kind != 's' && kind != 'I' && kind != 'L')
			return unknown_piece();	/* format() itself would fail */
		if (argno == 0)
			argno = next_arg;
		next_arg = argno + 1;
		value = format_argument(call->args, argno, hook, arg, &missing);
		if (missing)
			return unknown_piece();
		value = kind == 's' ? (value ? value : dyntext_one("", true))
			: dyntext_map(value, kind);
		if (value == NULL)
			value = dyntext_one("", true);	/* %I of NULL fails; keep going */
		result = dyntext_concat(dyntext_concat(result, dyntext_one(literal.data, true)),
								value);
		resetStringInfo(&literal);
	}
	return dyntext_concat(result, dyntext_one(literal.data, true));
}

/* The text of one piece of a string expression (NULL: SQL NULL). */
static DynText *
piece_text(Node *expr, DynVarHook hook, void *arg)
{
	if (expr == NULL)
		return NULL;
	check_stack_depth();
	switch (nodeTag(expr))
	{
		case T_A_Const:
			{
				A_Const    *c = (A_Const *) expr;

				if (c->isnull)
					return NULL;
				if (IsA(&c->val, String))
					return dyntext_one(strVal(&c->val), true);
				if (IsA(&c->val, Integer))
					return dyntext_one(psprintf("%d", intVal(&c->val)), true);
				if (IsA(&c->val, Float))
					return dyntext_one(castNode(Float, &c->val)->fval, true);
				return unknown_piece();
			}
		case T_A_Expr:
			{
				A_Expr	   *a = (A_Expr *) expr;

				if (a->kind == AEXPR_OP && list_length(a->name) == 1 &&
					strcmp(strVal(linitial(a->name)), "||") == 0 && a->lexpr != NULL)
					return dyntext_concat(piece_text(a->lexpr, hook, arg),
										  piece_text(a->rexpr, hook, arg));
				return unknown_piece();
			}
		case T_TypeCast:
			return piece_text(((TypeCast *) expr)->arg, hook, arg);
		case T_ColumnRef:
			{
				DynText    *d = hook ? hook((ColumnRef *) expr, arg) : NULL;

				return d ? d : unknown_piece();
			}
		case T_CaseExpr:
			{
				CaseExpr   *ce = (CaseExpr *) expr;
				DynText    *d = NULL;
				ListCell   *lc;

				foreach(lc, ce->args)
					d = dyntext_union(d, piece_text((Node *) lfirst_node(CaseWhen, lc)->result,
													hook, arg));
				/* no ELSE: NULL, which EXECUTE refuses: not an alternative */
				if (ce->defresult)
					d = dyntext_union(d, piece_text((Node *) ce->defresult, hook, arg));
				return d ? d : unknown_piece();
			}
		case T_CoalesceExpr:
			{
				DynText    *d = NULL;
				ListCell   *lc;

				foreach(lc, ((CoalesceExpr *) expr)->args)
					d = dyntext_union(d, piece_text((Node *) lfirst(lc), hook, arg));
				return d ? d : unknown_piece();
			}
		case T_FuncCall:
			{
				FuncCall   *call = (FuncCall *) expr;
				const char *name = func_name(call);
				ListCell   *lc;

				if (list_length(call->funcname) > 2 ||
					(list_length(call->funcname) == 2 &&
					 strcmp(strVal(linitial(call->funcname)), "pg_catalog") != 0))
					return unknown_piece();
				if (strcmp(name, "format") == 0 && call->args != NIL)
					return format_text(call, hook, arg);
				if (list_length(call->args) == 1 &&
					(strcmp(name, "quote_ident") == 0 ||
					 strcmp(name, "quote_literal") == 0 ||
					 strcmp(name, "quote_nullable") == 0))
				{
					DynText    *d = piece_text((Node *) linitial(call->args), hook, arg);

					if (d == NULL)
						return strcmp(name, "quote_nullable") == 0
							? dyntext_one("NULL", true) : NULL;
					return dyntext_map(d, name[6] == 'i' ? 'I' : 'L');
				}
				if (strcmp(name, "concat") == 0 && !call->func_variadic)
				{
					DynText    *d = dyntext_one("", true);

					/* concat() skips NULL arguments */
					foreach(lc, call->args)
					{
						DynText    *piece = piece_text((Node *) lfirst(lc), hook, arg);

						if (piece != NULL)
							d = dyntext_concat(d, piece);
					}
					return d;
				}
				return unknown_piece();
			}
		default:
			return unknown_piece();
	}
}

/*
 * lineage_dynamic_text
 *		The texts a string expression can give (see the header); NULL if
 *		it is NULL.  hook gives the text of a variable the body assigned
 *		(NULL: unknown).
 */
DynText *
lineage_dynamic_text(Node *expr, DynVarHook hook, void *arg)
{
	return piece_text(expr, hook, arg);
}

/* Does a text hold nothing but placeholders and blanks? */
bool
lineage_dynamic_text_opaque(const DynText *d)
{
	int			i;

	for (i = 0; d != NULL && i < d->n; i++)
	{
		const char *p = d->text[i];

		while (*p)
		{
			if (isspace((unsigned char) *p))
				p++;
			else if (strncmp(p, LINEAGE_DYNAMIC_PLACEHOLDER,
							 strlen(LINEAGE_DYNAMIC_PLACEHOLDER)) == 0)
				p += strlen(LINEAGE_DYNAMIC_PLACEHOLDER);
			else
				return false;
		}
	}
	return true;
}

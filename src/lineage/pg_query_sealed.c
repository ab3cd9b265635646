/*-------------------------------------------------------------------------
 *
 * pg_query_sealed.c
 *	  libpg_query, loaded sealed: the only door to it.
 *
 * Debian's libpg_query.so exports the parser's own symbol names (palloc,
 * raw_parser, CurrentMemoryContext, ...).  Linked the ordinary way into a
 * server module, the server's symbols would interpose on the library's and
 * both would corrupt each other.  So it is never linked: it is opened with
 * dlopen(RTLD_LOCAL | RTLD_DEEPBIND), which makes it bind to its own
 * copies, and only its entry points are looked up with dlsym: the PL/pgSQL
 * parser, and the scanner (whose tokens come packed as protobuf, unpacked
 * with the library's own generated function).
 * What it returns is plain malloc'ed C strings, copied here into palloc'd
 * memory and freed with the library's own function.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <dlfcn.h>

#include "lineage/internal.h"

/* The two result types we use, as pg_query.h declares them. */
typedef struct PgQueryError
{
	char	   *message;
	char	   *funcname;
	char	   *filename;
	int			lineno;
	int			cursorpos;
	char	   *context;
} PgQueryError;

typedef struct PgQueryPlpgsqlParseResult
{
	char	   *plpgsql_funcs;
	PgQueryError *error;
} PgQueryPlpgsqlParseResult;

typedef PgQueryPlpgsqlParseResult (*parse_plpgsql_fn) (const char *input);
typedef void (*free_plpgsql_fn) (PgQueryPlpgsqlParseResult result);

/* The scanner's result, as pg_query.h and pg_query.pb-c.h declare them. */
typedef struct PgQueryProtobuf
{
	size_t		len;
	char	   *data;
} PgQueryProtobuf;

typedef struct PgQueryScanResult
{
	PgQueryProtobuf pbuf;
	char	   *stderr_buffer;
	PgQueryError *error;
} PgQueryScanResult;

typedef struct ProtobufCMessage
{
	const void *descriptor;
	unsigned	n_unknown_fields;
	void	   *unknown_fields;
} ProtobufCMessage;

typedef struct PgQueryScanToken
{
	ProtobufCMessage base;
	int32_t		start;
	int32_t		end;
	int			token;			/* PgQuery__Token */
	int			keyword_kind;	/* PgQuery__KeywordKind */
} PgQueryScanToken;

typedef struct PgQueryScanTokens
{
	ProtobufCMessage base;
	int32_t		version;
	size_t		n_tokens;
	PgQueryScanToken **tokens;
} PgQueryScanTokens;

/* PgQuery__Token and PgQuery__KeywordKind values we look at */
#define PGQ_TOKEN_DOT			46
#define PGQ_TOKEN_IDENT			258
#define PGQ_TOKEN_SCONST		261
#define PGQ_TOKEN_SQL_COMMENT	275
#define PGQ_TOKEN_C_COMMENT		276
#define PGQ_KEYWORD_RESERVED	4

typedef PgQueryScanResult (*scan_fn) (const char *input);
typedef void (*free_scan_fn) (PgQueryScanResult result);
typedef PgQueryScanTokens *(*unpack_fn) (void *allocator, size_t len, const uint8 *data);
typedef void (*free_unpacked_fn) (PgQueryScanTokens *message, void *allocator);

/* Runtime names of the library, newest Debian soname first. */
static const char *const library_names[] = {
	"libpg_query.so.1504.0",
	"libpg_query.so"
};

static void *library = NULL;
static parse_plpgsql_fn parse_plpgsql = NULL;
static free_plpgsql_fn free_plpgsql = NULL;
static scan_fn scan = NULL;
static free_scan_fn free_scan = NULL;
static unpack_fn unpack_tokens = NULL;
static free_unpacked_fn free_tokens = NULL;

static void
load_library(void)
{
	const char *error = NULL;
	int			i;

	if (library != NULL)
		return;
	for (i = 0; i < lengthof(library_names) && library == NULL; i++)
	{
		library = dlopen(library_names[i], RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
		if (library == NULL)
			error = dlerror();
	}
	if (library == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FILE),
				 errmsg("could not load libpg_query"),
				 errdetail("%s", error ? error : "no library found"),
				 errhint("Install the Debian package libpg-query-dev.")));

	parse_plpgsql = (parse_plpgsql_fn) dlsym(library, "pg_query_parse_plpgsql");
	free_plpgsql = (free_plpgsql_fn) dlsym(library, "pg_query_free_plpgsql_parse_result");
	scan = (scan_fn) dlsym(library, "pg_query_scan");
	free_scan = (free_scan_fn) dlsym(library, "pg_query_free_scan_result");
	unpack_tokens = (unpack_fn) dlsym(library, "pg_query__scan_result__unpack");
	free_tokens = (free_unpacked_fn) dlsym(library, "pg_query__scan_result__free_unpacked");
	if (parse_plpgsql == NULL || free_plpgsql == NULL || scan == NULL ||
		free_scan == NULL || unpack_tokens == NULL || free_tokens == NULL)
	{
		dlclose(library);
		library = NULL;
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("libpg_query has no PL/pgSQL parser"),
				 errhint("Install libpg_query 15 (Debian package libpg-query-dev).")));
	}
}

/*
 * lineage_parse_plpgsql
 *		Parse a CREATE FUNCTION statement of a PL/pgSQL function with
 *		libpg_query.  Returns the JSON of its PL/pgSQL tree (palloc'd), or
 *		NULL with *error set to the parser's message (palloc'd).
 */
char *
lineage_parse_plpgsql(const char *create_function, char **error)
{
	PgQueryPlpgsqlParseResult result;
	char	   *json = NULL;

	load_library();
	result = parse_plpgsql(create_function);
	*error = NULL;
	if (result.error != NULL)
		*error = pstrdup(result.error->message ? result.error->message : "unknown error");
	else if (result.plpgsql_funcs != NULL)
		json = pstrdup(result.plpgsql_funcs);
	free_plpgsql(result);
	return json;
}

/*
 * lineage_scan
 *		The tokens of a text as PostgreSQL's own scanner (libpg_query's copy)
 *		reads it: byte offsets and a kind -- a name (an identifier, quoted or
 *		not, or a keyword that is not reserved), a string constant, a
 *		comment, a dot, anything else.  A PL/pgSQL body is read by the same
 *		scanner.  NULL, with *error set, if the scanner refuses the text.
 */
LineageToken *
lineage_scan(const char *text, int *ntokens, char **error)
{
	PgQueryScanResult result;
	PgQueryScanTokens *tokens;
	LineageToken *out = NULL;

	load_library();
	*ntokens = 0;
	*error = NULL;
	result = scan(text);
	if (result.error != NULL)
	{
		*error = pstrdup(result.error->message ? result.error->message : "unknown error");
		free_scan(result);
		return NULL;
	}
	tokens = unpack_tokens(NULL, result.pbuf.len, (const uint8 *) result.pbuf.data);
	if (tokens == NULL)
	{
		*error = pstrdup("could not unpack the scanner's tokens");
		free_scan(result);
		return NULL;
	}
	out = palloc(sizeof(LineageToken) * Max(tokens->n_tokens, 1));
	for (size_t i = 0; i < tokens->n_tokens; i++)
	{
		PgQueryScanToken *t = tokens->tokens[i];
		LineageToken *o = &out[i];

		o->start = t->start;
		o->end = t->end;
		if (t->token == PGQ_TOKEN_IDENT ||
			(t->keyword_kind != 0 && t->keyword_kind != PGQ_KEYWORD_RESERVED))
			o->kind = LINEAGE_TOKEN_NAME;
		else if (t->token == PGQ_TOKEN_SCONST)
			o->kind = LINEAGE_TOKEN_STRING;
		else if (t->token == PGQ_TOKEN_SQL_COMMENT || t->token == PGQ_TOKEN_C_COMMENT)
			o->kind = LINEAGE_TOKEN_COMMENT;
		else if (t->token == PGQ_TOKEN_DOT)
			o->kind = LINEAGE_TOKEN_DOT;
		else
			o->kind = LINEAGE_TOKEN_OTHER;
	}
	*ntokens = (int) tokens->n_tokens;
	free_tokens(tokens, NULL);
	free_scan(result);
	return out;
}

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
 * copies, and only the two PL/pgSQL entry points are looked up with dlsym.
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

/* Runtime names of the library, newest Debian soname first. */
static const char *const library_names[] = {
	"libpg_query.so.1504.0",
	"libpg_query.so"
};

static void *library = NULL;
static parse_plpgsql_fn parse_plpgsql = NULL;
static free_plpgsql_fn free_plpgsql = NULL;

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
	if (parse_plpgsql == NULL || free_plpgsql == NULL)
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

/*-------------------------------------------------------------------------
 *
 * export.c
 *	  pg_schemaguard impact and pg_schemaguard openlineage: lineage out of
 *	  the database, as a picture or JSON, and as OpenLineage events printed
 *	  or posted to an OpenLineage HTTP endpoint (Marquez, DataHub...).
 *
 * Posting uses libcurl: one POST per event, Content-Type
 * application/json, as OpenLineage's own HTTP transport sends them; the
 * first event the endpoint does not accept (not 2xx) stops the export.
 *
 *-------------------------------------------------------------------------
 */
#include "cli.h"

#include <getopt.h>

#include <curl/curl.h>

/* Parse the shared options of impact and openlineage; -1: go on. */
static int
common_option(int c, ConnOptions *conn_options)
{
	if (cli_conn_option(c, optarg, conn_options))
		return -1;
	if (c == 2)
	{
		cli_help(stdout);
		return EXIT_CLEAN;
	}
	fprintf(stderr, "Try \"%s --help\" for more information.\n", progname);
	return EXIT_USAGE;
}

/* Run a query with text parameters; the result, or NULL and a message. */
static PGresult *
query(PGconn *conn, const char *sql, int nparams, const char *const *params)
{
	PGresult   *res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
	const char *hint;

	const char *message;

	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		return res;
	message = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	cli_error("%s", message ? message : PQerrorMessage(conn));
	hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
	if (hint)
		fprintf(stderr, "%s: hint: %s\n", progname, hint);
	PQclear(res);
	return NULL;
}

int
cli_impact(int argc, char **argv)
{
	static struct option long_options[] = {
		{"dbname", required_argument, NULL, 'd'},
		{"host", required_argument, NULL, 'h'},
		{"port", required_argument, NULL, 'p'},
		{"username", required_argument, NULL, 'U'},
		{"format", required_argument, NULL, 'f'},
		{"max-depth", required_argument, NULL, 1},
		{"help", no_argument, NULL, 2},
		{NULL, 0, NULL, 0}
	};
	ConnOptions conn_options;
	const char *format = "dot";
	const char *max_depth = NULL;
	const char *params[3];
	PGconn	   *conn;
	PGresult   *res;
	int			c;
	int			status;

	memset(&conn_options, 0, sizeof(conn_options));
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:h:p:U:f:", long_options, NULL)) != -1)
	{
		if (c == 'f')
		{
			if (strcmp(optarg, "dot") != 0 && strcmp(optarg, "mermaid") != 0 &&
				strcmp(optarg, "json") != 0)
			{
				cli_error("unknown format \"%s\" (dot, mermaid, json)", optarg);
				return EXIT_USAGE;
			}
			format = optarg;
		}
		else if (c == 1)
		{
			char	   *end;
			long		n = strtol(optarg, &end, 10);

			if (*end != '\0' || n < 1 || n > INT_MAX)
			{
				cli_error("--max-depth must be a whole number of at least 1, not \"%s\"", optarg);
				return EXIT_USAGE;
			}
			max_depth = optarg;
		}
		else if ((status = common_option(c, &conn_options)) >= 0)
			return status;
	}
	if (optind != argc - 1)
	{
		cli_error(optind >= argc ? "no target given" : "one target only");
		fprintf(stderr, "Try \"%s --help\" for more information.\n", progname);
		return EXIT_USAGE;
	}
	conn = cli_connect(&conn_options);
	if (conn == NULL)
		return EXIT_USAGE;

	params[0] = argv[optind];
	if (strcmp(format, "json") == 0)
	{
		params[1] = max_depth;
		res = query(conn,
					"SELECT coalesce(json_agg(i), '[]') FROM schemaguard.impact_of($1, $2::int) i",
					2, params);
	}
	else
	{
		params[1] = format;
		params[2] = max_depth;
		res = query(conn, "SELECT schemaguard.impact_graph($1, $2, $3::int)", 3, params);
	}
	if (res == NULL)
	{
		PQfinish(conn);
		return EXIT_USAGE;
	}
	fputs(PQgetvalue(res, 0, 0), stdout);
	if (strcmp(format, "json") == 0)
		fputc('\n', stdout);
	PQclear(res);
	PQfinish(conn);
	return EXIT_CLEAN;
}

/* What the endpoint answered, kept for the error message (the first bytes). */
static size_t
keep_response(char *data, size_t size, size_t nmemb, void *arg)
{
	char	   *buf = arg;
	size_t		len = strlen(buf);
	size_t		n = size * nmemb;
	size_t		room = 255 - len;

	memcpy(buf + len, data, Min(n, room));
	buf[len + Min(n, room)] = '\0';
	return n;
}

/* POST one event; false and a message if the endpoint did not take it. */
static bool
post_event(CURL *curl, struct curl_slist *headers, const char *url,
		   const char *event, int number)
{
	char		response[256] = "";
	char		error[CURL_ERROR_SIZE] = "";
	long		code = 0;
	CURLcode	rc;

	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, event);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long) strlen(event));
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, keep_response);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, response);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "pg_schemaguard/" SCHEMAGUARD_VERSION);
	rc = curl_easy_perform(curl);
	if (rc != CURLE_OK)
	{
		cli_error("could not post event %d to %s: %s", number, url,
				  error[0] ? error : curl_easy_strerror(rc));
		return false;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	if (code < 200 || code > 299)
	{
		cli_error("%s did not accept event %d: HTTP %ld%s%s", url, number, code,
				  response[0] ? ": " : "", response);
		return false;
	}
	return true;
}

int
cli_openlineage(int argc, char **argv)
{
	static struct option long_options[] = {
		{"dbname", required_argument, NULL, 'd'},
		{"host", required_argument, NULL, 'h'},
		{"port", required_argument, NULL, 'p'},
		{"username", required_argument, NULL, 'U'},
		{"namespace", required_argument, NULL, 1},
		{"post", required_argument, NULL, 3},
		{"header", required_argument, NULL, 'H'},
		{"help", no_argument, NULL, 2},
		{NULL, 0, NULL, 0}
	};
	ConnOptions conn_options;
	const char *namespace = NULL;
	const char *url = NULL;
	struct curl_slist *headers = NULL;
	const char *params[1];
	PGconn	   *conn;
	PGresult   *res;
	int			c;
	int			i;
	int			status = EXIT_CLEAN;

	memset(&conn_options, 0, sizeof(conn_options));
	headers = curl_slist_append(headers, "Content-Type: application/json");
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:h:p:U:H:", long_options, NULL)) != -1)
	{
		if (c == 1)
			namespace = optarg;
		else if (c == 3)
		{
			if (strncmp(optarg, "http://", 7) != 0 && strncmp(optarg, "https://", 8) != 0)
			{
				cli_error("--post needs an http:// or https:// URL, not \"%s\"", optarg);
				return EXIT_USAGE;
			}
			url = optarg;
		}
		else if (c == 'H')
		{
			if (strchr(optarg, ':') == NULL)
			{
				cli_error("--header must be \"Name: value\", not \"%s\"", optarg);
				return EXIT_USAGE;
			}
			headers = curl_slist_append(headers, optarg);
		}
		else if ((status = common_option(c, &conn_options)) >= 0)
			return status;
	}
	status = EXIT_CLEAN;
	if (optind < argc)
	{
		cli_error("unexpected argument \"%s\"", argv[optind]);
		fprintf(stderr, "Try \"%s --help\" for more information.\n", progname);
		return EXIT_USAGE;
	}
	conn = cli_connect(&conn_options);
	if (conn == NULL)
		return EXIT_USAGE;
	params[0] = namespace;
	res = query(conn, "SELECT e::text FROM schemaguard.openlineage_events($1) e", 1, params);
	if (res == NULL)
	{
		PQfinish(conn);
		return EXIT_USAGE;
	}

	if (url == NULL)
	{
		for (i = 0; i < PQntuples(res); i++)
			printf("%s\n", PQgetvalue(res, i, 0));
	}
	else
	{
		CURL	   *curl;

		curl_global_init(CURL_GLOBAL_DEFAULT);
		curl = curl_easy_init();
		if (curl == NULL)
		{
			cli_error("could not start libcurl");
			status = EXIT_USAGE;
		}
		for (i = 0; curl && i < PQntuples(res); i++)
		{
			if (!post_event(curl, headers, url, PQgetvalue(res, i, 0), i + 1))
			{
				status = EXIT_FINDINGS;
				break;
			}
		}
		if (curl)
			curl_easy_cleanup(curl);
		curl_global_cleanup();
		if (status == EXIT_CLEAN)
			fprintf(stderr, "%s: posted %d event%s to %s\n", progname, i,
					i == 1 ? "" : "s", url);
	}
	curl_slist_free_all(headers);
	PQclear(res);
	PQfinish(conn);
	return status;
}

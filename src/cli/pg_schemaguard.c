/*-------------------------------------------------------------------------
 *
 * pg_schemaguard.c
 *	  pg_schemaguard, the command-line client of schemaguard: its entry
 *	  point, the manual page (--help), the connection, the errors.
 *
 * pg_schemaguard check FILE...     migration files through check_ddl() (check.c)
 * pg_schemaguard impact TARGET     impact_graph() / impact_of() (export.c)
 * pg_schemaguard openlineage       openlineage_events(), printed or posted (export.c)
 *
 * It connects as every PostgreSQL client does (libpq: PG* variables,
 * ~/.pgpass, -d with a connection string) and runs schemaguard's SQL
 * functions; all the judging happens in the database.
 *
 *-------------------------------------------------------------------------
 */
#include "cli.h"

#include <stdarg.h>

const char *progname = "pg_schemaguard";

static const char *const manual =
"NAME\n"
"    pg_schemaguard - check migration files against a live PostgreSQL database,\n"
"    and take schemaguard's lineage to other tools\n"
"\n"
"SYNOPSIS\n"
"    pg_schemaguard check [OPTION]... FILE...\n"
"    pg_schemaguard impact [OPTION]... TARGET\n"
"    pg_schemaguard openlineage [OPTION]...\n"
"    pg_schemaguard --help | --version\n"
"\n"
"DESCRIPTION\n"
"    check runs each FILE (\"-\" reads standard input) through\n"
"    schemaguard.check_ddl() in a read-only transaction that is rolled back:\n"
"    every statement is judged by the DDL guard against the live catalog and\n"
"    its statistics, and nothing is executed.  Each finding is reported at\n"
"    the file, line and column where its statement starts.  A syntax error\n"
"    is reported where the server found it (rule syntax-error); the\n"
"    statements after it in that file are not checked.\n"
"\n"
"    A comment \"-- schemaguard-ignore RULE[,RULE...]\" before a statement\n"
"    (with nothing but blanks and comments between them) suppresses those\n"
"    rules' findings for that statement only; suppressed findings are shown\n"
"    in json and sarif output, marked as such, and never fail the check.\n"
"\n"
"    impact prints what depends on TARGET (\"table.column\",\n"
"    \"schema.table.column\" or a relation), transitively, as\n"
"    schemaguard.impact_graph() draws it or as impact_of()'s rows in JSON.\n"
"\n"
"    openlineage prints schemaguard.openlineage_events(), one OpenLineage\n"
"    RunEvent per line, or posts each to an OpenLineage HTTP endpoint.\n"
"\n"
"OPTIONS (check)\n"
"    -f, --format=FORMAT\n"
"        tty (the default: coloured when standard output is a terminal),\n"
"        gcc (file:line:col: error: rule: message), json, sarif (SARIF\n"
"        2.1.0; ruleId is the rule id), or github (workflow commands that\n"
"        GitHub Actions shows as annotations; the default when the\n"
"        GITHUB_ACTIONS variable is set).\n"
"    --color=WHEN\n"
"        auto (the default), always or never; NO_COLOR in the environment\n"
"        means never.\n"
"\n"
"OPTIONS (impact)\n"
"    -f, --format=FORMAT\n"
"        dot (the default; Graphviz), mermaid (a Mermaid flowchart) or json.\n"
"    --max-depth=N\n"
"        follow dependents N levels deep (default: all).\n"
"\n"
"OPTIONS (openlineage)\n"
"    --namespace=NAMESPACE\n"
"        the OpenLineage namespace of this server (default:\n"
"        postgres://host:port, from the server's own settings).\n"
"    --post=URL\n"
"        POST each event (Content-Type: application/json) to URL instead of\n"
"        printing it: Marquez http://HOST:5000/api/v1/lineage, DataHub\n"
"        http://GMS:8080/openapi/openlineage/api/v1/lineage.\n"
"    -H, --header='NAME: VALUE'\n"
"        add an HTTP header to each post (e.g. Authorization: Bearer TOKEN);\n"
"        may be repeated.\n"
"\n"
"CONNECTION OPTIONS (every command)\n"
"    -d, --dbname=DBNAME     database name or connection string\n"
"    -h, --host=HOSTNAME     database server host or socket directory\n"
"    -p, --port=PORT         database server port\n"
"    -U, --username=NAME     database user name\n"
"    Unset options come from the PG* environment variables, as for psql.\n"
"\n"
"EXIT STATUS\n"
"    0   no finding at error severity (warnings and suppressed findings do\n"
"        not count); for impact and openlineage: success\n"
"    1   a finding at error severity (a syntax error counts); an event the\n"
"        endpoint did not accept\n"
"    2   a usage error, a connection failure, an unreadable file, or an\n"
"        error of the server other than a syntax error (this wins over 1)\n"
"\n"
"ENVIRONMENT\n"
"    PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD, PGSERVICE, PGOPTIONS...\n"
"        as for every libpq client; PGOPTIONS='-c schemaguard.large_table_threshold=1GB'\n"
"        sets the guard's settings for the check.\n"
"    PGCLIENTENCODING\n"
"        the encoding of the files (default UTF8).\n"
"    GITHUB_ACTIONS\n"
"        when set, check reports in the github format unless --format is given.\n"
"    NO_COLOR\n"
"        when set, tty output is never coloured.\n"
"\n"
"EXAMPLES\n"
"    pg_schemaguard check -d postgres://ci@db/app migrations/*.sql\n"
"    pg_schemaguard check --format=sarif migrations/*.sql > schemaguard.sarif\n"
"    pg_schemaguard impact billing.invoices.amount | dot -Tsvg > impact.svg\n"
"    pg_schemaguard openlineage --post http://marquez:5000/api/v1/lineage\n";

/* "pg_schemaguard: error: ..." on standard error. */
void
cli_error(const char *fmt,...)
{
	va_list		args;
	char		message[4096];
	size_t		len;

	va_start(args, fmt);
	vsnprintf(message, sizeof(message), fmt, args);
	va_end(args);
	/* libpq's messages end with a newline */
	len = strlen(message);
	while (len > 0 && message[len - 1] == '\n')
		message[--len] = '\0';
	fprintf(stderr, "%s: error: %s\n", progname, message);
}

void
cli_help(FILE *out)
{
	fputs(manual, out);
}

/* A connection option shared by every subcommand; false if c is not one. */
bool
cli_conn_option(int c, const char *arg, ConnOptions *options)
{
	switch (c)
	{
		case 'd':
			options->dbname = arg;
			return true;
		case 'h':
			options->host = arg;
			return true;
		case 'p':
			options->port = arg;
			return true;
		case 'U':
			options->username = arg;
			return true;
		default:
			return false;
	}
}

/*
 * Connect, or say why not and return NULL.  The dbname may be a connection
 * string (expand_dbname); files are read as UTF8 unless PGCLIENTENCODING
 * says otherwise.
 */
PGconn *
cli_connect(const ConnOptions *options)
{
	const char *keywords[7];
	const char *values[7];
	int			n = 0;
	PGconn	   *conn;

	keywords[n] = "host";
	values[n++] = options->host;
	keywords[n] = "port";
	values[n++] = options->port;
	keywords[n] = "user";
	values[n++] = options->username;
	keywords[n] = "dbname";
	values[n++] = options->dbname;
	keywords[n] = "fallback_application_name";
	values[n++] = progname;
	keywords[n] = "client_encoding";
	values[n++] = getenv("PGCLIENTENCODING") ? getenv("PGCLIENTENCODING") : "UTF8";
	keywords[n] = NULL;
	values[n] = NULL;

	conn = PQconnectdbParams(keywords, values, true);
	if (conn == NULL)
	{
		cli_error("out of memory");
		return NULL;
	}
	if (PQstatus(conn) != CONNECTION_OK)
	{
		cli_error("%s", PQerrorMessage(conn));
		PQfinish(conn);
		return NULL;
	}
	return conn;
}

int
main(int argc, char **argv)
{
	const char *command;

	if (argc < 2)
	{
		cli_error("no command given");
		fprintf(stderr, "Try \"%s --help\" for more information.\n", progname);
		return EXIT_USAGE;
	}
	command = argv[1];
	if (strcmp(command, "--help") == 0 || strcmp(command, "-?") == 0 ||
		strcmp(command, "help") == 0)
	{
		cli_help(stdout);
		return EXIT_CLEAN;
	}
	if (strcmp(command, "--version") == 0 || strcmp(command, "-V") == 0)
	{
		printf("%s (schemaguard) %s\n", progname, SCHEMAGUARD_VERSION);
		return EXIT_CLEAN;
	}
	if (strcmp(command, "check") == 0)
		return cli_check(argc - 1, argv + 1);
	if (strcmp(command, "impact") == 0)
		return cli_impact(argc - 1, argv + 1);
	if (strcmp(command, "openlineage") == 0)
		return cli_openlineage(argc - 1, argv + 1);
	cli_error("unknown command \"%s\"", command);
	fprintf(stderr, "Try \"%s --help\" for more information.\n", progname);
	return EXIT_USAGE;
}

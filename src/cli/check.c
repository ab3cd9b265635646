/*-------------------------------------------------------------------------
 *
 * check.c
 *	  pg_schemaguard check: migration files through schemaguard.check_ddl().
 *
 * Each file is sent whole to check_ddl() in a read-only transaction that is
 * rolled back; the server splits, parses and judges it.  Findings carry the
 * line and column (in characters) of their statement's first token; a
 * syntax error carries the server's position (a character index into the
 * script), mapped here to a line and column.  Characters are counted in the
 * client encoding (PQmblen), in which the file is sent.
 *
 * Suppression: a comment "-- schemaguard-ignore rule[,rule...]" applies to
 * the statement whose first token follows it with nothing but blanks and
 * comments in between.  Found by scanning the file for the comment and
 * skipping blanks and comments from its end: a comment-like text inside a
 * string or a body always meets the rest of that statement first, so it
 * never reaches a statement's start.
 *
 *-------------------------------------------------------------------------
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <unistd.h>

#include "mb/pg_wchar.h"

/* One -- schemaguard-ignore comment: the rules, and where they apply. */
typedef struct Ignore
{
	int			applies_at;		/* byte offset of the next statement's start */
	char	  **rules;
	int			nrules;
	int			line;
} Ignore;

/* A file read whole. */
typedef struct SourceFile
{
	const char *name;
	char	   *text;
	size_t		len;
	Ignore	   *ignores;
	int			nignores;
} SourceFile;

static void
add_finding(FindingList *list, const Finding *f)
{
	if (list->count >= list->capacity)
	{
		list->capacity = Max(list->capacity * 2, 16);
		list->items = pg_realloc(list->items, sizeof(Finding) * list->capacity);
	}
	list->items[list->count++] = *f;
}

/* Read a file ("-": standard input) whole; NULL and a message if not. */
static char *
read_file(const char *name, size_t *len)
{
	FILE	   *f = strcmp(name, "-") == 0 ? stdin : fopen(name, "rb");
	char	   *buf;
	size_t		cap = 8192;
	size_t		n = 0;

	if (f == NULL)
	{
		cli_error("could not open file \"%s\": %s", name, strerror(errno));
		return NULL;
	}
	buf = pg_malloc(cap + 1);
	for (;;)
	{
		size_t		got = fread(buf + n, 1, cap - n, f);

		n += got;
		if (n < cap)
		{
			if (ferror(f))
			{
				cli_error("could not read file \"%s\": %s", name, strerror(errno));
				if (f != stdin)
					fclose(f);
				pg_free(buf);
				return NULL;
			}
			if (feof(f))
				break;
		}
		else
		{
			cap *= 2;
			buf = pg_realloc(buf, cap + 1);
		}
	}
	if (f != stdin)
		fclose(f);
	buf[n] = '\0';
	if (memchr(buf, '\0', n) != NULL)
	{
		cli_error("file \"%s\" contains a zero byte: not SQL text", name);
		pg_free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

/* A character that continues an identifier (or a keyword such as E). */
static bool
is_ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || c == '_' || c == '$' || IS_HIGHBIT_SET(c);
}

/* The end of a block comment opened at p (nested, as the server nests them). */
static const char *
skip_block_comment(const char *p)
{
	int			depth = 1;

	for (p += 2; *p && depth > 0;)
	{
		if (p[0] == '/' && p[1] == '*')
		{
			depth++;
			p += 2;
		}
		else if (p[0] == '*' && p[1] == '/')
		{
			depth--;
			p += 2;
		}
		else
			p++;
	}
	return p;
}

/* From a byte offset, past blanks and comments (nested, as the server nests them). */
static size_t
skip_blanks_and_comments(const char *text, size_t at)
{
	const char *p = text + at;

	for (;;)
	{
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' || *p == '\v')
			p++;
		else if (p[0] == '-' && p[1] == '-')
		{
			while (*p && *p != '\n')
				p++;
		}
		else if (p[0] == '/' && p[1] == '*')
			p = skip_block_comment(p);
		else
			return p - text;
	}
}

static bool
is_rule_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || c == '-' || c == '_';
}

/*
 * A -- comment starting at p: if it is "-- schemaguard-ignore RULE[,RULE...]",
 * note its rules and the statement start it applies to.  Returns the end
 * of the comment (its newline, or the end of the text).
 */
static const char *
line_comment(SourceFile *file, const char *p, int line, int *cap)
{
	const char *marker = "schemaguard-ignore";
	const char *q = p + 2;
	const char *eol = strchr(p, '\n');
	Ignore		ignore;

	if (eol == NULL)
		eol = p + strlen(p);
	while (*q == ' ' || *q == '\t')
		q++;
	if (strncmp(q, marker, strlen(marker)) != 0 || is_rule_char(q[strlen(marker)]))
		return eol;
	q += strlen(marker);
	memset(&ignore, 0, sizeof(ignore));
	ignore.line = line;
	while (q < eol)
	{
		const char *start;

		while (q < eol && (*q == ' ' || *q == '\t' || *q == ',' || *q == '\r'))
			q++;
		start = q;
		while (q < eol && is_rule_char(*q))
			q++;
		if (q == start)
			break;				/* anything else ends the list (a note after it) */
		ignore.rules = pg_realloc(ignore.rules, sizeof(char *) * (ignore.nrules + 1));
		ignore.rules[ignore.nrules++] = pnstrdup(start, q - start);
	}
	ignore.applies_at = (int) skip_blanks_and_comments(file->text, eol - file->text);
	if (file->nignores >= *cap)
	{
		*cap = Max(*cap * 2, 8);
		file->ignores = pg_realloc(file->ignores, sizeof(Ignore) * *cap);
	}
	file->ignores[file->nignores++] = ignore;
	return eol;
}

/* The end of a quoted string or identifier opened by quote at p. */
static const char *
skip_quoted(const char *p, char quote, bool backslashes)
{
	for (p++; *p; p++)
	{
		if (backslashes && *p == '\\' && p[1])
			p++;
		else if (*p == quote)
		{
			if (p[1] != quote)
				return p + 1;
			p++;				/* a doubled quote */
		}
	}
	return p;
}

/*
 * The -- schemaguard-ignore comments of a file, found by reading it as the
 * server's lexer would (standard_conforming_strings on): comment-like text
 * inside a string, a quoted identifier, a dollar-quoted body or a block
 * comment is not a comment.
 */
static void
find_ignores(SourceFile *file)
{
	const char *p = file->text;
	int			line = 1;
	int			cap = 0;

	while (*p)
	{
		const char *next;

		if (p[0] == '-' && p[1] == '-')
			next = line_comment(file, p, line, &cap);
		else if (p[0] == '/' && p[1] == '*')
			next = skip_block_comment(p);
		else if (*p == '\'')
			next = skip_quoted(p, '\'',
							   p > file->text && (p[-1] == 'E' || p[-1] == 'e') &&
							   (p - 1 == file->text || !is_ident_char(p[-2])));
		else if (*p == '"')
			next = skip_quoted(p, '"', false);
		else if (*p == '$' && (p == file->text || !is_ident_char(p[-1])) &&
				 !(p[1] >= '0' && p[1] <= '9'))
		{
			/* $tag$ ... $tag$ */
			const char *t = p + 1;

			while (is_ident_char(*t) && *t != '$')
				t++;
			if (*t == '$')
			{
				char	   *tag = pnstrdup(p, t - p + 1);
				const char *end = strstr(t + 1, tag);

				next = end ? end + strlen(tag) : p + strlen(p);
				pg_free(tag);
			}
			else
				next = p + 1;
		}
		else
			next = p + 1;
		for (; p < next; p++)
			line += (*p == '\n');
	}
}

/* Byte offset of a 1-based line and column (in characters). */
static size_t
offset_of(const SourceFile *file, int line, int col, int encoding)
{
	const char *p = file->text;
	const char *end = file->text + file->len;
	int			l;
	int			c;

	for (l = 1; l < line && p < end; p++)
		if (*p == '\n')
			l++;
	for (c = 1; c < col && p < end && *p != '\n'; c++)
		p += Max(PQmblen(p, encoding), 1);
	return p - file->text;
}

/* 1-based line and column of the character at a 1-based character index. */
static void
place_of_position(const SourceFile *file, int position, int encoding,
				  int *line, int *col)
{
	const char *p = file->text;
	const char *end = file->text + file->len;
	int			i;

	*line = 1;
	*col = 1;
	for (i = 1; i < position && p < end; i++)
	{
		if (*p == '\n')
		{
			(*line)++;
			*col = 1;
			p++;
		}
		else
		{
			(*col)++;
			p += Max(PQmblen(p, encoding), 1);
		}
	}
}

/* The text of a line, for the tty format. */
static char *
line_text(const SourceFile *file, int line)
{
	const char *p = file->text;
	const char *eol;
	int			l;

	for (l = 1; l < line && *p; p++)
		if (*p == '\n')
			l++;
	eol = strchr(p, '\n');
	if (eol == NULL)
		eol = p + strlen(p);
	if (eol > p && eol[-1] == '\r')
		eol--;
	return pnstrdup(p, eol - p);
}

static bool
suppressed(const SourceFile *file, size_t start, const char *rule)
{
	int			i;
	int			j;

	for (i = 0; i < file->nignores; i++)
	{
		if ((size_t) file->ignores[i].applies_at != start)
			continue;
		for (j = 0; j < file->ignores[i].nrules; j++)
			if (strcmp(file->ignores[i].rules[j], rule) == 0)
				return true;
	}
	return false;
}

/* Tell of ignore comments naming rules the server does not have. */
static void
check_ignored_rules(const SourceFile *file, PGresult *rules)
{
	int			i;
	int			j;
	int			k;

	for (i = 0; i < file->nignores; i++)
	{
		for (j = 0; j < file->ignores[i].nrules; j++)
		{
			const char *rule = file->ignores[i].rules[j];
			bool		known = strcmp(rule, "syntax-error") == 0;

			for (k = 0; !known && k < PQntuples(rules); k++)
				known = strcmp(PQgetvalue(rules, k, 0), rule) == 0;
			if (!known)
				fprintf(stderr, "%s: warning: %s:%d: schemaguard-ignore names no rule \"%s\"\n",
						progname, file->name, file->ignores[i].line, rule);
		}
	}
}

static bool
run_simple(PGconn *conn, const char *sql)
{
	PGresult   *res = PQexec(conn, sql);
	bool		ok = PQresultStatus(res) == PGRES_COMMAND_OK;

	if (!ok)
		cli_error("%s", PQerrorMessage(conn));
	PQclear(res);
	return ok;
}

/*
 * Check one file; false on an error that is not a finding (the caller
 * exits 2).
 */
static bool
check_file(PGconn *conn, SourceFile *file, FindingList *findings)
{
	const char *params[1] = {file->text};
	PGresult   *res;
	PGresult   *rules;
	int			encoding = PQclientEncoding(conn);
	int			i;
	bool		ok = true;

	find_ignores(file);
	if (!run_simple(conn, "BEGIN TRANSACTION READ ONLY"))
		return false;
	rules = PQexec(conn, "SELECT rule FROM schemaguard.rule_config");
	if (PQresultStatus(rules) == PGRES_TUPLES_OK)
		check_ignored_rules(file, rules);
	PQclear(rules);
	/* a failed look-up of the rules aborted the transaction: start again */
	run_simple(conn, "ROLLBACK");
	if (!run_simple(conn, "BEGIN TRANSACTION READ ONLY"))
		return false;

	res = PQexecParams(conn,
					   "SELECT statement, rule, severity, message, detail, hint, line, col "
					   "FROM schemaguard.check_ddl($1) ORDER BY statement, rule",
					   1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK)
	{
		for (i = 0; i < PQntuples(res); i++)
		{
			Finding		f;
			size_t		start;

			memset(&f, 0, sizeof(f));
			f.file = file->name;
			f.statement = atoi(PQgetvalue(res, i, 0));
			f.rule = pg_strdup(PQgetvalue(res, i, 1));
			f.severity = pg_strdup(PQgetvalue(res, i, 2));
			f.message = pg_strdup(PQgetvalue(res, i, 3));
			f.detail = PQgetisnull(res, i, 4) ? NULL : pg_strdup(PQgetvalue(res, i, 4));
			f.hint = PQgetisnull(res, i, 5) ? NULL : pg_strdup(PQgetvalue(res, i, 5));
			f.line = atoi(PQgetvalue(res, i, 6));
			f.col = atoi(PQgetvalue(res, i, 7));
			f.source_line = line_text(file, f.line);
			start = offset_of(file, f.line, f.col, encoding);
			f.suppressed = suppressed(file, start, f.rule);
			add_finding(findings, &f);
		}
	}
	else
	{
		const char *sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		const char *position = PQresultErrorField(res, PG_DIAG_INTERNAL_POSITION);

		if (sqlstate && strcmp(sqlstate, "42601") == 0)
		{
			/* the server's syntax error, where it found it */
			Finding		f;
			const char *hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);

			memset(&f, 0, sizeof(f));
			f.file = file->name;
			f.rule = "syntax-error";
			f.severity = "error";
			f.message = pg_strdup(PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
			f.detail = "The server could not parse the file; the statements after this point were not checked.";
			f.hint = hint ? pg_strdup(hint) : NULL;
			if (position)
				place_of_position(file, atoi(position), encoding, &f.line, &f.col);
			else
			{
				f.line = 1;
				f.col = 1;
			}
			f.source_line = line_text(file, f.line);
			f.suppressed = false;
			add_finding(findings, &f);
		}
		else
		{
			const char *hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
			const char *message = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

			cli_error("could not check \"%s\": %s", file->name,
					  message ? message : PQerrorMessage(conn));
			if (sqlstate && (strcmp(sqlstate, "42883") == 0 || strcmp(sqlstate, "3F000") == 0 ||
							 strcmp(sqlstate, "42P01") == 0))
				fprintf(stderr, "%s: hint: schemaguard 0.3.0 or later must be installed in this database "
						"(CREATE EXTENSION schemaguard, or ALTER EXTENSION schemaguard UPDATE).\n",
						progname);
			else if (hint)
				fprintf(stderr, "%s: hint: %s\n", progname, hint);
			ok = false;
		}
	}
	PQclear(res);
	run_simple(conn, "ROLLBACK");
	findings->files++;
	return ok;
}

static bool
parse_format(const char *name, OutputFormat *format)
{
	static const struct
	{
		const char *name;
		OutputFormat format;
	}			formats[] = {
		{"tty", FORMAT_TTY}, {"gcc", FORMAT_GCC}, {"json", FORMAT_JSON},
		{"sarif", FORMAT_SARIF}, {"github", FORMAT_GITHUB}
	};
	int			i;

	for (i = 0; i < lengthof(formats); i++)
	{
		if (strcmp(name, formats[i].name) == 0)
		{
			*format = formats[i].format;
			return true;
		}
	}
	return false;
}

int
cli_check(int argc, char **argv)
{
	static struct option long_options[] = {
		{"dbname", required_argument, NULL, 'd'},
		{"host", required_argument, NULL, 'h'},
		{"port", required_argument, NULL, 'p'},
		{"username", required_argument, NULL, 'U'},
		{"format", required_argument, NULL, 'f'},
		{"color", required_argument, NULL, 1},
		{"colour", required_argument, NULL, 1},
		{"help", no_argument, NULL, 2},
		{NULL, 0, NULL, 0}
	};
	ConnOptions conn_options;
	OutputFormat format = getenv("GITHUB_ACTIONS") ? FORMAT_GITHUB : FORMAT_TTY;
	const char *color = "auto";
	bool		use_color;
	FindingList findings;
	PGconn	   *conn;
	int			c;
	int			i;
	int			status = EXIT_CLEAN;

	memset(&conn_options, 0, sizeof(conn_options));
	memset(&findings, 0, sizeof(findings));
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:h:p:U:f:", long_options, NULL)) != -1)
	{
		if (cli_conn_option(c, optarg, &conn_options))
			continue;
		switch (c)
		{
			case 'f':
				if (!parse_format(optarg, &format))
				{
					cli_error("unknown format \"%s\" (tty, gcc, json, sarif, github)", optarg);
					return EXIT_USAGE;
				}
				break;
			case 1:
				if (strcmp(optarg, "auto") != 0 && strcmp(optarg, "always") != 0 &&
					strcmp(optarg, "never") != 0)
				{
					cli_error("--color must be auto, always or never, not \"%s\"", optarg);
					return EXIT_USAGE;
				}
				color = optarg;
				break;
			case 2:
				cli_help(stdout);
				return EXIT_CLEAN;
			default:
				fprintf(stderr, "Try \"%s --help\" for more information.\n", progname);
				return EXIT_USAGE;
		}
	}
	if (optind >= argc)
	{
		cli_error("no file to check");
		fprintf(stderr, "Try \"%s --help\" for more information.\n", progname);
		return EXIT_USAGE;
	}
	use_color = strcmp(color, "always") == 0 ||
		(strcmp(color, "auto") == 0 && isatty(fileno(stdout)) && getenv("NO_COLOR") == NULL);

	conn = cli_connect(&conn_options);
	if (conn == NULL)
		return EXIT_USAGE;

	for (i = optind; i < argc; i++)
	{
		SourceFile	file;

		memset(&file, 0, sizeof(file));
		file.name = argv[i];
		file.text = read_file(argv[i], &file.len);
		if (file.text == NULL)
		{
			status = EXIT_USAGE;
			continue;
		}
		if (!check_file(conn, &file, &findings))
			status = EXIT_USAGE;
		if (PQstatus(conn) != CONNECTION_OK)
		{
			cli_error("lost the connection to the server");
			PQfinish(conn);
			return EXIT_USAGE;
		}
	}
	PQfinish(conn);

	output_findings(stdout, format, use_color, &findings);
	if (status == EXIT_CLEAN)
	{
		for (i = 0; i < findings.count; i++)
			if (!findings.items[i].suppressed &&
				strcmp(findings.items[i].severity, "error") == 0)
				status = EXIT_FINDINGS;
	}
	return status;
}

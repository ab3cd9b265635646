/*-------------------------------------------------------------------------
 *
 * cli.h
 *	  Declarations shared by the files of pg_schemaguard, the command-line
 *	  client: the connection options, a finding as the client reports it,
 *	  the output formats, and the subcommands.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SCHEMAGUARD_CLI_H
#define SCHEMAGUARD_CLI_H

#include "postgres_fe.h"

#include <stdio.h>

#include "libpq-fe.h"

/* Exit statuses (pg_schemaguard --help, EXIT STATUS). */
#define EXIT_CLEAN		0		/* nothing at error severity */
#define EXIT_FINDINGS	1		/* findings at error severity; a failed post */
#define EXIT_USAGE		2		/* usage, connection, file or server error */

/* The usual libpq settings; NULL: libpq's own default (PG* variables). */
typedef struct ConnOptions
{
	const char *dbname;			/* a database name or a connection string */
	const char *host;
	const char *port;
	const char *username;
} ConnOptions;

/* One finding, located in the file it was read from. */
typedef struct Finding
{
	const char *file;			/* as given on the command line */
	int			line;			/* 1-based; 0: the file as a whole */
	int			col;			/* 1-based, in characters */
	int			statement;		/* 1-based; 0: none (a syntax error) */
	const char *rule;
	const char *severity;		/* "error" or "warning" */
	const char *message;
	const char *detail;			/* may be NULL */
	const char *hint;			/* may be NULL */
	const char *source_line;	/* the text of the line, for tty; may be NULL */
	bool		suppressed;		/* by -- schemaguard-ignore */
} Finding;

typedef struct FindingList
{
	Finding    *items;
	int			count;
	int			capacity;
	int			files;			/* files checked */
} FindingList;

typedef enum OutputFormat
{
	FORMAT_TTY,
	FORMAT_GCC,
	FORMAT_JSON,
	FORMAT_SARIF,
	FORMAT_GITHUB
} OutputFormat;

/* pg_schemaguard.c */
extern const char *progname;
extern void cli_error(const char *fmt,...) pg_attribute_printf(1, 2);
extern PGconn *cli_connect(const ConnOptions *options);
extern bool cli_conn_option(int c, const char *arg, ConnOptions *options);
extern void cli_help(FILE *out);

/* check.c */
extern int	cli_check(int argc, char **argv);

/* output.c */
extern void output_findings(FILE *out, OutputFormat format, bool color,
							const FindingList *findings);
extern void json_string(FILE *out, const char *s);
extern const char *const known_rules[];

/* export.c */
extern int	cli_impact(int argc, char **argv);
extern int	cli_openlineage(int argc, char **argv);

#endif							/* SCHEMAGUARD_CLI_H */

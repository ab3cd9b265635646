/*-------------------------------------------------------------------------
 *
 * output.c
 *	  pg_schemaguard check's findings in each output format: tty (for
 *	  people, coloured on a terminal), gcc (one line each, for editors),
 *	  json, sarif (SARIF 2.1.0, for code scanning) and github (workflow
 *	  commands that GitHub Actions shows as annotations).
 *
 * SARIF ruleIds are the guard's rule ids, which are stable; driver.rules
 * lists the known rules in a fixed order (so a ruleIndex never changes)
 * and any other rule the server reports after them.  Columns are counted
 * in Unicode code points (run.columnKind), as check_ddl() counts them.
 *
 *-------------------------------------------------------------------------
 */
#include "cli.h"

/* The guard's rules as this client knows them, and the client's own. */
const char *const known_rules[] = {
	"breaks-dependents",
	"table-rewrite",
	"full-scan-under-lock",
	"blocking-index-build",
	"data-loss",
	"lock-timeout",
	"syntax-error",
	NULL
};

static const char *const rule_descriptions[] = {
	"A change breaks views, functions, triggers or other objects that depend on what it changes or drops.",
	"A change rewrites a large table under an ACCESS EXCLUSIVE lock.",
	"A change scans a large table while holding a lock that blocks its users.",
	"An index build blocks writes to a large table (not CONCURRENTLY).",
	"A change deletes data that cannot be brought back.",
	"A statement waits for a heavy lock with no lock_timeout, blocking every query queued behind it.",
	"The server could not parse the file; what follows the error was not checked.",
};

/* JSON string, escaped as RFC 8259 requires. */
void
json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; s && *s; s++)
	{
		unsigned char c = (unsigned char) *s;

		switch (c)
		{
			case '"':
				fputs("\\\"", out);
				break;
			case '\\':
				fputs("\\\\", out);
				break;
			case '\n':
				fputs("\\n", out);
				break;
			case '\r':
				fputs("\\r", out);
				break;
			case '\t':
				fputs("\\t", out);
				break;
			default:
				if (c < 0x20)
					fprintf(out, "\\u%04x", c);
				else
					fputc(c, out);
		}
	}
	fputc('"', out);
}

static void
json_field(FILE *out, const char *key, const char *value, bool comma)
{
	json_string(out, key);
	fputc(':', out);
	if (value)
		json_string(out, value);
	else
		fputs("null", out);
	if (comma)
		fputc(',', out);
}

static void
count(const FindingList *findings, int *errors, int *warnings, int *suppressed)
{
	int			i;

	*errors = *warnings = *suppressed = 0;
	for (i = 0; i < findings->count; i++)
	{
		const Finding *f = &findings->items[i];

		if (f->suppressed)
			(*suppressed)++;
		else if (strcmp(f->severity, "error") == 0)
			(*errors)++;
		else
			(*warnings)++;
	}
}

/* Print text with every line after the first indented. */
static void
indented(FILE *out, const char *text, const char *indent)
{
	for (; *text; text++)
	{
		fputc(*text, out);
		if (*text == '\n')
			fputs(indent, out);
	}
}

/*
 * tty: for people.
 *
 *	error[blocking-index-build]: CREATE INDEX blocks writes ...
 *	  --> migrations/002.sql:4:1
 *	   |
 *	 4 | CREATE INDEX ON events (created_at);
 *	   |
 *	   = detail: ...
 *	   = hint: ...
 */
static void
output_tty(FILE *out, bool color, const FindingList *findings)
{
	const char *bold = color ? "\033[1m" : "";
	const char *red = color ? "\033[1;31m" : "";
	const char *yellow = color ? "\033[1;33m" : "";
	const char *blue = color ? "\033[1;34m" : "";
	const char *reset = color ? "\033[0m" : "";
	int			errors;
	int			warnings;
	int			suppressed;
	int			i;

	for (i = 0; i < findings->count; i++)
	{
		const Finding *f = &findings->items[i];
		bool		error = strcmp(f->severity, "error") == 0;
		char		number[16];
		int			width;

		if (f->suppressed)
			continue;
		snprintf(number, sizeof(number), "%d", f->line);
		width = strlen(number);
		fprintf(out, "%s%s[%s]%s%s: ", error ? red : yellow, f->severity, f->rule, reset, bold);
		indented(out, f->message, "  ");
		fprintf(out, "%s\n", reset);
		fprintf(out, "%*s%s-->%s %s:%d:%d\n", width, "", blue, reset, f->file, f->line, f->col);
		if (f->source_line)
		{
			fprintf(out, "%*s %s|%s\n", width, "", blue, reset);
			fprintf(out, "%s%s |%s %s\n", blue, number, reset, f->source_line);
			fprintf(out, "%*s %s|%s %*s%s^%s\n", width, "", blue, reset,
					f->col - 1, "", error ? red : yellow, reset);
		}
		if (f->detail)
		{
			fprintf(out, "%*s %s=%s %sdetail:%s ", width, "", blue, reset, bold, reset);
			indented(out, f->detail, "           ");
			fputc('\n', out);
		}
		if (f->hint)
		{
			char	   *indent = psprintf("%*s         ", width, "");

			fprintf(out, "%*s %s=%s %shint:%s ", width, "", blue, reset, bold, reset);
			indented(out, f->hint, indent);
			fputc('\n', out);
			pg_free(indent);
		}
		fputc('\n', out);
	}
	count(findings, &errors, &warnings, &suppressed);
	if (errors + warnings == 0)
		fprintf(out, "%sno findings%s in %d file%s", bold, reset,
				findings->files, findings->files == 1 ? "" : "s");
	else
		fprintf(out, "%s%d error%s%s, %s%d warning%s%s in %d file%s",
				errors ? red : "", errors, errors == 1 ? "" : "s", reset,
				warnings ? yellow : "", warnings, warnings == 1 ? "" : "s", reset,
				findings->files, findings->files == 1 ? "" : "s");
	if (suppressed)
		fprintf(out, " (%d suppressed)", suppressed);
	fputc('\n', out);
}

/* gcc: file:line:col: severity: rule: message (one line each). */
static void
output_gcc(FILE *out, const FindingList *findings)
{
	int			i;

	for (i = 0; i < findings->count; i++)
	{
		const Finding *f = &findings->items[i];
		const char *p;

		if (f->suppressed)
			continue;
		fprintf(out, "%s:%d:%d: %s: %s: ", f->file, f->line, f->col, f->severity, f->rule);
		for (p = f->message; *p; p++)
			fputc(*p == '\n' ? ' ' : *p, out);
		fputc('\n', out);
	}
}

static void
output_json(FILE *out, const FindingList *findings)
{
	int			errors;
	int			warnings;
	int			suppressed;
	int			i;

	count(findings, &errors, &warnings, &suppressed);
	fputs("{\"findings\":[", out);
	for (i = 0; i < findings->count; i++)
	{
		const Finding *f = &findings->items[i];

		if (i > 0)
			fputc(',', out);
		fputs("\n  {", out);
		json_field(out, "file", f->file, true);
		fprintf(out, "\"line\":%d,\"column\":%d,", f->line, f->col);
		if (f->statement > 0)
			fprintf(out, "\"statement\":%d,", f->statement);
		else
			fputs("\"statement\":null,", out);
		json_field(out, "rule", f->rule, true);
		json_field(out, "severity", f->severity, true);
		json_field(out, "message", f->message, true);
		json_field(out, "detail", f->detail, true);
		json_field(out, "hint", f->hint, true);
		fprintf(out, "\"suppressed\":%s}", f->suppressed ? "true" : "false");
	}
	fprintf(out, "\n],\"files\":%d,\"errors\":%d,\"warnings\":%d,\"suppressed\":%d}\n",
			findings->files, errors, warnings, suppressed);
}

/* A file name as a URI reference: relative stays relative. */
static void
json_uri(FILE *out, const char *path)
{
	const unsigned char *p;

	fputc('"', out);
	if (path[0] == '/')
		fputs("file://", out);
	for (p = (const unsigned char *) path; *p; p++)
	{
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			(*p >= '0' && *p <= '9') || strchr("-._~/", *p) != NULL)
			fputc(*p, out);
		else
			fprintf(out, "%%%02X", *p);
	}
	fputc('"', out);
}

/* The index of a rule in driver.rules, adding it if it is new. */
static int
rule_index(const char ***rules, int *nrules, const char *rule)
{
	int			i;

	for (i = 0; i < *nrules; i++)
		if (strcmp((*rules)[i], rule) == 0)
			return i;
	*rules = pg_realloc(*rules, sizeof(char *) * (*nrules + 1));
	(*rules)[*nrules] = rule;
	return (*nrules)++;
}

static void
output_sarif(FILE *out, const FindingList *findings)
{
	const char **rules = NULL;
	int			nrules = 0;
	int		   *indexes = pg_malloc0(sizeof(int) * Max(findings->count, 1));
	int			i;

	for (i = 0; known_rules[i]; i++)
		(void) rule_index(&rules, &nrules, known_rules[i]);
	for (i = 0; i < findings->count; i++)
		indexes[i] = rule_index(&rules, &nrules, findings->items[i].rule);

	fputs("{\n  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n"
		  "  \"version\": \"2.1.0\",\n"
		  "  \"runs\": [{\n"
		  "    \"tool\": {\"driver\": {\"name\": \"pg_schemaguard\", "
		  "\"version\": \"" SCHEMAGUARD_VERSION "\", \"rules\": [", out);
	for (i = 0; i < nrules; i++)
	{
		fputs(i > 0 ? ",\n      {" : "\n      {", out);
		json_field(out, "id", rules[i], true);
		fputs("\"shortDescription\":{", out);
		json_field(out, "text", i < lengthof(rule_descriptions) ? rule_descriptions[i]
				   : rules[i], false);
		fprintf(out, "},\"defaultConfiguration\":{\"level\":\"%s\"}}",
				strcmp(rules[i], "lock-timeout") == 0 ? "warning" : "error");
	}
	fputs("]}},\n    \"columnKind\": \"unicodeCodePoints\",\n    \"results\": [", out);
	for (i = 0; i < findings->count; i++)
	{
		const Finding *f = &findings->items[i];
		char	   *text;

		text = psprintf("%s%s%s%s%s", f->message,
						f->detail ? "\n" : "", f->detail ? f->detail : "",
						f->hint ? "\nHint: " : "", f->hint ? f->hint : "");
		fputs(i > 0 ? ",\n      {" : "\n      {", out);
		json_field(out, "ruleId", f->rule, true);
		fprintf(out, "\"ruleIndex\":%d,", indexes[i]);
		json_field(out, "level", strcmp(f->severity, "error") == 0 ? "error" : "warning", true);
		fputs("\"message\":{", out);
		json_field(out, "text", text, false);
		fputs("},\"locations\":[{\"physicalLocation\":{\"artifactLocation\":{\"uri\":", out);
		json_uri(out, f->file);
		fprintf(out, "},\"region\":{\"startLine\":%d,\"startColumn\":%d}}}]",
				Max(f->line, 1), Max(f->col, 1));
		if (f->suppressed)
			fputs(",\"suppressions\":[{\"kind\":\"inSource\"}]", out);
		fputc('}', out);
		pg_free(text);
	}
	fputs("\n    ]\n  }]\n}\n", out);
	pg_free(indexes);
	pg_free(rules);
}

/* A workflow command's data: %, CR and LF escaped; in properties, : and , too. */
static void
github_escape(FILE *out, const char *s, bool property)
{
	for (; *s; s++)
	{
		if (*s == '%')
			fputs("%25", out);
		else if (*s == '\r')
			fputs("%0D", out);
		else if (*s == '\n')
			fputs("%0A", out);
		else if (property && *s == ':')
			fputs("%3A", out);
		else if (property && *s == ',')
			fputs("%2C", out);
		else
			fputc(*s, out);
	}
}

static void
output_github(FILE *out, const FindingList *findings)
{
	int			errors;
	int			warnings;
	int			suppressed;
	int			i;

	for (i = 0; i < findings->count; i++)
	{
		const Finding *f = &findings->items[i];
		char	   *title;
		char	   *text;

		if (f->suppressed)
			continue;
		title = psprintf("schemaguard %s", f->rule);
		text = psprintf("%s%s%s%s%s", f->message,
						f->detail ? "\n\n" : "", f->detail ? f->detail : "",
						f->hint ? "\n\nHint: " : "", f->hint ? f->hint : "");
		fprintf(out, "::%s file=", strcmp(f->severity, "error") == 0 ? "error" : "warning");
		github_escape(out, f->file, true);
		fprintf(out, ",line=%d,col=%d,title=", Max(f->line, 1), Max(f->col, 1));
		github_escape(out, title, true);
		fputs("::", out);
		github_escape(out, text, false);
		fputc('\n', out);
		pg_free(title);
		pg_free(text);
	}
	count(findings, &errors, &warnings, &suppressed);
	fprintf(out, "schemaguard: %d error%s, %d warning%s in %d file%s",
			errors, errors == 1 ? "" : "s", warnings, warnings == 1 ? "" : "s",
			findings->files, findings->files == 1 ? "" : "s");
	if (suppressed)
		fprintf(out, " (%d suppressed)", suppressed);
	fputc('\n', out);
}

void
output_findings(FILE *out, OutputFormat format, bool color,
				const FindingList *findings)
{
	switch (format)
	{
		case FORMAT_TTY:
			output_tty(out, color, findings);
			break;
		case FORMAT_GCC:
			output_gcc(out, findings);
			break;
		case FORMAT_JSON:
			output_json(out, findings);
			break;
		case FORMAT_SARIF:
			output_sarif(out, findings);
			break;
		case FORMAT_GITHUB:
			output_github(out, findings);
			break;
	}
	fflush(out);
}

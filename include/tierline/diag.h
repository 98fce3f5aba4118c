/*
 * diag.h — diagnostics: compiler-style messages collected as values.
 *
 * Every parser in tierline (flow, scenario, call script) reports problems by
 * appending to a diag_list instead of printing or exiting, so the CLI decides
 * how to show them (text or --json) and tests can compare them exactly.
 * Text form:  FILE:LINE:COL: SEVERITY: MESSAGE
 */
#ifndef TIERLINE_DIAG_H
#define TIERLINE_DIAG_H

#include <stdio.h>

typedef enum diag_severity {
	DIAG_ERROR = 0,
	DIAG_WARNING = 1,
	DIAG_NOTE = 2
} diag_severity;

typedef struct diag {
	char *file;       /* owned copy; may be NULL for whole-run problems */
	int line, col;    /* 1-based; 0 when unknown */
	diag_severity severity;
	char *code;       /* stable machine name, e.g. "unknown-node" */
	char *message;    /* human text, no trailing newline */
} diag;

typedef struct diag_list {
	diag *items;
	int n, cap;
	int nerrors, nwarnings;
	int max;          /* stop recording after this many (0 = 1000) */
	int dropped;      /* how many were not recorded because of max */
} diag_list;

void diag_init(diag_list *dl);
void diag_free(diag_list *dl);

/* Append a diagnostic; printf-style message. */
void diag_add(diag_list *dl, diag_severity sev, const char *file, int line,
              int col, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

/* Sort by file order of appearance, then line, then column (stable). */
void diag_sort(diag_list *dl);

/* Print "file:line:col: severity: message" lines. */
void diag_print(const diag_list *dl, FILE *out);

/* Print a JSON array of {file,line,column,severity,code,message}. */
void diag_print_json(const diag_list *dl, FILE *out);

const char *diag_severity_name(diag_severity sev);

/* Levenshtein-based "did you mean": the closest of cands[0..n) to name within
 * a distance that scales with its length, or NULL. */
const char *diag_suggest(const char *name, const char *const *cands, int n);

#endif

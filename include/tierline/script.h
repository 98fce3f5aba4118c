/*
 * script.h — call scripts (.call): a call written down as timed lines.
 *
 * A call script says when a call was placed, what the caller (and, without a
 * scenario, the agents) did and when, and what the call is expected to do
 * (docs/call-scripts.md; the contract is spec/call-script.md).  Parsing is in
 * two steps so that a script can be read once and checked against any flow:
 *
 *   script_parse()  syntax only: times, keys, line kinds, strings;
 *   script_check()  names against a flow: line, language, variables, and the
 *                   nodes, prompts, queues, offices and outcomes the
 *                   expectations mention (with "did you mean").
 *
 * Both report through a diag_list (FILE:LINE:COL) and never print.  Times in a
 * parsed script are whole milliseconds from the call's start; the start itself
 * is a local-ms instant (util.h), Monday 2026-01-05 12:00 unless `at` is given.
 * script_write() is the inverse of script_parse() (the console records with it).
 */
#ifndef TIERLINE_SCRIPT_H
#define TIERLINE_SCRIPT_H

#include <stdbool.h>
#include <stdint.h>
#include "tierline/diag.h"
#include "tierline/flow.h"
#include "tierline/util.h"

/* Monday 2026-01-05 12:00 local: the default start, so hours are deterministic. */
#define SCRIPT_DEFAULT_START (20458LL * 86400000LL + 12LL * 3600000LL)
#define SCRIPT_KEY_GAP_MS 200          /* keys of one `press` without `every` */
#define SCRIPT_MAX_KEYS 64             /* keys in one `press` */

typedef enum script_step_kind {
	SCRIPT_PRESS,
	SCRIPT_HANGUP,
	/* agent lines: they act on the call's current queue leg */
	SCRIPT_ANSWER,
	SCRIPT_RESOLVED,
	SCRIPT_ESCALATE,
	SCRIPT_SUPERVISOR,
	SCRIPT_REQUEST
} script_step_kind;

typedef struct script_step {
	script_step_kind kind;
	int64_t t;                         /* ms from the call's start */
	char keys[SCRIPT_MAX_KEYS + 1];    /* SCRIPT_PRESS */
	int nkeys;
	uint32_t every_ms;                 /* gap between keys */
	int line, col;
} script_step;

typedef enum script_expect_kind {
	SCRIPT_EXP_VISIT,                  /* expect visit NODE */
	SCRIPT_EXP_NEVER,                  /* expect never NODE */
	SCRIPT_EXP_QUEUE,                  /* expect queue NAME */
	SCRIPT_EXP_OUTCOME,                /* expect outcome O */
	SCRIPT_EXP_OFFICE,                 /* expect request office NAME */
	SCRIPT_EXP_VAR,                    /* expect var NAME "value" */
	SCRIPT_EXP_PROMPT,                 /* expect prompt ID */
	SCRIPT_EXP_NEVER_PROMPT            /* expect never prompt ID */
} script_expect_kind;

typedef struct script_expect {
	script_expect_kind kind;
	const char *name;                  /* node / queue / office / var / prompt / outcome */
	const char *value;                 /* SCRIPT_EXP_VAR */
	int idx;                           /* resolved by script_check: node, queue, office,
	                                      var, prompt index or call_outcome */
	int line, col, name_col;
} script_expect;

typedef struct script_var {
	const char *name, *value;
	int idx;                           /* flow variable, set by script_check */
	int line, col;
} script_var;

typedef struct script {
	arena mem;
	const char *path;
	const char *line_name; int line_col, line_line;
	const char *lang; int lang_line, lang_col;
	bool has_at;
	int64_t start;                     /* local ms */
	script_var *vars; int nvars;
	script_step *steps; int nsteps;
	script_expect *expects; int nexpects;
	int cap_steps, cap_expects, cap_vars;
	/* resolved by script_check */
	int line;                          /* flow line index */
	int lang_idx;                      /* -1 = the line's default */
} script;

/* Parse a script from memory.  Returns 0 (ok, *out set, caller frees), or 2
 * when it has errors (diagnostics in dl, *out NULL). */
int  script_parse(const char *path, const char *text, size_t len,
                  script **out, diag_list *dl);
/* Read and parse a file: 0, 2 as above (unreadable is an error in dl too). */
int  script_load(const char *path, script **out, diag_list *dl);
/* Resolve and validate every name against the flow.  line_override (may be
 * NULL) replaces the script's line.  Returns 0 or 2 (errors in dl). */
int  script_check(script *s, const flow *f, const char *line_override,
                  diag_list *dl);
void script_free(script *s);

/* Build a script in code (the console's recorder, audio replay): an empty
 * script on line_name starting at `start`; steps must be added in time order. */
script *script_new(const char *path, const char *line_name, int64_t start, bool has_at);
script_step *script_add_step(script *s, script_step_kind k, int64_t t);
script_expect *script_add_expect(script *s, script_expect_kind k, const char *name,
                                 const char *value);
void script_set_lang(script *s, const char *lang);

/* Time of the last line (a step's start; 0 when there are none). */
int64_t script_last_t(const script *s);

const char *script_step_name(script_step_kind k);      /* "press", "answer", ... */
const char *script_expect_name(script_expect_kind k);  /* "visit", "never", ... */

/* Write a script in the syntax script_parse reads; times as bare seconds from
 * the start (exact to the ms), so parse(write(s)) has the same lines. */
void script_write(const script *s, buf *out);

/* Format "12.5" / "3" / "0.205": ms as bare seconds, shortest exact form. */
void script_fmt_secs(int64_t ms, char *out, size_t n);

/* Parse a duration ("250ms", "1.5s", "1h30m"): 0 and *ms, or -1 with a
 * reason in err. */
int  script_parse_duration(const char *s, size_t n, int64_t *ms,
                           char *err, size_t errlen);
/* Parse "YYYY-MM-DD HH:MM[:SS]" as local ms: 0 or -1. */
int  script_parse_datetime(const char *s, int64_t *ms);

#endif

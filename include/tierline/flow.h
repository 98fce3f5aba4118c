/*
 * flow.h — the flow graph: what a .flow file says, parsed and checked.
 *
 * flow_load() lexes and parses a flow file (and its includes), resolves every
 * name to an index, loads the prompt catalog, and runs the checker.  The
 * result is immutable: the call engine, the simulator and every exporter
 * only read it, so any number of calls (and simulations) can share one graph.
 *
 * Everything is stored in arrays and referenced by int index; all memory
 * belongs to the flow's arena and is freed by flow_free().
 *
 * Targets (`-> X`) are node indexes >= 0 or one of the FLOW_T_* built-ins.
 * Times are milliseconds.  Clocks are minutes since midnight (0..1440).
 */
#ifndef TIERLINE_FLOW_H
#define TIERLINE_FLOW_H

#include <stdbool.h>
#include <stdint.h>
#include "tierline/diag.h"
#include "tierline/util.h"

/* Built-in targets. */
enum {
	FLOW_T_NONE = -1,    /* not given */
	FLOW_T_HANGUP = -2,
	FLOW_T_REPEAT = -3,
	FLOW_T_BACK = -4,
	FLOW_T_TOP = -5
};

typedef struct flow_loc {
	const char *file;    /* interned path as written/resolved */
	int line, col;
} flow_loc;

#define FLOW_MAX_KEYS 32     /* longest option key string */
#define FLOW_MAX_LANGS 8

/* ---- prompts ----------------------------------------------------------- */
typedef struct flow_prompt {
	const char *id;
	const char *text[FLOW_MAX_LANGS];   /* NULL when missing in that language */
	const char *wav[FLOW_MAX_LANGS];    /* path of audio, NULL when none */
	uint32_t ms[FLOW_MAX_LANGS];        /* duration: audio length, else 400ms/word, else 1000 */
	flow_loc first_use;
} flow_prompt;

/* ---- hours ------------------------------------------------------------- */
typedef struct flow_hours_range {
	uint8_t days;        /* bit 0 = mon ... bit 6 = sun */
	uint16_t start, end; /* minutes of day, half-open [start, end) */
} flow_hours_range;

typedef struct flow_hours {
	const char *name;
	flow_loc loc;
	flow_hours_range *ranges; int nranges;
	int32_t *closed; int nclosed;       /* YYYYMMDD whole-day exceptions, sorted */
	/* The closed dates again as a bit per day, built by the parser so
	 * flow_hours_open (asked by every call that meets hours) tests a bit
	 * instead of working out the date and searching `closed`: bit i of
	 * closed_bits is day closed_day0 + i (days since 1970-01-01).  Only
	 * real dates in [0, FLOW_HOURS_BITS_DAYS) are in it; NULL (hours built
	 * by hand, or dates too far apart) means `closed` is searched. */
	const uint64_t *closed_bits; int32_t closed_day0, closed_ndays;
} flow_hours;
/* Days since 1970-01-01 below which closed_bits can answer (to the year 7711). */
#define FLOW_HOURS_BITS_DAYS (1 << 21)
/* Widest span of closed dates kept as bits (about 90 years, 4 KB). */
#define FLOW_HOURS_BITS_SPAN (1 << 15)

/* ---- offices ----------------------------------------------------------- */
typedef struct flow_office {
	const char *name;
	const char *title;                  /* "Vermont Service Center" */
	const char **receipts; int nreceipts;  /* receipt prefixes */
	const char *refer;                  /* contact details; non-NULL = refer office */
	flow_loc loc;
} flow_office;

/* ---- lines ------------------------------------------------------------- */
typedef struct flow_line {
	const char *name;
	const char *number;
	const char *channel;                /* "voice" (default) or e.g. "tty" */
	int start;                          /* node index */
	int hours;                          /* hours index or -1 */
	int closed;                         /* target when outside hours */
	int lang;                           /* default language index for this line (0) */
	flow_loc loc;
} flow_line;

/* ---- nodes ------------------------------------------------------------- */
typedef enum flow_node_kind {
	FLOW_MENU, FLOW_INPUT, FLOW_PLAY, FLOW_SET, FLOW_ROUTE, FLOW_QUEUE,
	FLOW_REQUEST, FLOW_NKINDS
} flow_node_kind;

typedef struct flow_option {
	char keys[FLOW_MAX_KEYS + 1];       /* NUL-terminated DTMF keys */
	uint8_t nkeys;
	int target;
	flow_loc loc;
} flow_option;

/* `noinput [N] -> prompt X`: played from the N-th miss of that kind on. */
typedef struct flow_miss_prompt {
	int count;
	int prompt;
} flow_miss_prompt;

/* What menus and inputs share: prompting, listening and counting misses. */
typedef struct flow_listen {
	int *prompts; int nprompts;
	int *reprompts; int nreprompts;     /* 0 = use prompts */
	uint32_t timeout_ms;                /* default 5000 */
	uint32_t interdigit_ms;             /* default 3000 */
	int tries;                          /* default 3; caps both kinds together */
	int noinput_tries, nomatch_tries;   /* 0 = only `tries` applies */
	bool bargein;                       /* default on */
	flow_miss_prompt *noinput; int nnoinput;   /* sorted by count */
	flow_miss_prompt *nomatch; int nnomatch;
	int failure;                        /* default FLOW_T_HANGUP */
	int failure_noinput, failure_nomatch;  /* FLOW_T_NONE = use failure */
} flow_listen;

typedef struct flow_menu {
	flow_listen l;
	flow_option *options; int noptions;
	uint8_t max_keys;                   /* longest option */
	/* What the first key of a try does, built by the parser so the state
	 * machine reads it instead of scanning options (NULL when built by
	 * hand: it scans).  Indexed by key - FLOW_KEY_FIRST for the DTMF keys
	 * (flow_is_dtmf): -1 no option starts with it (a no-match), -2 a
	 * longer option starts with it (wait for more keys), else the index
	 * of the option that is that key alone (taken at once). */
	const int16_t *first_key;
} flow_menu;
#define FLOW_KEY_FIRST '#'                  /* lowest DTMF key ... */
#define FLOW_KEY_SPAN ('D' - '#' + 1)       /* ... to 'D', the highest */
#define FLOW_KEY_NOMATCH (-1)
#define FLOW_KEY_MORE (-2)

typedef struct flow_input {
	flow_listen l;
	int min_digits, max_digits;
	char terminator;                    /* default '#'; 0 = none */
	int store;                          /* variable index, or -1 */
	int next;
} flow_input;

typedef struct flow_play {
	int *prompts; int nprompts;
	int next;
} flow_play;

typedef struct flow_assign {
	int var;
	const char *value;
} flow_assign;

typedef struct flow_set {
	int lang;                           /* language index or -1 */
	flow_assign *assigns; int nassigns;
	int next;
} flow_set;

typedef enum flow_cond_kind {
	FLOW_COND_OPEN,      /* when open HOURS */
	FLOW_COND_LANG,      /* when lang L */
	FLOW_COND_VAR,       /* when var NAME prefix "..." (or equals, see op) */
	FLOW_COND_LINE       /* when line NAME */
} flow_cond_kind;

typedef struct flow_cond {
	flow_cond_kind kind;
	int arg;                            /* hours / lang / var / line index */
	const char *str;                    /* prefix for FLOW_COND_VAR */
	bool equals;                        /* FLOW_COND_VAR: `is "x"` instead of prefix */
	bool negate;                        /* `when not ...` (extension) */
	int target;
	flow_loc loc;
} flow_cond;

typedef struct flow_route {
	flow_cond *conds; int nconds;
	int otherwise;                      /* `else` target */
} flow_route;

typedef enum flow_strategy {
	FLOW_STRAT_LONGEST_IDLE, FLOW_STRAT_ROUND_ROBIN, FLOW_STRAT_FEWEST_CALLS,
	FLOW_STRAT_LEAST_TALK_TIME, FLOW_STRAT_RANDOM, FLOW_STRAT_TOP_DOWN
} flow_strategy;

typedef struct flow_queue {
	int index;                          /* queue index (0..nqueues), see flow->queues */
	int tier;                           /* 1, 2, 3 */
	flow_strategy strategy;
	bool skill_lang;
	int hours;                          /* -1 = always open */
	int closed;                         /* target when shut */
	uint32_t max_wait_ms;               /* 0 = none */
	int max_wait_target;
	uint32_t announce_ms;               /* 0 = none */
	int announce_prompt;                /* prompt index or -1 */
	int escalate, supervisor, request;  /* targets; FLOW_T_NONE when absent */
} flow_queue;

typedef enum flow_office_mode { FLOW_OFFICE_BY_VAR, FLOW_OFFICE_FIXED } flow_office_mode;

typedef struct flow_request {
	const char *type;
	flow_office_mode mode;
	int arg;                            /* variable index (BY_VAR) or office index */
	uint64_t due_ms;
	int next;
} flow_request;

typedef struct flow_node {
	const char *name;
	flow_node_kind kind;
	flow_loc loc;
	union {
		flow_menu menu;
		flow_input input;
		flow_play play;
		flow_set set;
		flow_route route;
		flow_queue queue;
		flow_request request;
	} u;
} flow_node;

/* ---- the graph --------------------------------------------------------- */
typedef struct flow {
	arena mem;
	const char *name;                   /* `flow NAME` */
	const char *path;                   /* main file */
	const char *timezone;               /* default "UTC" */
	const char *langs[FLOW_MAX_LANGS]; int nlangs;   /* [0] is the default */
	const char *prompt_dir;             /* resolved folder, or NULL */

	flow_node *nodes; int nnodes;
	flow_line *lines; int nlines;
	flow_hours *hours; int nhours;
	flow_office *offices; int noffices;
	int default_office;                 /* -1 when none */
	flow_prompt *prompts; int nprompts;
	const char **vars; int nvars;       /* call variable names */
	int *queue_nodes; int nqueues;      /* queue index -> node index */
	const char **files; int nfiles;     /* every file read (main first) */
	struct flow_index *index;           /* name -> index maps (flow_find_*) */
} flow;

/* Load, parse and check.  Returns 0 when no errors were found (warnings may
 * be present in dl), 1 when the flow has errors (*out is NULL), 2 when the
 * main file could not be read.  On success the caller owns *out. */
int  flow_load(const char *path, flow **out, diag_list *dl);
/* Parse from memory (for tests and the fuzzer); includes are resolved
 * relative to the directory of `path`. */
int  flow_load_string(const char *path, const char *text, size_t len,
                      flow **out, diag_list *dl);
void flow_free(flow *f);

/* Lookups: index or -1. */
int flow_find_node(const flow *f, const char *name);
int flow_find_line(const flow *f, const char *name);
int flow_find_queue(const flow *f, const char *name);   /* queue index */
int flow_find_office(const flow *f, const char *name);
int flow_find_prompt(const flow *f, const char *id);
int flow_find_var(const flow *f, const char *name);
int flow_find_lang(const flow *f, const char *code);

/* Is `hours` open at local-ms t?  (Half-open ranges; closed dates win.) */
bool flow_hours_open(const flow_hours *h, int64_t local_ms);
/* Office for a request given the value of its variable (longest receipt
 * prefix wins; NULL value or no match gives the default office, -1 if none). */
int  flow_office_for(const flow *f, const char *value);
/* Duration of a prompt in a language, in ms. */
uint32_t flow_prompt_ms(const flow *f, int prompt, int lang);
/* Name of a target for messages: node name or "hangup", "repeat", ... */
const char *flow_target_name(const flow *f, int target);
const char *flow_kind_name(flow_node_kind k);
const char *flow_strategy_name(flow_strategy s);
int flow_find_hours(const flow *f, const char *name);

/* ---- edges: every way out of a node -------------------------------------- */
typedef enum flow_edge_kind {
	FLOW_E_OPTION,            /* menu option (index = option) */
	FLOW_E_NEXT,              /* input/play/set/request next */
	FLOW_E_FAILURE,           /* menu/input failure */
	FLOW_E_FAILURE_NOINPUT,   /* failure noinput -> */
	FLOW_E_FAILURE_NOMATCH,   /* failure nomatch -> */
	FLOW_E_COND,              /* route `when` (index = condition) */
	FLOW_E_ELSE,              /* route else */
	FLOW_E_CLOSED,            /* queue closed -> */
	FLOW_E_TIMEOUT,           /* queue max_wait X -> */
	FLOW_E_ESCALATE, FLOW_E_SUPERVISOR, FLOW_E_REQUEST   /* queue outcomes */
} flow_edge_kind;

typedef struct flow_edge {
	flow_edge_kind kind;
	int index;                          /* option / condition index, else 0 */
	int target;                         /* node index or FLOW_T_* built-in */
} flow_edge;

/* Calls fn for every edge of a node whose target is given (not
 * FLOW_T_NONE), in the order the file lists them; defaults included (a
 * menu's implicit `failure -> hangup` is an edge). */
void flow_node_edges(const flow *f, int node,
                     void (*fn)(void *ctx, const flow_edge *e), void *ctx);
/* "1", "failure (no-input)", "open live_help", "lang es", "else", ... */
void flow_edge_label(const flow *f, int node, const flow_edge *e, char *out, size_t n);

/* Is there any minute in the week when these hours are open? */
bool flow_hours_ever_open(const flow_hours *h);

/* ---- Graphviz export ----------------------------------------------------- */
/* Optional figures drawn on the graph (e.g. coverage from stored runs):
 * visits per node and traversals per edge.  Either may be NULL. */
typedef struct flow_graph_counts {
	const int64_t *node_visits;                 /* [nnodes] */
	int64_t (*edge_count)(void *ctx, int from, const flow_edge *e);
	void *ctx;
} flow_graph_counts;

/* The flow as a Graphviz DOT document, appended to out. */
void flow_write_dot(const flow *f, const flow_graph_counts *counts, buf *out);

/* Is k a DTMF key: 0-9 * # A B C D (what an option may hold and a menu or
 * input hears).  A byte per character: call_handle tests every key with
 * it, and one load is cheaper than a bit table's shifts and masks. */
static inline bool flow_is_dtmf(char k)
{
	static const bool dtmf[256] = {
		['#'] = 1, ['*'] = 1,
		['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1,
		['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
		['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1,
	};
	return dtmf[(unsigned char)k];
}

#endif

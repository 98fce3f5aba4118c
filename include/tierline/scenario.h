/*
 * scenario.h — how callers and agents behave during a simulated period.
 *
 * scen_load() parses a .scenario file (scenario.md; same lexer as flows) and
 * resolves it against one flow: every line, menu, input, option, queue and
 * language it names must exist there.  The checks of `tierline check FLOW
 * SCENARIO` are made here too: shares add up to 100%, every queue the flow
 * can reach has an `agents` block, every menu share names a real option.
 *
 * Clock-based profiles (`profile 07:00 20/h, 09:00 60/h`, `staff 07:00 40,
 * 09:00 120`) are daily and cyclic: the step in force at a moment is the last
 * one whose clock is not after the time of day, else the day's last step
 * (carried over from the previous day).  A single value holds all day.
 *
 * All durations are ms; all shares are fractions 0..1; rates are per ms.
 */
#ifndef TIERLINE_SCENARIO_H
#define TIERLINE_SCENARIO_H

#include <stdbool.h>
#include <stdint.h>
#include "tierline/diag.h"
#include "tierline/dist.h"
#include "tierline/flow.h"
#include "tierline/call.h"

typedef struct scen_step {
	int minute;                  /* minute of day the step starts, 0..1439 */
	double value;                /* rate per ms (arrivals) or agents (staff) */
} scen_step;

typedef struct scen_profile {
	scen_step *steps; int nsteps;   /* sorted by minute; nsteps >= 1 */
} scen_profile;

/* The value in force at local-ms t. */
double scen_profile_at(const scen_profile *p, int64_t t);
/* The first step change strictly after t (local ms), or INT64_MAX when the
 * profile is constant. */
int64_t scen_profile_next(const scen_profile *p, int64_t t);

/* The most calls one run may place (the scenario's expected arrivals, and
 * simulate --calls): a run's records and wait samples are held in memory,
 * about 130 bytes a call, and a million calls take seconds; beyond this a
 * typo (a rate of 99999999999999/h) would look like a hang. */
#define SCEN_MAX_CALLS 10000000LL
/* The most report intervals a run may span, the drain after its end
 * included: the ACD keeps per-interval figures for up to 2^20 intervals a
 * queue, and fails a run past that. */
#define SCEN_MAX_INTERVALS 1000000LL

typedef struct scen_arrivals {
	int line;                    /* flow line index */
	scen_profile rate;           /* calls per ms */
	flow_loc loc;
} scen_arrivals;

typedef enum scen_choice_kind {
	SCEN_OPTION,                 /* press keys (menu option) */
	SCEN_NOINPUT,                /* press nothing */
	SCEN_NOMATCH,                /* press a key that matches no option */
	SCEN_HANGUP,                 /* hang up instead of answering */
	SCEN_VALID,                  /* input: a valid entry */
	SCEN_SHORT,                  /* input: fewer keys than the minimum */
	SCEN_LONG                    /* input: more keys than the maximum (extension) */
} scen_choice_kind;

typedef struct scen_choice {
	scen_choice_kind kind;
	char keys[FLOW_MAX_KEYS + 1];   /* SCEN_OPTION */
	double share;                /* 0..1 */
} scen_choice;

typedef struct scen_prefix {
	const char *prefix;
	double share;
} scen_prefix;

/* `menu NAME [lang L] { ... }` or `input NAME [lang L] { ... }`. */
typedef struct scen_answer {
	int node;                    /* flow node index (menu or input) */
	int lang;                    /* -1: all languages */
	scen_choice *choices; int nchoices;
	scen_prefix *prefixes; int nprefixes;   /* input only */
	flow_loc loc;
} scen_answer;

typedef struct scen_caller {
	bool has_think;   dist think;          /* press after a prompt ends */
	double bargein;                         /* share who press during the prompt */
	bool has_patience; dist patience;      /* time in queue before abandoning */
	double redial;    dist redial_after;   /* abandoned callers who call again */
	double ask_supervisor;                  /* extension: share of queued callers who ask */
	dist ask_after;                         /*   for a supervisor after this wait */
	scen_answer *answers; int nanswers;
} scen_caller;

typedef struct scen_agents {
	int queue;                   /* flow queue index */
	scen_profile staff;          /* agents on duty */
	double speaks[FLOW_MAX_LANGS];  /* share of agents speaking each language; <0 unset */
	dist handle;
	bool has_wrapup; dist wrapup;
	double outcome[CALL_AGENT_NOUTCOMES];   /* shares; sum 1 */
	flow_loc loc;
} scen_agents;

typedef struct scenario {
	arena mem;
	const char *name, *path;
	int64_t start;               /* local ms */
	int64_t length_ms;
	int64_t interval_ms;         /* default 30 min */
	uint64_t seed; bool has_seed;   /* default 1 */
	int64_t warmup_ms;
	scen_arrivals *arrivals; int narrivals;
	double lang_share[FLOW_MAX_LANGS];   /* [0] = the rest (default language) */
	scen_caller caller;
	scen_agents *agents; int nagents;
	int *agents_of_queue;        /* flow queue index -> agents index, or -1 */
	const flow *f;
	/* scen_answer_for's index: [node * (FLOW_MAX_LANGS + 1) + lang + 1] is
	 * an answers index or -1 (slot 0: the block for every language). */
	int *answer_of_node;
	flow_loc loc;                /* the `scenario NAME` header */
} scenario;

/* Parse and check against flow f.  Returns 0 (warnings may be in dl), 1 when
 * the scenario has errors (*out NULL), 2 when the file cannot be read. */
int  scen_load(const char *path, const flow *f, scenario **out, diag_list *dl);
int  scen_load_string(const char *path, const char *text, size_t len,
                      const flow *f, scenario **out, diag_list *dl);
void scen_free(scenario *s);

/* The answer block for a node and language (a language-specific one wins),
 * or NULL: then callers answer a menu uniformly over its options. */
const scen_answer *scen_answer_for(const scenario *s, int node, int lang);

/* What an agent of `ag` does with a call: one uniform draw from r against
 * the outcome shares (a share of 0 is never drawn; RESOLVED when the draw
 * falls past the last share). */
call_agent_outcome scen_draw_outcome(const scen_agents *ag, rng *r);

/* The most agents ag's staffing profile ever puts on (0 for NULL): the
 * roster a run needs. */
int scen_agents_peak(const scen_agents *ag);

/* The languages (bit per language index) agent i of ag's roster speaks.
 * Languages spread evenly: agent i speaks L when floor((i+1)p) > floor(ip)
 * for L's share p, so any first k agents hold about k*p speakers of L
 * whatever the staffing level.  Without a `speaks` line (or ag NULL) every
 * agent speaks the first language only; never 0. */
uint32_t scen_agent_langs(const scen_agents *ag, int nlangs, int i);

#endif

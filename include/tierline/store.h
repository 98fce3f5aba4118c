/*
 * store.h — the SQLite record store: schema migrations, a batched writer,
 * the figures of a run computed by SQL, node coverage, and exports.
 *
 * The idea: the engine hands plain structs (record.h) to one writer, which
 * copies them into SQLite with reused prepared statements inside large
 * transactions (one commit per STORE_BATCH_DEFAULT calls, WAL,
 * synchronous=NORMAL), a batch's calls sorted by id and many to an INSERT.  A run's row is committed with complete=0 before any
 * call is written and set to complete=1 in the same transaction as the last
 * batch, so a run whose writer was killed is visibly incomplete and every
 * earlier run stays intact.  Everything a report shows is SQL over the
 * tables (docs/database.md), so any figure can be re-derived by hand.
 *
 * Errors are values: every function returns STORE_OK (0) or a negative
 * store_status and leaves a one-line message in store_errmsg().  Nothing
 * here prints or exits.
 *
 * ---- Definitions of the figures (the contract with the simulator) -------
 * Only calls with counted=1 (not warm-up) contribute.  A queue leg is one
 * entry of a call into a queue (rec_leg).  For a set of legs:
 *   offered         legs that entered the queue
 *   answered        legs with answered >= 0 (an agent picked up)
 *   abandoned       unanswered legs with result "abandoned"
 *   timed_out       unanswered legs with result "timeout"
 *   answered_within answered legs whose wait (answered - entered) <= the
 *                   run's sl_threshold_ms (note: <=, as Asterisk's holdtime)
 *   waited          legs with found_free = false (no agent free at entry)
 *   service_level   answered_within / (answered + abandoned); 0 when both 0.
 *                   Legs still waiting at the end of the run, timed out, or
 *                   left to ask for a supervisor count in neither.
 *   asa             wait_sum / answered, wait_sum = sum of waits of
 *                   answered legs (seconds in the doubles, ms in integers)
 *   wait_mean       mean time in queue of legs that left it answered,
 *                   abandoned or timed out (wait = answered or ended, minus
 *                   entered); differs from asa by including the unanswered
 *   wait_p90/p95    nearest rank on the ascending waits of ANSWERED legs:
 *                   with n waits w[1..n], pXX = w[ceil(XX * n / 100)],
 *                   i.e. rank (XX*n + 99) / 100 in integers; 0 when n = 0
 *   p_wait          waited / offered
 *   abandon_rate    abandoned / (answered + abandoned)
 *   aht             handle_sum / answered, handle = ended - answered of an
 *                   answered leg (talk time; wrap-up is not in the leg)
 *   occupancy       busy_ms / staffed_ms from the stored rec_interval rows
 *   agents          per interval: rec_interval.agents; totals: the maximum
 * Intervals: a leg belongs to the interval containing its `entered` time;
 * the grid starts at runs.sim_start with runs.interval_ms steps (floor
 * division, so warm-up before sim_start lands in earlier slots).  The
 * per-interval list holds every (queue, start) that has legs or a stored
 * rec_interval row, sorted by queue name (bytewise) then start.
 * Queue totals pool the counts of all intervals (never average ratios);
 * `total` pools all queues.
 * IVR: calls = counted calls; outcomes = counted calls per outcome label
 * (sorted bytewise); containment = calls with outcome "self-service" /
 * calls; transfers = counted legs per tier (each entry into a tier's queue
 * is one transfer); requests = service requests of counted calls per office.
 * Every ratio is computed in C from the integer counts, so the SQL path and
 * an in-memory path (store_figures_from_records) agree bit for bit.
 */
#ifndef TIERLINE_STORE_H
#define TIERLINE_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include "tierline/record.h"

/* The schema version this binary writes (PRAGMA user_version). */
#define STORE_SCHEMA_VERSION 3
/* PRAGMA application_id of a tierline database ("TIER"). */
#define STORE_APPLICATION_ID 0x54494552
#define STORE_BATCH_DEFAULT 20000
#define STORE_BUSY_MS_DEFAULT 2000

typedef enum store_status {
	STORE_OK = 0,
	STORE_ERROR = -1,      /* anything else (message says what) */
	STORE_NOTFOUND = -2,   /* no such run / no runs */
	STORE_BUSY = -3,       /* locked by another connection past the timeout */
	STORE_FULL = -4,       /* disk or quota full */
	STORE_NEWER = -5,      /* schema newer than this binary */
	STORE_CORRUPT = -6,    /* not a database, corrupt, or not tierline's */
	STORE_READONLY = -7,   /* cannot write the file or its folder */
	STORE_CANTOPEN = -8    /* missing, a directory, no permission */
} store_status;

typedef struct store store;

/* Open flags. */
#define STORE_READONLY_OPEN 1   /* reports: never create or migrate */

/* Open (creating when missing, unless read-only) and migrate a database.
 * On failure *out is NULL and err holds the message (errlen may be 0). */
int store_open(const char *path, store **out, char *err, size_t errlen);
int store_open_flags(const char *path, int flags, int busy_ms, store **out,
                     char *err, size_t errlen);
/* Commits what is pending (without completing any run) and closes; NULL ok. */
int store_close(store *s);
const char *store_errmsg(const store *s);
/* Calls per transaction (>= 1); default STORE_BATCH_DEFAULT. */
void store_set_batch(store *s, int calls);
/* The underlying sqlite3 handle, for tests and ad-hoc SQL. */
struct sqlite3 *store_sqlite(store *s);

/* ---- writer ----------------------------------------------------------- */
/* Inserts and COMMITS the runs row (complete = 0); *run_id is its id. */
int store_run_begin(store *s, const rec_run *run, int64_t *run_id);
/* Queues one finished call (copied at once; c may be reused on return).
 * Calls are written when their batch is (sorted by id, many rows per
 * INSERT), so a call the database refuses (a duplicate seq) is reported by
 * the store_call that ends the batch, store_flush or store_run_finish; only
 * that call is lost, and store_run_finish then leaves the run incomplete. */
int store_call(store *s, int64_t run_id, const rec_call *c);
int store_interval(store *s, int64_t run_id, const rec_interval *iv);
/* Commits everything pending; complete = true marks the run complete. */
int store_run_finish(store *s, int64_t run_id, bool complete);
/* Commits what is pending now (the run stays incomplete). */
int store_flush(store *s);

/* ---- runs ---------------------------------------------------------------- */
typedef struct store_run_info {
	int64_t id;
	char mode[32];
	char flow_path[512];
	char flow_sha256[65];
	char scenario[512];
	uint64_t seed;
	char started[32], finished[32];   /* UTC "YYYY-MM-DD HH:MM:SS", "" */
	int64_t sim_start, sim_end, interval_ms, sl_threshold_ms;
	bool complete;
	int64_t ncalls;                     /* rows in calls for the run */
} store_run_info;

/* run_id <= 0: the latest run.  STORE_NOTFOUND when there is none. */
int store_run_get(store *s, int64_t run_id, store_run_info *out);

/* ---- figures -------------------------------------------------------------- */
typedef struct store_qfig {
	const char *queue;          /* NULL in the all-queues total */
	int64_t start, length_ms;   /* interval; start = -1 in totals */
	int64_t offered, answered, abandoned, timed_out, answered_within, waited;
	int64_t wait_sum_ms, wait_max_ms;     /* answered legs */
	int64_t left_n, left_wait_sum_ms;     /* legs that left: for wait_mean */
	int64_t wait_p90_ms, wait_p95_ms;
	int64_t handle_sum_ms;
	int64_t agents, staffed_ms, busy_ms;
	/* derived by store_qfig_derive() from the integers above */
	double service_level, asa, wait_mean, wait_p90, wait_p95, p_wait,
	       abandon_rate, aht, occupancy;   /* seconds / fractions */
} store_qfig;

typedef struct store_count {
	const char *name;           /* outcome, office; "tierN" for transfers */
	int tier;                   /* transfers only */
	int64_t n;
} store_count;

typedef struct store_figs {
	int64_t run_id;
	int64_t sl_threshold_ms, interval_ms, sim_start;
	int64_t calls;              /* counted calls */
	int64_t contained;          /* outcome self-service */
	double containment;
	int nqueues;        store_qfig *queues;      /* per queue, whole run */
	store_qfig total;                            /* all queues pooled */
	int nintervals;     store_qfig *intervals;   /* per queue and interval */
	int noutcomes;      store_count *outcomes;
	int ntransfers;     store_count *transfers;  /* sorted by tier */
	int nrequests;      store_count *requests;   /* per office */
	void *mem_;                                  /* owned strings */
} store_figs;

int  store_figures(store *s, int64_t run_id, store_figs *out);
void store_figures_free(store_figs *f);
/* Fills the doubles of q from its integers (the one place ratios are made). */
void store_qfig_derive(store_qfig *q);
/* The same figures from records in memory (the reference the tests compare
 * SQL against; the simulator may use it too).  run gives sl_threshold_ms,
 * interval_ms and sim_start. */
int  store_figures_from_records(const rec_run *run, const rec_call *calls,
                                size_t ncalls, const rec_interval *ivs,
                                size_t nivs, store_figs *out);
/* True when a and b hold the same figures (integers exactly, doubles within
 * rel_tol); otherwise writes the first difference into why. */
bool store_figures_equal(const store_figs *a, const store_figs *b,
                         double rel_tol, char *why, size_t whylen);

/* ---- coverage (graph --coverage) -------------------------------------------
 * Visit counts per node name and transition counts per (from, to) pair of
 * consecutive visits within one call, over ALL calls of the run (warm-up
 * included: coverage is about the tree, not the service figures).
 * nodes sorted by name, edges by (from, to).  visits counts every visit,
 * calls counts distinct calls that visited the node. */
typedef struct store_cov_node { const char *node; int64_t visits, calls; } store_cov_node;
typedef struct store_cov_edge { const char *from, *to; int64_t n; } store_cov_edge;
typedef struct store_cov {
	int nnodes; store_cov_node *nodes;
	int nedges; store_cov_edge *edges;
	void *mem_;
} store_cov;

int  store_coverage(store *s, int64_t run_id, store_cov *out);
void store_coverage_free(store_cov *c);

/* ---- exports (docs/database.md describes the formats) --------------------- */
int store_export_queue_log(store *s, int64_t run_id, FILE *out);
int store_export_cdr(store *s, int64_t run_id, FILE *out);
/* One RFC 4180 CSV per table (and per unpacked view) into dir (created). */
int store_export_csv(store *s, int64_t run_id, const char *dir);

/* ---- migrations (migrations.c) --------------------------------------------- */
typedef struct store_migration { int version; const char *name, *sql; } store_migration;
extern const store_migration store_migrations[];   /* ends with version 0 */

/* ---- sha256.c ------------------------------------------------------------ */
typedef struct store_sha256 {
	uint32_t h[8];
	uint64_t len;
	unsigned char buf[64];
	size_t nbuf;
} store_sha256;
void store_sha256_init(store_sha256 *c);
void store_sha256_update(store_sha256 *c, const void *data, size_t n);
void store_sha256_final(store_sha256 *c, unsigned char out[32]);
/* Hex digest of a buffer; out gets 64 hex digits and a NUL. */
void store_sha256_hex(const void *data, size_t n, char out[65]);
/* Hex digest of a file's bytes; -1 with errno when it cannot be read. */
int  store_sha256_file(const char *path, char out[65]);

#endif

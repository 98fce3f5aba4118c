/*
 * store_int.h — what the store's files share and nobody else sees.
 */
#ifndef TIERLINE_STORE_INT_H
#define TIERLINE_STORE_INT_H

#include <stdarg.h>
#include <sqlite3.h>
#include "tierline/store.h"
#include "tierline/util.h"

#define STORE_APP_VARIANTS 4        /* append statements: vars and keys each given or left out */

struct store {
	sqlite3 *db;
	char path[1024];
	char err[1536];
	int busy_ms;
	bool readonly;
	bool in_tx;
	int batch, pending;
	int64_t cur_run, cur_calls;   /* calls written for the run last begun */
	sqlite3_stmt *ins_call, *ins_req, *ins_iv;
	sqlite3_stmt *ins_calls;      /* STORE_CHUNK rows per step */
	/* the same without id, for appends; by the mask of columns left to
	 * their default (APP_NO_*, store.c), prepared when first needed */
	sqlite3_stmt *app_calls[STORE_APP_VARIANTS];
	/* Calls buffered for the next multi-row INSERT (store.c): their integer
	 * columns, and their text packed into one arena (offsets, not pointers,
	 * since the arena may grow).  Requests wait with them, so that they are
	 * inserted after their call and in the order they came. */
	struct store_row *rows;
	int nrows, crows;
	struct store_ord *ord, *ord_tmp;   /* rows sorted by id, for flushing */
	int64_t max_id;               /* max(calls.id) in this transaction; -1: unknown */
	sqlite3_stmt *max_call;
	struct store_rreq *reqs;
	int nreqs, creqs;
	char *txt;
	size_t ntxt, ctxt;
	/* Names seen in the low-variety columns (line, lang, outcome,
	 * final_node), copied once to memory that never moves, so that a
	 * statement parameter bound to one can stay bound (store.c). */
	struct store_name *names;     /* open addressing, STORE_NAMES slots */
	const char *last_name[4];     /* per column: the name of the last call */
	uint32_t last_len[4];
	struct store_pool *pool;      /* blocks holding the names */
	struct store_jname *jnames;   /* JSON forms of names by address (store.c) */
	int nnames;
	/* What each parameter of ins_calls, app_calls and ins_call holds now. */
	struct store_bound *bound_chunk, *bound_one;
	struct store_bound *bound_app[STORE_APP_VARIANTS];
};

#define STORE_NAMES 512               /* distinct names kept at most (half the 2 * STORE_NAMES slots) */
#define STORE_NAME_MAX 64             /* longer ones are not kept */

/* Calls per multi-row INSERT, and the most calls buffered (and sorted by
 * id) before they are written.  docs/performance.md has the measurements. */
#ifndef STORE_CHUNK
#define STORE_CHUNK 128
#endif
#ifndef STORE_BUF_MAX
#define STORE_BUF_MAX 32768
#endif

/* calls.id = (run << 32) | seq: a run's calls are one rowid range. */
#define STORE_MAX_SEQ 4294967296ULL
#define STORE_MAX_RUN 2147483648LL
#define STORE_CALL_ID(run, seq) ((sqlite3_int64)(((uint64_t)(run) << 32) | (uint64_t)(seq)))
/* SQL: the rowid range of run ?1's calls (c is the calls alias). */
#define STORE_RUN_RANGE(c) c ".id BETWEEN (?1 << 32) AND (?1 << 32) + 4294967295"

/* Fill s->err from a SQLite result code; returns the store_status. */
int store_fail(store *s, int rc, const char *what);
/* Fill s->err as "PATH: message"; returns st. */
int store_failf(store *s, int st, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int store_exec(store *s, const char *sql, const char *what);
int store_prepare(store *s, sqlite3_stmt **st, const char *sql);
int store_int(store *s, const char *sql, int64_t *v, int64_t dflt);

/* Blocks chained on *mem, freed together by store_fmem_free (figures.c). */
void *store_falloc(void **mem, size_t n);
char *store_fstrdup(void **mem, const char *s);
void  store_fmem_free(void *mem);

#endif

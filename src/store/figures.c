/*
 * figures.c — a run's figures (store.h has the definitions), twice: by SQL
 * over the stored tables, and in memory from rec_* arrays.  The second is
 * the reference the tests hold the first to; both produce integer counts
 * and leave every ratio to store_qfig_derive(), so they agree exactly.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include "store_int.h"

/* ---- shared ---------------------------------------------------------------- */

void store_qfig_derive(store_qfig *q)
{
	int64_t ab = q->answered + q->abandoned;
	q->service_level = ab ? (double)q->answered_within / (double)ab : 0.0;
	q->abandon_rate = ab ? (double)q->abandoned / (double)ab : 0.0;
	q->asa = q->answered ? (double)q->wait_sum_ms / 1000.0 / (double)q->answered : 0.0;
	q->aht = q->answered ? (double)q->handle_sum_ms / 1000.0 / (double)q->answered : 0.0;
	q->wait_mean = q->left_n ? (double)q->left_wait_sum_ms / 1000.0 / (double)q->left_n : 0.0;
	q->wait_p90 = (double)q->wait_p90_ms / 1000.0;
	q->wait_p95 = (double)q->wait_p95_ms / 1000.0;
	q->p_wait = q->offered ? (double)q->waited / (double)q->offered : 0.0;
	q->occupancy = q->staffed_ms ? (double)q->busy_ms / (double)q->staffed_ms : 0.0;
}

/* Adds the counts of b into a (pooling; never averaging ratios). */
static void qfig_pool(store_qfig *a, const store_qfig *b)
{
	a->offered += b->offered;
	a->answered += b->answered;
	a->abandoned += b->abandoned;
	a->timed_out += b->timed_out;
	a->answered_within += b->answered_within;
	a->waited += b->waited;
	a->wait_sum_ms += b->wait_sum_ms;
	if (b->wait_max_ms > a->wait_max_ms)
		a->wait_max_ms = b->wait_max_ms;
	a->left_n += b->left_n;
	a->left_wait_sum_ms += b->left_wait_sum_ms;
	a->handle_sum_ms += b->handle_sum_ms;
	if (b->agents > a->agents)
		a->agents = b->agents;
	a->staffed_ms += b->staffed_ms;
	a->busy_ms += b->busy_ms;
}

/* Per-figures allocations: one list of blocks freed together. */
typedef struct fmem { struct fmem *next; max_align_t data[]; } fmem;

void *store_falloc(void **mem, size_t n)
{
	fmem *m = calloc(1, sizeof(fmem) + n);
	if (!m)
		abort();   /* as buf.c: a half-built report is never useful */
	m->next = *mem;
	*mem = m;
	return m->data;
}

char *store_fstrdup(void **mem, const char *s)
{
	if (!s)
		s = "";
	size_t n = strlen(s);
	char *p = store_falloc(mem, n + 1);
	memcpy(p, s, n + 1);
	return p;
}

void store_fmem_free(void *mem)
{
	fmem *m = mem;
	while (m) {
		fmem *n = m->next;
		free(m);
		m = n;
	}
}

void store_figures_free(store_figs *f)
{
	if (!f)
		return;
	free(f->queues);
	free(f->intervals);
	free(f->outcomes);
	free(f->transfers);
	free(f->requests);
	store_fmem_free(f->mem_);
	memset(f, 0, sizeof *f);
}

#define GROW(arr, n, cap) do { \
	if ((n) >= (cap)) { \
		(cap) = (cap) ? 2 * (cap) : 16; \
		void *np_ = realloc((arr), (size_t)(cap) * sizeof *(arr)); \
		if (!np_) abort(); \
		(arr) = np_; \
	} \
} while (0)

static int cmp_qfig(const void *a, const void *b)
{
	const store_qfig *x = a, *y = b;
	int c = strcmp(x->queue, y->queue);
	if (c)
		return c;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* Queue totals from the sorted interval list; then the grand total. */
static void totals_from_intervals(store_figs *f)
{
	int cap = 0;
	for (int i = 0; i < f->nintervals; i++) {
		const store_qfig *iv = &f->intervals[i];
		if (!f->nqueues || strcmp(f->queues[f->nqueues - 1].queue, iv->queue) != 0) {
			GROW(f->queues, f->nqueues, cap);
			store_qfig *q = &f->queues[f->nqueues++];
			memset(q, 0, sizeof *q);
			q->queue = iv->queue;
			q->start = -1;
		}
		qfig_pool(&f->queues[f->nqueues - 1], iv);
	}
	memset(&f->total, 0, sizeof f->total);
	f->total.start = -1;
	for (int i = 0; i < f->nqueues; i++) {
		/* agents in the total: the sum of the queues' peaks */
		int64_t agents = f->total.agents + f->queues[i].agents;
		qfig_pool(&f->total, &f->queues[i]);
		f->total.agents = agents;
	}
}

static store_qfig *find_q(store_qfig *a, int n, const char *queue, int64_t start)
{
	store_qfig key = { .queue = queue, .start = start };
	if (!n)
		return NULL;
	return bsearch(&key, a, (size_t)n, sizeof *a, cmp_qfig);
}

static void derive_all(store_figs *f)
{
	for (int i = 0; i < f->nintervals; i++)
		store_qfig_derive(&f->intervals[i]);
	for (int i = 0; i < f->nqueues; i++)
		store_qfig_derive(&f->queues[i]);
	store_qfig_derive(&f->total);
	f->contained = 0;
	f->calls = 0;
	for (int i = 0; i < f->noutcomes; i++) {
		f->calls += f->outcomes[i].n;
		if (strcmp(f->outcomes[i].name, "self-service") == 0)
			f->contained = f->outcomes[i].n;
	}
	f->containment = f->calls ? (double)f->contained / (double)f->calls : 0.0;
}

/* ---- SQL ---------------------------------------------------------------------- */

/* ?1 run, ?2 sim_start, ?3 interval_ms, ?4 sl threshold.  The bucket is the
 * floor of (entered - sim_start) / interval. */
#define BUCKET "(?2 + ((entered - ?2) / ?3 - ((entered - ?2) % ?3 < 0)) * ?3)"
/* The counted legs of run ?1, unpacked (as the queue_legs view, but by the
 * run's rowid range instead of a scan). */
#define LEGS_CTE "legs AS (SELECT j.value ->> 0 AS queue, j.value ->> 1 AS tier," \
	" c.arrival + (j.value ->> 2) AS entered, c.arrival + (j.value ->> 3) AS answered," \
	" c.arrival + (j.value ->> 4) AS ended, j.value ->> 6 AS result, j.value ->> 7 AS found_free" \
	" FROM calls AS c, json_each(c.legs) AS j WHERE " STORE_RUN_RANGE("c") " AND c.counted)"

static const char SQL_INTERVALS[] =
	"WITH " LEGS_CTE ", lg AS (SELECT queue, " BUCKET " AS start, count(*) AS offered,"
	" sum(answered IS NOT NULL) AS answered,"
	" sum(answered IS NULL AND result = 'abandoned') AS abandoned,"
	" sum(answered IS NULL AND result = 'timeout') AS timed_out,"
	" sum(answered IS NOT NULL AND answered - entered <= ?4) AS within,"
	" sum(NOT found_free) AS waited,"
	" sum(CASE WHEN answered IS NOT NULL THEN answered - entered ELSE 0 END) AS wait_sum,"
	" max(CASE WHEN answered IS NOT NULL THEN answered - entered ELSE 0 END) AS wait_max,"
	" sum(answered IS NOT NULL OR result IN ('abandoned', 'timeout')) AS left_n,"
	" sum(CASE WHEN answered IS NOT NULL THEN answered - entered"
	"          WHEN result IN ('abandoned', 'timeout') THEN ended - entered ELSE 0 END) AS left_sum,"
	" sum(CASE WHEN answered IS NOT NULL THEN ended - answered ELSE 0 END) AS handle_sum"
	" FROM legs GROUP BY 1, 2),"
	" k AS (SELECT queue, start FROM lg UNION SELECT queue, start FROM intervals WHERE run = ?1)"
	" SELECT k.queue, k.start, coalesce(i.length_ms, ?3),"
	" coalesce(lg.offered, 0), coalesce(lg.answered, 0), coalesce(lg.abandoned, 0),"
	" coalesce(lg.timed_out, 0), coalesce(lg.within, 0), coalesce(lg.waited, 0),"
	" coalesce(lg.wait_sum, 0), coalesce(lg.wait_max, 0), coalesce(lg.left_n, 0),"
	" coalesce(lg.left_sum, 0), coalesce(lg.handle_sum, 0),"
	" coalesce(i.agents, 0), coalesce(i.staffed_ms, 0), coalesce(i.busy_ms, 0)"
	" FROM k LEFT JOIN lg ON lg.queue = k.queue AND lg.start = k.start"
	" LEFT JOIN intervals AS i ON i.run = ?1 AND i.queue = k.queue AND i.start = k.start"
	" ORDER BY k.queue, k.start";

/* Nearest-rank p90/p95 of answered waits; ?5 = 0 all, 1 per queue, 2 per
 * queue and interval (the partition columns are NULL above the level). */
static const char SQL_PCT[] =
	"WITH " LEGS_CTE ", w AS (SELECT CASE WHEN ?5 >= 1 THEN queue END AS q,"
	" CASE WHEN ?5 >= 2 THEN " BUCKET " END AS b, answered - entered AS wait"
	" FROM legs WHERE answered IS NOT NULL),"
	" r AS (SELECT q, b, wait, row_number() OVER (PARTITION BY q, b ORDER BY wait) AS rn,"
	" count(*) OVER (PARTITION BY q, b) AS n FROM w)"
	" SELECT q, b, max(CASE WHEN rn = (90 * n + 99) / 100 THEN wait END),"
	" max(CASE WHEN rn = (95 * n + 99) / 100 THEN wait END) FROM r GROUP BY q, b";

static const char SQL_OUTCOMES[] =
	"SELECT outcome, count(*) FROM calls AS c WHERE " STORE_RUN_RANGE("c") " AND counted"
	" GROUP BY outcome ORDER BY outcome";
static const char SQL_TRANSFERS[] =
	"WITH " LEGS_CTE " SELECT tier, count(*) FROM legs GROUP BY tier ORDER BY tier";
static const char SQL_REQUESTS[] =
	"SELECT coalesce(r.office, ''), count(*) FROM service_requests AS r"
	" JOIN calls AS c ON c.id = r.call_id"
	" WHERE r.call_id BETWEEN (?1 << 32) AND (?1 << 32) + 4294967295 AND c.counted"
	" GROUP BY 1 ORDER BY 1";

static int q_prepare(store *s, sqlite3_stmt **st, const char *sql, const store_figs *f)
{
	int rc = sqlite3_prepare_v2(s->db, sql, -1, st, NULL);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, "computing figures");
	int np = sqlite3_bind_parameter_count(*st);
	sqlite3_bind_int64(*st, 1, f->run_id);
	if (np >= 4) {
		sqlite3_bind_int64(*st, 2, f->sim_start);
		sqlite3_bind_int64(*st, 3, f->interval_ms);
		sqlite3_bind_int64(*st, 4, f->sl_threshold_ms);
	}
	return STORE_OK;
}

static int q_done(store *s, sqlite3_stmt *st, int rc)
{
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? STORE_OK : store_fail(s, rc, "computing figures");
}

static int counts_sql(store *s, store_figs *f, const char *sql, store_count **arr, int *n,
                      bool tiers)
{
	sqlite3_stmt *st;
	int r = q_prepare(s, &st, sql, f), rc, cap = 0;
	if (r)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		GROW(*arr, *n, cap);
		store_count *c = &(*arr)[(*n)++];
		memset(c, 0, sizeof *c);
		if (tiers) {
			char nm[32];
			c->tier = sqlite3_column_int(st, 0);
			snprintf(nm, sizeof nm, "tier%d", c->tier);
			c->name = store_fstrdup(&f->mem_, nm);
		} else {
			c->name = store_fstrdup(&f->mem_, (const char *)sqlite3_column_text(st, 0));
		}
		c->n = sqlite3_column_int64(st, 1);
	}
	return q_done(s, st, rc);
}

int store_figures(store *s, int64_t run_id, store_figs *f)
{
	memset(f, 0, sizeof *f);
	store_run_info ri;
	int r = store_run_get(s, run_id, &ri);
	if (r)
		return r;
	f->run_id = ri.id;
	f->sim_start = ri.sim_start;
	f->interval_ms = ri.interval_ms > 0 ? ri.interval_ms : 1800000;
	f->sl_threshold_ms = ri.sl_threshold_ms;
	/* One read transaction: every query sees the same snapshot even while
	 * a writer appends to the same run. */
	if ((r = store_exec(s, "BEGIN", "reading figures")))
		goto fail;

	sqlite3_stmt *st;
	int rc, cap = 0;
	if ((r = q_prepare(s, &st, SQL_INTERVALS, f)))
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		GROW(f->intervals, f->nintervals, cap);
		store_qfig *q = &f->intervals[f->nintervals++];
		memset(q, 0, sizeof *q);
		q->queue = store_fstrdup(&f->mem_, (const char *)sqlite3_column_text(st, 0));
		q->start = sqlite3_column_int64(st, 1);
		q->length_ms = sqlite3_column_int64(st, 2);
		int64_t *dst[] = { &q->offered, &q->answered, &q->abandoned, &q->timed_out,
		                   &q->answered_within, &q->waited, &q->wait_sum_ms, &q->wait_max_ms,
		                   &q->left_n, &q->left_wait_sum_ms, &q->handle_sum_ms, &q->agents,
		                   &q->staffed_ms, &q->busy_ms };
		for (size_t i = 0; i < sizeof dst / sizeof dst[0]; i++)
			*dst[i] = sqlite3_column_int64(st, 3 + (int)i);
	}
	if ((r = q_done(s, st, rc)))
		goto fail;
	totals_from_intervals(f);

	for (int level = 0; level <= 2; level++) {
		if ((r = q_prepare(s, &st, SQL_PCT, f)))
			goto fail;
		sqlite3_bind_int(st, 5, level);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			store_qfig *q;
			const char *qn = (const char *)sqlite3_column_text(st, 0);
			if (level == 0)
				q = &f->total;
			else if (level == 1)
				q = find_q(f->queues, f->nqueues, qn ? qn : "", -1);
			else
				q = find_q(f->intervals, f->nintervals, qn ? qn : "",
				           sqlite3_column_int64(st, 1));
			if (q) {
				q->wait_p90_ms = sqlite3_column_int64(st, 2);
				q->wait_p95_ms = sqlite3_column_int64(st, 3);
			}
		}
		if ((r = q_done(s, st, rc)))
			goto fail;
	}
	if ((r = counts_sql(s, f, SQL_OUTCOMES, &f->outcomes, &f->noutcomes, false)) ||
	    (r = counts_sql(s, f, SQL_TRANSFERS, &f->transfers, &f->ntransfers, true)) ||
	    (r = counts_sql(s, f, SQL_REQUESTS, &f->requests, &f->nrequests, false)))
		goto fail;
	store_exec(s, "COMMIT", "reading figures");
	derive_all(f);
	return STORE_OK;
fail:
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	store_figures_free(f);
	return r;
}

/* ---- in memory ------------------------------------------------------------- */

typedef struct wlist { int64_t *w; int n, cap; } wlist;

static void wl_add(wlist *l, int64_t v)
{
	GROW(l->w, l->n, l->cap);
	l->w[l->n++] = v;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static void wl_pct(wlist *l, store_qfig *q)
{
	if (!l->n)
		return;
	qsort(l->w, (size_t)l->n, sizeof *l->w, cmp_i64);
	int64_t n = l->n;
	q->wait_p90_ms = l->w[(90 * n + 99) / 100 - 1];
	q->wait_p95_ms = l->w[(95 * n + 99) / 100 - 1];
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t d = a / b;
	return d - ((a % b) < 0);
}

static int cmp_count(const void *a, const void *b)
{
	const store_count *x = a, *y = b;
	if (x->tier != y->tier)
		return x->tier < y->tier ? -1 : 1;
	return strcmp(x->name, y->name);
}

static void count_add(store_figs *f, store_count **arr, int *n, int *cap, const char *name,
                      int tier)
{
	if (!name)
		name = "";
	for (int i = 0; i < *n; i++)
		if ((*arr)[i].tier == tier && strcmp((*arr)[i].name, name) == 0) {
			(*arr)[i].n++;
			return;
		}
	GROW(*arr, *n, *cap);
	store_count *c = &(*arr)[(*n)++];
	c->name = store_fstrdup(&f->mem_, name);
	c->tier = tier;
	c->n = 1;
}

int store_figures_from_records(const rec_run *run, const rec_call *calls, size_t ncalls,
                               const rec_interval *ivs, size_t nivs, store_figs *f)
{
	memset(f, 0, sizeof *f);
	f->sim_start = run->sim_start;
	f->interval_ms = run->interval_ms > 0 ? run->interval_ms : 1800000;
	f->sl_threshold_ms = run->sl_threshold_ms > 0 ? run->sl_threshold_ms : 20000;
	const int64_t L = f->interval_ms, S = f->sim_start, T = f->sl_threshold_ms;

	/* Pass 1: the (queue, start) keys. */
	int cap = 0;
	for (size_t i = 0; i < ncalls; i++) {
		if (!calls[i].counted)
			continue;
		for (int j = 0; j < calls[i].nlegs; j++) {
			const rec_leg *l = &calls[i].legs[j];
			GROW(f->intervals, f->nintervals, cap);
			store_qfig *q = &f->intervals[f->nintervals++];
			memset(q, 0, sizeof *q);
			q->queue = l->queue ? l->queue : "";
			q->start = S + floor_div(l->entered - S, L) * L;
			q->length_ms = -1;
		}
	}
	for (size_t i = 0; i < nivs; i++) {
		GROW(f->intervals, f->nintervals, cap);
		store_qfig *q = &f->intervals[f->nintervals++];
		memset(q, 0, sizeof *q);
		q->queue = ivs[i].queue ? ivs[i].queue : "";
		q->start = ivs[i].start;
		q->length_ms = -1;
	}
	if (f->nintervals > 1)
		qsort(f->intervals, (size_t)f->nintervals, sizeof *f->intervals, cmp_qfig);
	int n = 0;
	for (int i = 0; i < f->nintervals; i++)
		if (!n || cmp_qfig(&f->intervals[n - 1], &f->intervals[i]) != 0)
			f->intervals[n++] = f->intervals[i];
	f->nintervals = n;
	for (int i = 0; i < n; i++) {
		f->intervals[i].queue = store_fstrdup(&f->mem_, f->intervals[i].queue);
		f->intervals[i].length_ms = L;
	}
	/* Stored interval rows: INSERT OR REPLACE, so the last one wins. */
	for (size_t i = 0; i < nivs; i++) {
		store_qfig *q = find_q(f->intervals, n, ivs[i].queue ? ivs[i].queue : "", ivs[i].start);
		q->length_ms = ivs[i].length_ms;
		q->agents = ivs[i].agents;
		q->staffed_ms = ivs[i].staffed_ms;
		q->busy_ms = ivs[i].busy_ms;
	}

	/* Pass 2: counts and waits. */
	wlist *wl = calloc((size_t)n + 1, sizeof *wl);
	if (!wl)
		abort();
	int ccap = 0, tcap = 0, rcap = 0;
	for (size_t i = 0; i < ncalls; i++) {
		const rec_call *c = &calls[i];
		if (!c->counted)
			continue;
		count_add(f, &f->outcomes, &f->noutcomes, &ccap, c->outcome, 0);
		for (int j = 0; j < c->nrequests; j++)
			count_add(f, &f->requests, &f->nrequests, &rcap, c->requests[j].office, 0);
		for (int j = 0; j < c->nlegs; j++) {
			const rec_leg *l = &c->legs[j];
			char tn[32];
			snprintf(tn, sizeof tn, "tier%d", l->tier);
			count_add(f, &f->transfers, &f->ntransfers, &tcap, tn, l->tier);
			int64_t b = S + floor_div(l->entered - S, L) * L;
			store_qfig *q = find_q(f->intervals, n, l->queue ? l->queue : "", b);
			const char *res = l->result ? l->result : "";
			bool ans = l->answered >= 0;
			bool aban = !ans && strcmp(res, "abandoned") == 0;
			bool tout = !ans && strcmp(res, "timeout") == 0;
			q->offered++;
			q->waited += !l->found_free;
			if (ans) {
				int64_t w = l->answered - l->entered;
				q->answered++;
				q->answered_within += w <= T;
				q->wait_sum_ms += w;
				if (w > q->wait_max_ms)
					q->wait_max_ms = w;
				q->handle_sum_ms += l->ended - l->answered;
				q->left_n++;
				q->left_wait_sum_ms += w;
				wl_add(&wl[q - f->intervals], w);
			} else if (aban || tout) {
				q->abandoned += aban;
				q->timed_out += tout;
				q->left_n++;
				q->left_wait_sum_ms += l->ended - l->entered;
			}
		}
	}
	/* qsort(NULL, 0, ...) is undefined: only sort what exists */
	if (f->noutcomes > 1)
		qsort(f->outcomes, (size_t)f->noutcomes, sizeof *f->outcomes, cmp_count);
	if (f->nrequests > 1)
		qsort(f->requests, (size_t)f->nrequests, sizeof *f->requests, cmp_count);
	if (f->ntransfers > 1)
		qsort(f->transfers, (size_t)f->ntransfers, sizeof *f->transfers, cmp_count);
	totals_from_intervals(f);

	/* Percentiles: per interval, then pooled per queue and in total. */
	wlist all = { 0 };
	int qi = -1;
	wlist qw = { 0 };
	for (int i = 0; i < n; i++) {
		if (qi < 0 || strcmp(f->queues[qi].queue, f->intervals[i].queue) != 0) {
			if (qi >= 0)
				wl_pct(&qw, &f->queues[qi]);
			qw.n = 0;
			qi++;
		}
		for (int k = 0; k < wl[i].n; k++) {
			wl_add(&qw, wl[i].w[k]);
			wl_add(&all, wl[i].w[k]);
		}
		wl_pct(&wl[i], &f->intervals[i]);
		free(wl[i].w);
	}
	if (qi >= 0)
		wl_pct(&qw, &f->queues[qi]);
	wl_pct(&all, &f->total);
	free(qw.w);
	free(all.w);
	free(wl);
	derive_all(f);
	return STORE_OK;
}

/* ---- comparison ---------------------------------------------------------- */

static bool dbl_eq(double a, double b, double tol)
{
	double m = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
	return fabs(a - b) <= tol * (m > 1.0 ? m : 1.0);
}

static bool qfig_eq(const char *where, const store_qfig *a, const store_qfig *b, double tol,
                    char *why, size_t wl)
{
	const char *an = a->queue ? a->queue : "(all)", *bn = b->queue ? b->queue : "(all)";
	if (strcmp(an, bn) != 0 || a->start != b->start || a->length_ms != b->length_ms) {
		snprintf(why, wl, "%s: queue/interval %s@%lld/%lld vs %s@%lld/%lld", where, an,
		         (long long)a->start, (long long)a->length_ms, bn, (long long)b->start,
		         (long long)b->length_ms);
		return false;
	}
#define I(fld) if (a->fld != b->fld) { \
	snprintf(why, wl, "%s %s@%lld: " #fld " %lld vs %lld", where, an, (long long)a->start, \
	         (long long)a->fld, (long long)b->fld); return false; }
#define D(fld) if (!dbl_eq(a->fld, b->fld, tol)) { \
	snprintf(why, wl, "%s %s@%lld: " #fld " %.17g vs %.17g", where, an, (long long)a->start, \
	         a->fld, b->fld); return false; }
	I(offered) I(answered) I(abandoned) I(timed_out) I(answered_within) I(waited)
	I(wait_sum_ms) I(wait_max_ms) I(left_n) I(left_wait_sum_ms) I(wait_p90_ms) I(wait_p95_ms)
	I(handle_sum_ms) I(agents) I(staffed_ms) I(busy_ms)
	D(service_level) D(asa) D(wait_mean) D(wait_p90) D(wait_p95) D(p_wait) D(abandon_rate)
	D(aht) D(occupancy)
#undef I
#undef D
	return true;
}

static bool counts_eq(const char *where, const store_count *a, int na, const store_count *b,
                      int nb, char *why, size_t wl)
{
	if (na != nb) {
		snprintf(why, wl, "%s: %d entries vs %d", where, na, nb);
		return false;
	}
	for (int i = 0; i < na; i++)
		if (strcmp(a[i].name, b[i].name) != 0 || a[i].n != b[i].n || a[i].tier != b[i].tier) {
			snprintf(why, wl, "%s[%d]: %s=%lld vs %s=%lld", where, i, a[i].name,
			         (long long)a[i].n, b[i].name, (long long)b[i].n);
			return false;
		}
	return true;
}

bool store_figures_equal(const store_figs *a, const store_figs *b, double tol, char *why,
                         size_t wl)
{
	char dummy[8];
	if (!why || !wl) {
		why = dummy;
		wl = sizeof dummy;
	}
	if (a->calls != b->calls || a->contained != b->contained ||
	    !dbl_eq(a->containment, b->containment, tol)) {
		snprintf(why, wl, "calls/contained %lld/%lld vs %lld/%lld", (long long)a->calls,
		         (long long)a->contained, (long long)b->calls, (long long)b->contained);
		return false;
	}
	if (a->nqueues != b->nqueues || a->nintervals != b->nintervals) {
		snprintf(why, wl, "%d queues, %d intervals vs %d, %d", a->nqueues, a->nintervals,
		         b->nqueues, b->nintervals);
		return false;
	}
	for (int i = 0; i < a->nqueues; i++)
		if (!qfig_eq("queue", &a->queues[i], &b->queues[i], tol, why, wl))
			return false;
	for (int i = 0; i < a->nintervals; i++)
		if (!qfig_eq("interval", &a->intervals[i], &b->intervals[i], tol, why, wl))
			return false;
	if (!qfig_eq("total", &a->total, &b->total, tol, why, wl))
		return false;
	return counts_eq("outcomes", a->outcomes, a->noutcomes, b->outcomes, b->noutcomes, why, wl) &&
	       counts_eq("transfers", a->transfers, a->ntransfers, b->transfers, b->ntransfers, why, wl) &&
	       counts_eq("requests", a->requests, a->nrequests, b->requests, b->nrequests, why, wl);
}

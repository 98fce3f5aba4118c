/*
 * export.c — node coverage for `graph --coverage`, and the exports of
 * `report`: Asterisk queue_log, Asterisk CDR CSV, one CSV per table.
 * docs/database.md describes each format and how tierline's records map to
 * it.  Exports cover every call of a run (warm-up included): they are logs,
 * not figures.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include "store_int.h"

#define GROW(arr, n, cap) do { \
	if ((n) >= (cap)) { \
		(cap) = (cap) ? 2 * (cap) : 64; \
		void *np_ = realloc((arr), (size_t)(cap) * sizeof *(arr)); \
		if (!np_) abort(); \
		(arr) = np_; \
	} \
} while (0)

static int run_exists(store *s, int64_t run_id)
{
	store_run_info ri;
	return store_run_get(s, run_id, &ri);
}

/* ---- coverage ---------------------------------------------------------------- */

static const char SQL_COV_NODES[] =
	"SELECT j.value, count(*), count(DISTINCT c.seq) FROM calls AS c, json_each(c.visits) AS j"
	" WHERE " STORE_RUN_RANGE("c") " AND j.key % 2 = 0 GROUP BY 1 ORDER BY 1";
static const char SQL_COV_EDGES[] =
	"WITH v AS (SELECT c.seq AS call, j.key AS k, j.value AS node"
	" FROM calls AS c, json_each(c.visits) AS j WHERE " STORE_RUN_RANGE("c") " AND j.key % 2 = 0),"
	" e AS (SELECT node AS a, lead(node) OVER (PARTITION BY call ORDER BY k) AS b FROM v)"
	" SELECT a, b, count(*) FROM e WHERE b IS NOT NULL GROUP BY a, b ORDER BY a, b";

void store_coverage_free(store_cov *c)
{
	if (!c)
		return;
	free(c->nodes);
	free(c->edges);
	store_fmem_free(c->mem_);
	memset(c, 0, sizeof *c);
}

int store_coverage(store *s, int64_t run_id, store_cov *c)
{
	memset(c, 0, sizeof *c);
	int r = run_exists(s, run_id), rc, cap = 0;
	if (r)
		return r;
	sqlite3_stmt *st;
	if ((r = store_exec(s, "BEGIN", "reading coverage")))
		return r;
	if ((rc = sqlite3_prepare_v2(s->db, SQL_COV_NODES, -1, &st, NULL)) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(st, 1, run_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		GROW(c->nodes, c->nnodes, cap);
		store_cov_node *n = &c->nodes[c->nnodes++];
		n->node = store_fstrdup(&c->mem_, (const char *)sqlite3_column_text(st, 0));
		n->visits = sqlite3_column_int64(st, 1);
		n->calls = sqlite3_column_int64(st, 2);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		goto fail;
	cap = 0;
	if ((rc = sqlite3_prepare_v2(s->db, SQL_COV_EDGES, -1, &st, NULL)) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(st, 1, run_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		GROW(c->edges, c->nedges, cap);
		store_cov_edge *e = &c->edges[c->nedges++];
		e->from = store_fstrdup(&c->mem_, (const char *)sqlite3_column_text(st, 0));
		e->to = store_fstrdup(&c->mem_, (const char *)sqlite3_column_text(st, 1));
		e->n = sqlite3_column_int64(st, 2);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	return STORE_OK;
fail:
	r = store_fail(s, rc, "reading coverage");
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	store_coverage_free(c);
	return r;
}

/* ---- helpers -------------------------------------------------------------- */

/* Whole seconds of a ms count (floor). */
static int64_t epoch_s(int64_t ms)
{
	return ms / 1000 - (ms % 1000 < 0);
}

static void fmt_date(int64_t ms, char *out, size_t n)
{
	int64_t sec = epoch_s(ms);
	int64_t days = sec / 86400 - (sec % 86400 < 0);
	int64_t rem = sec - days * 86400;
	int y, m, d;
	util_civil_from_days(days, &y, &m, &d);
	snprintf(out, n, "%04d-%02d-%02d %02d:%02d:%02d", y, m, d, (int)(rem / 3600),
	         (int)(rem / 60 % 60), (int)(rem % 60));
}

static int out_done(store *s, FILE *out, const char *what)
{
	if (fflush(out) != 0 || ferror(out)) {
		int e = errno;
		return store_failf(s, e == ENOSPC || e == EDQUOT ? STORE_FULL : STORE_ERROR,
		                   "writing the %s: %s", what, strerror(e ? e : EIO));
	}
	return STORE_OK;
}

static const char *txt(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? (const char *)t : "";
}

/* ---- queue_log ---------------------------------------------------------------- */

typedef struct qev {
	int64_t t;           /* ms */
	int64_t call;
	int leg, order;      /* order within one leg: enter 0, connect 1, leave 2 */
	int row;             /* the leg's row number in the query */
	bool answered;
	char *text;          /* line after "epoch|" */
} qev;

static int cmp_qev(const void *a, const void *b)
{
	const qev *x = a, *y = b;
	if (x->t != y->t) return x->t < y->t ? -1 : 1;
	if (x->call != y->call) return x->call < y->call ? -1 : 1;
	if (x->leg != y->leg) return x->leg < y->leg ? -1 : 1;
	return x->order - y->order;
}

/* Waiting counts per queue name, for ENTERQUEUE's position. */
typedef struct qwait { char *name; int n; } qwait;

static const char SQL_QLOG[] =
	"SELECT c.seq, j.key, j.value ->> 0, c.arrival + (j.value ->> 2), c.arrival + (j.value ->> 3),"
	" c.arrival + (j.value ->> 4), j.value ->> 5, j.value ->> 6, c.arrival, coalesce(c.line, ''),"
	" c.legs ->> ('$[' || (j.key + 1) || '][0]'),"
	" CASE WHEN (j.value ->> 3) IS NULL AND (j.value ->> 6) NOT IN ('abandoned', 'timeout') THEN"
	"  (SELECT k.value FROM json_each(c.keys) AS k WHERE k.key % 2 = 0 AND c.arrival +"
	"   (c.keys ->> (k.key + 1)) <= c.arrival + (j.value ->> 4) ORDER BY k.key DESC LIMIT 1)"
	" END"
	" FROM calls AS c, json_each(c.legs) AS j WHERE " STORE_RUN_RANGE("c") " ORDER BY c.seq, j.key";

/* The run's time zone (schema 2), "" when not recorded. */
static void run_timezone(store *s, int64_t run_id, char *out, size_t n)
{
	out[0] = '\0';
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "SELECT timezone FROM runs WHERE id = ?1", -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(st, 1, run_id);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_TEXT)
		snprintf(out, n, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

int store_export_queue_log(store *s, int64_t run_id, FILE *out)
{
	int r = run_exists(s, run_id), rc;
	if (r)
		return r;
	/* queue_log epochs are UTC seconds: the records hold local times of
	 * the flow's time zone, converted here (local taken as UTC when the
	 * run recorded no zone). */
	char tz[128];
	run_timezone(s, run_id, tz, sizeof tz);
	util_tzconv conv;
	util_tzconv_init(&conv, tz);
	sqlite3_stmt *st;
	if ((rc = sqlite3_prepare_v2(s->db, SQL_QLOG, -1, &st, NULL)) != SQLITE_OK)
		return store_fail(s, rc, "exporting queue_log");
	sqlite3_bind_int64(st, 1, run_id);
	qev *ev = NULL;
	int nev = 0, cap = 0, nrow = 0;
	buf b;
	buf_init(&b);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t call = sqlite3_column_int64(st, 0);
		int leg = sqlite3_column_int(st, 1);
		const char *queue = txt(st, 2);
		int64_t entered = sqlite3_column_int64(st, 3);
		bool ans = sqlite3_column_type(st, 4) != SQLITE_NULL;
		int64_t answered = sqlite3_column_int64(st, 4);
		int64_t ended = sqlite3_column_int64(st, 5);
		bool has_agent = sqlite3_column_type(st, 6) != SQLITE_NULL;
		int agent = sqlite3_column_int(st, 6);
		const char *result = txt(st, 7);
		int64_t arrival = sqlite3_column_int64(st, 8);
		const char *line = txt(st, 9);
		const char *next = txt(st, 10);
		const char *key = sqlite3_column_type(st, 11) == SQLITE_NULL ? "0" : txt(st, 11);
		char callid[48], agentname[32];
		snprintf(callid, sizeof callid, "%lld.%lld",
		         (long long)epoch_s(util_tzconv_utc_ms(&conv, arrival)), (long long)call);
		if (has_agent)
			snprintf(agentname, sizeof agentname, "Agent/%d", agent);
		else
			snprintf(agentname, sizeof agentname, "NONE");
		/* "%P" marks the origposition, filled in after the sweep. */
		GROW(ev, nev, cap);
		b.len = 0;
		buf_printf(&b, "%s|%s|NONE|ENTERQUEUE||%s|%%P", callid, queue, line);
		ev[nev++] = (qev){ entered, call, leg, 0, nrow, ans, buf_take(&b) };
		int64_t hold = epoch_s(ans ? answered : ended) - epoch_s(entered);
		if (ans) {
			int64_t talk = epoch_s(ended) - epoch_s(answered);
			GROW(ev, nev, cap);
			buf_printf(&b, "%s|%s|%s|CONNECT|%lld|%s.%d|0", callid, queue, agentname,
			           (long long)hold, callid, leg);
			ev[nev++] = (qev){ answered, call, leg, 1, nrow, ans, buf_take(&b) };
			GROW(ev, nev, cap);
			if (strcmp(result, "escalated") == 0 || strcmp(result, "supervisor") == 0)
				buf_printf(&b, "%s|%s|%s|BLINDTRANSFER|%s|tierline|%lld|%lld|%%P", callid,
				           queue, agentname, *next ? next : result, (long long)hold,
				           (long long)talk);
			else
				buf_printf(&b, "%s|%s|%s|%s|%lld|%lld|%%P", callid, queue, agentname,
				           strcmp(result, "hangup-talking") == 0 ? "COMPLETECALLER"
				                                                 : "COMPLETEAGENT",
				           (long long)hold, (long long)talk);
			ev[nev++] = (qev){ ended, call, leg, 2, nrow, ans, buf_take(&b) };
		} else {
			GROW(ev, nev, cap);
			if (strcmp(result, "abandoned") == 0)
				buf_printf(&b, "%s|%s|NONE|ABANDON|%%P|%%P|%lld", callid, queue, (long long)hold);
			else if (strcmp(result, "timeout") == 0)
				buf_printf(&b, "%s|%s|NONE|EXITWITHTIMEOUT|%%P|%%P|%lld", callid, queue,
				           (long long)hold);
			else
				buf_printf(&b, "%s|%s|NONE|EXITWITHKEY|%s|%%P|%%P|%lld", callid, queue, key,
				           (long long)hold);
			ev[nev++] = (qev){ ended, call, leg, 2, nrow, ans, buf_take(&b) };
		}
		nrow++;
	}
	sqlite3_finalize(st);
	buf_free(&b);
	if (rc != SQLITE_DONE) {
		r = store_fail(s, rc, "exporting queue_log");
		goto done;
	}
	if (nev > 1)
		qsort(ev, (size_t)nev, sizeof *ev, cmp_qev);

	/* Sweep: the position a caller entered at = callers waiting then, itself
	 * included; the later events of the leg repeat it (tierline keeps no
	 * live queue order).  A caller stops waiting at CONNECT or when it
	 * leaves unanswered (order 2 of an unanswered leg). */
	qwait *qw = NULL;
	int nqw = 0, qcap = 0;
	int *pos = calloc((size_t)nrow + 1, sizeof *pos);
	if (!pos)
		abort();
	for (int i = 0; i < nev; i++) {
		const char *q1 = strchr(ev[i].text, '|') + 1;
		size_t qlen = (size_t)(strchr(q1, '|') - q1);
		int k;
		for (k = 0; k < nqw; k++)
			if (strlen(qw[k].name) == qlen && memcmp(qw[k].name, q1, qlen) == 0)
				break;
		if (k == nqw) {
			GROW(qw, nqw, qcap);
			qw[nqw].name = strndup(q1, qlen);
			qw[nqw++].n = 0;
		}
		if (ev[i].order == 0)
			pos[ev[i].row] = ++qw[k].n;
		else if (ev[i].order == 1 || !ev[i].answered)
			qw[k].n--;
		fprintf(out, "%lld|", (long long)epoch_s(util_tzconv_utc_ms(&conv, ev[i].t)));
		for (const char *p = ev[i].text; *p; p++) {
			if (p[0] == '%' && p[1] == 'P') {
				fprintf(out, "%d", pos[ev[i].row]);
				p++;
			} else {
				fputc(*p, out);
			}
		}
		fputc('\n', out);
	}
	free(pos);
	for (int k = 0; k < nqw; k++)
		free(qw[k].name);
	free(qw);
	r = out_done(s, out, "queue_log");
done:
	for (int i = 0; i < nev; i++)
		free(ev[i].text);
	free(ev);
	return r;
}

/* ---- CDR CSV -------------------------------------------------------------------- */

/* cdr_csv quotes every text field, doubling quotes; numbers stay bare. */
static void cdr_str(FILE *out, const char *t, bool comma)
{
	fputc('"', out);
	for (; *t; t++) {
		if (*t == '"')
			fputc('"', out);
		fputc(*t, out);
	}
	fputc('"', out);
	if (comma)
		fputc(',', out);
}

static const char SQL_CDR[] =
	"SELECT c.seq, coalesce(c.line, ''), c.arrival, c.ended, c.outcome, coalesce(c.final_node, ''),"
	" c.arrival + (SELECT min(j.value ->> 3) FROM json_each(c.legs) AS j),"
	" c.legs ->> '$[#-1][0]',"
	" (SELECT j.value ->> 5 FROM json_each(c.legs) AS j WHERE (j.value ->> 3) IS NOT NULL"
	"  ORDER BY j.key DESC LIMIT 1)"
	" FROM calls AS c WHERE " STORE_RUN_RANGE("c") " ORDER BY c.seq";

int store_export_cdr(store *s, int64_t run_id, FILE *out)
{
	int r = run_exists(s, run_id), rc;
	if (r)
		return r;
	sqlite3_stmt *st;
	if ((rc = sqlite3_prepare_v2(s->db, SQL_CDR, -1, &st, NULL)) != SQLITE_OK)
		return store_fail(s, rc, "exporting CDRs");
	sqlite3_bind_int64(st, 1, run_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t seq = sqlite3_column_int64(st, 0);
		const char *line = txt(st, 1);
		int64_t start = sqlite3_column_int64(st, 2), end = sqlite3_column_int64(st, 3);
		const char *outcome = txt(st, 4), *final = txt(st, 5);
		bool ans = sqlite3_column_type(st, 6) != SQLITE_NULL;
		int64_t answer = sqlite3_column_int64(st, 6);
		bool queued = sqlite3_column_type(st, 7) != SQLITE_NULL;
		const char *queue = txt(st, 7);
		bool agent = sqlite3_column_type(st, 8) != SQLITE_NULL;
		char callid[48], clid[128], chan[128], dchan[32] = "", sdate[32], adate[32] = "",
		     edate[32];
		snprintf(callid, sizeof callid, "%lld.%lld", (long long)epoch_s(start), (long long)seq);
		snprintf(clid, sizeof clid, "\"%s\" <%lld>", line, (long long)seq);
		snprintf(chan, sizeof chan, "Local/%lld@%s", (long long)seq, line);
		if (agent)
			snprintf(dchan, sizeof dchan, "Agent/%d", sqlite3_column_int(st, 8));
		fmt_date(start, sdate, sizeof sdate);
		fmt_date(end, edate, sizeof edate);
		if (ans)
			fmt_date(answer, adate, sizeof adate);
		int64_t duration = epoch_s(end) - epoch_s(start);
		int64_t billsec = ans ? epoch_s(end) - epoch_s(answer) : 0;
		cdr_str(out, "", true);                       /* accountcode */
		cdr_str(out, line, true);                     /* src */
		cdr_str(out, queued ? queue : final, true);   /* dst */
		cdr_str(out, line, true);                     /* dcontext */
		cdr_str(out, clid, true);
		cdr_str(out, chan, true);
		cdr_str(out, dchan, true);
		cdr_str(out, queued ? "Queue" : "Playback", true);
		cdr_str(out, queued ? queue : final, true);
		cdr_str(out, sdate, true);
		cdr_str(out, adate, true);
		cdr_str(out, edate, true);
		fprintf(out, "%lld,%lld,", (long long)duration, (long long)billsec);
		cdr_str(out, ans ? "ANSWERED" : "NO ANSWER", true);
		cdr_str(out, "DOCUMENTATION", true);
		cdr_str(out, callid, true);
		cdr_str(out, outcome, false);                 /* userfield */
		fputc('\n', out);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, rc, "exporting CDRs");
	return out_done(s, out, "CDR file");
}

/* ---- CSV per table ----------------------------------------------------------- */

static void csv_field(FILE *out, const char *t, int n)
{
	bool q = false;
	for (int i = 0; i < n; i++)
		if (t[i] == ',' || t[i] == '"' || t[i] == '\r' || t[i] == '\n') {
			q = true;
			break;
		}
	if (!q) {
		fwrite(t, 1, (size_t)n, out);
		return;
	}
	fputc('"', out);
	for (int i = 0; i < n; i++) {
		if (t[i] == '"')
			fputc('"', out);
		fputc(t[i], out);
	}
	fputc('"', out);
}

static int csv_table(store *s, int64_t run_id, const char *dir, const char *name,
                     const char *sql)
{
	char path[2048];
	snprintf(path, sizeof path, "%s/%s.csv", dir, name);
	FILE *out = fopen(path, "w");
	if (!out)
		return store_failf(s, errno == ENOSPC ? STORE_FULL : STORE_ERROR, "cannot write %s: %s",
		                   path, strerror(errno));
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		fclose(out);
		return store_fail(s, rc, "exporting CSV");
	}
	sqlite3_bind_int64(st, 1, run_id);
	int nc = sqlite3_column_count(st);
	for (int i = 0; i < nc; i++) {
		const char *c = sqlite3_column_name(st, i);
		if (i)
			fputc(',', out);
		csv_field(out, c, (int)strlen(c));
	}
	fputs("\r\n", out);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (int i = 0; i < nc; i++) {
			if (i)
				fputc(',', out);
			int ty = sqlite3_column_type(st, i);
			if (ty == SQLITE_NULL)
				continue;
			if (ty == SQLITE_INTEGER)
				fprintf(out, "%lld", (long long)sqlite3_column_int64(st, i));
			else if (ty == SQLITE_FLOAT)
				fprintf(out, "%.17g", sqlite3_column_double(st, i));
			else
				csv_field(out, (const char *)sqlite3_column_text(st, i),
				          sqlite3_column_bytes(st, i));
		}
		fputs("\r\n", out);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		fclose(out);
		return store_fail(s, rc, "exporting CSV");
	}
	int r = out_done(s, out, path);
	if (fclose(out) != 0 && r == STORE_OK)
		r = store_failf(s, errno == ENOSPC ? STORE_FULL : STORE_ERROR, "writing %s: %s", path,
		                strerror(errno));
	return r;
}

/* The views filter by run with a scan of calls; restricting the call ids
 * first keeps an export of one run proportional to that run. */
#define UNPACK_SQL(view) "SELECT * FROM " view " WHERE run = ?1 AND call IN" \
	" (SELECT seq FROM calls AS c WHERE " STORE_RUN_RANGE("c") ") ORDER BY call, seq"

int store_export_csv(store *s, int64_t run_id, const char *dir)
{
	int r = run_exists(s, run_id);
	if (r)
		return r;
	struct stat sb;
	if (mkdir(dir, 0777) != 0 && errno != EEXIST)
		return store_failf(s, STORE_ERROR, "cannot create %s: %s", dir, strerror(errno));
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return store_failf(s, STORE_ERROR, "%s is not a directory", dir);
	static const char *const tables[][2] = {
		{ "runs", "SELECT * FROM runs WHERE id = ?1" },
		{ "calls", "SELECT * FROM calls AS c WHERE " STORE_RUN_RANGE("c") " ORDER BY id" },
		{ "service_requests", "SELECT * FROM service_requests"
		  " WHERE call_id BETWEEN (?1 << 32) AND (?1 << 32) + 4294967295 ORDER BY call_id, seq" },
		{ "intervals", "SELECT * FROM intervals WHERE run = ?1 ORDER BY queue, start" },
		/* the views, unpacked; run = ?1 on the calls alias keeps the range */
		{ "queue_legs", UNPACK_SQL("queue_legs") },
		{ "visits", UNPACK_SQL("visits") },
		{ "call_keys", UNPACK_SQL("call_keys") },
	};
	if ((r = store_exec(s, "BEGIN", "exporting CSV")))
		return r;
	for (size_t i = 0; i < sizeof tables / sizeof tables[0] && r == STORE_OK; i++)
		r = csv_table(s, run_id, dir, tables[i][0], tables[i][1]);
	sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	return r;
}

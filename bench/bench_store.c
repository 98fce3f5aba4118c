/* bench_store.c — how fast the store writes call records.
 *
 *   bench_store [N] [DB] [--batch K] [--rows] [--mmc]
 *
 * Writes N synthetic calls (~8 visits, 0-2 queue legs, keys, some service
 * requests; tests/unit/test_store_synth.h) through store_call() into a fresh
 * database and prints calls per second of CPU and of wall time, and bytes
 * per call of the finished file.  --mmc writes calls shaped like the M/M/c
 * bench's instead (one visit, one answered leg, no keys; what simulate
 * --db stores there), handed over in finishing order: seq numbers out of
 * order by up to ~200, as 100 agents finish them.  --rows instead measures the alternative
 * layout (one row per visit and per key, raw SQLite with the same settings)
 * that the packed-JSON layout was chosen over; docs/database.md has numbers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sqlite3.h>
#include "tierline/store.h"
#include "../tests/unit/test_store_synth.h"

#define POOL 4096

static double now(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long long fsize(const char *p)
{
	struct stat sb;
	return stat(p, &sb) == 0 ? (long long)sb.st_size : 0;
}

static int bench_rows(const char *path, long n, int batch, synth_call *pool)
{
	sqlite3 *db;
	if (sqlite3_open(path, &db) != SQLITE_OK)
		return 2;
	sqlite3_exec(db,
		"PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
		"PRAGMA cache_size=-32768;"
		"CREATE TABLE runs(id INTEGER PRIMARY KEY);"
		"CREATE TABLE calls(run INTEGER NOT NULL REFERENCES runs(id), seq INTEGER NOT NULL,"
		" line TEXT, lang TEXT, vars TEXT, arrival INTEGER, ended INTEGER, outcome TEXT,"
		" final_node TEXT, counted INTEGER, PRIMARY KEY(run, seq)) WITHOUT ROWID;"
		"CREATE TABLE visits(run INTEGER, call INTEGER, seq INTEGER, node TEXT, t INTEGER,"
		" PRIMARY KEY(run, call, seq), FOREIGN KEY(run, call) REFERENCES calls(run, seq)) WITHOUT ROWID;"
		"CREATE TABLE call_keys(run INTEGER, call INTEGER, seq INTEGER, key TEXT, t INTEGER,"
		" PRIMARY KEY(run, call, seq), FOREIGN KEY(run, call) REFERENCES calls(run, seq)) WITHOUT ROWID;"
		"CREATE TABLE queue_legs(run INTEGER, call INTEGER, seq INTEGER, queue TEXT, tier INTEGER,"
		" entered INTEGER, answered INTEGER, ended INTEGER, agent INTEGER, result TEXT,"
		" found_free INTEGER, counted INTEGER, PRIMARY KEY(run, call, seq),"
		" FOREIGN KEY(run, call) REFERENCES calls(run, seq)) WITHOUT ROWID;"
		"CREATE INDEX ql ON queue_legs(run, queue, entered);"
		"INSERT INTO runs VALUES (1);", NULL, NULL, NULL);
	sqlite3_stmt *c, *v, *k, *l;
	sqlite3_prepare_v2(db, "INSERT INTO calls VALUES (1,?,?,?,?,?,?,?,?,?)", -1, &c, NULL);
	sqlite3_prepare_v2(db, "INSERT INTO visits VALUES (1,?,?,?,?)", -1, &v, NULL);
	sqlite3_prepare_v2(db, "INSERT INTO call_keys VALUES (1,?,?,?,?)", -1, &k, NULL);
	sqlite3_prepare_v2(db, "INSERT INTO queue_legs VALUES (1,?,?,?,?,?,?,?,?,?,?,?)", -1, &l, NULL);
	double c0 = now(CLOCK_PROCESS_CPUTIME_ID), w0 = now(CLOCK_MONOTONIC);
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	for (long i = 0; i < n; i++) {
		const rec_call *rc = &pool[i % POOL].c;
		sqlite3_bind_int64(c, 1, i + 1);
		sqlite3_bind_text(c, 2, rc->line, -1, SQLITE_STATIC);
		sqlite3_bind_text(c, 3, rc->lang, -1, SQLITE_STATIC);
		sqlite3_bind_null(c, 4);
		sqlite3_bind_int64(c, 5, rc->arrival);
		sqlite3_bind_int64(c, 6, rc->end);
		sqlite3_bind_text(c, 7, rc->outcome, -1, SQLITE_STATIC);
		sqlite3_bind_text(c, 8, rc->final_node, -1, SQLITE_STATIC);
		sqlite3_bind_int(c, 9, rc->counted);
		sqlite3_step(c);
		sqlite3_reset(c);
		for (int j = 0; j < rc->nvisits; j++) {
			sqlite3_bind_int64(v, 1, i + 1);
			sqlite3_bind_int(v, 2, j);
			sqlite3_bind_text(v, 3, rc->visits[j].node, -1, SQLITE_STATIC);
			sqlite3_bind_int64(v, 4, rc->visits[j].t);
			sqlite3_step(v);
			sqlite3_reset(v);
		}
		for (int j = 0; j < rc->nkeys; j++) {
			char key[2] = { rc->keys[j].key, 0 };
			sqlite3_bind_int64(k, 1, i + 1);
			sqlite3_bind_int(k, 2, j);
			sqlite3_bind_text(k, 3, key, 1, SQLITE_TRANSIENT);
			sqlite3_bind_int64(k, 4, rc->keys[j].t);
			sqlite3_step(k);
			sqlite3_reset(k);
		}
		for (int j = 0; j < rc->nlegs; j++) {
			const rec_leg *lg = &rc->legs[j];
			sqlite3_bind_int64(l, 1, i + 1);
			sqlite3_bind_int(l, 2, j);
			sqlite3_bind_text(l, 3, lg->queue, -1, SQLITE_STATIC);
			sqlite3_bind_int(l, 4, lg->tier);
			sqlite3_bind_int64(l, 5, lg->entered);
			sqlite3_bind_int64(l, 6, lg->answered);
			sqlite3_bind_int64(l, 7, lg->ended);
			sqlite3_bind_int(l, 8, lg->agent);
			sqlite3_bind_text(l, 9, lg->result, -1, SQLITE_STATIC);
			sqlite3_bind_int(l, 10, lg->found_free);
			sqlite3_bind_int(l, 11, rc->counted);
			sqlite3_step(l);
			sqlite3_reset(l);
		}
		if ((i + 1) % batch == 0) {
			sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
			sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
		}
	}
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	double cpu, wall;
	sqlite3_finalize(c);
	sqlite3_finalize(v);
	sqlite3_finalize(k);
	sqlite3_finalize(l);
	sqlite3_close(db);
	cpu = now(CLOCK_PROCESS_CPUTIME_ID) - c0;
	wall = now(CLOCK_MONOTONIC) - w0;
	printf("bench_store rows: %ld calls, batch %d: %.0f calls/s CPU, %.0f calls/s wall, "
	       "%.1f bytes/call\n", n, batch, (double)n / cpu, (double)n / wall,
	       (double)fsize(path) / (double)n);
	return 0;
}

int main(int argc, char **argv)
{
	long n = 1000000;
	const char *path = "/tmp/tierline-bench-store.db";
	int batch = STORE_BATCH_DEFAULT, rows = 0, mmc = 0, pos = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc)
			batch = atoi(argv[++i]);
		else if (strcmp(argv[i], "--rows") == 0)
			rows = 1;
		else if (strcmp(argv[i], "--mmc") == 0)
			mmc = 1;
		else if (pos++ == 0)
			n = atol(argv[i]);
		else
			path = argv[i];
	}
	if (n < 1 || batch < 1) {
		fprintf(stderr, "usage: bench_store [N] [DB] [--batch K] [--rows]\n");
		return 2;
	}
	static synth_call pool[POOL];
	for (int i = 0; i < POOL; i++) {
		synth_make(1, (uint64_t)i + 1000, &pool[i]);
		if (mmc) {
			synth_call *sc = &pool[i];
			uint64_t r = synth_mix((uint64_t)i);
			rec_call *c = &sc->c;
			c->line = "main";
			c->lang = "en";
			c->vars = NULL;
			c->counted = true;
			c->outcome = "resolved-tier1";
			c->final_node = "agents";
			c->nkeys = 0;
			c->nrequests = 0;
			c->nvisits = 1;
			sc->visits[0].node = "agents";
			sc->visits[0].t = c->arrival;
			c->nlegs = 1;
			int64_t wait = (int64_t)(r % 4) == 0 ? (int64_t)(r >> 8) % 20000 : 0;
			int64_t talk = 200 + (int64_t)(r >> 24) % 25000;
			sc->legs[0] = (rec_leg){ "agents", 1, c->arrival, c->arrival + wait,
			                         c->arrival + wait + talk, (int)(r >> 40) % 100,
			                         "resolved", wait == 0 };
			c->end = c->arrival + wait + talk;
		}
	}
	char wal[1024];
	snprintf(wal, sizeof wal, "%s-wal", path);
	unlink(path);
	unlink(wal);
	if (rows)
		return bench_rows(path, n, batch, pool);

	store *s;
	char err[512];
	if (store_open(path, &s, err, sizeof err) != STORE_OK) {
		fprintf(stderr, "bench_store: %s\n", err);
		return 2;
	}
	store_set_batch(s, batch);
	rec_run run = synth_run(1);
	int64_t id;
	double c0 = now(CLOCK_PROCESS_CPUTIME_ID), w0 = now(CLOCK_MONOTONIC);
	int r = store_run_begin(s, &run, &id);
	long legs = 0, visits = 0;
	for (long i = 0; i < n && r == STORE_OK; i++) {
		rec_call *c = &pool[i % POOL].c;
		c->seq = (uint64_t)i + 1;
		if (mmc) {
			/* finishing order: blocks of 256 handed over in a shuffled order
			 * (a fixed permutation of 0..255, odd multiplier) */
			long blk = i & ~255L, k = i & 255;
			if (blk + 256 <= n)
				c->seq = (uint64_t)(blk + ((k * 167 + 31) & 255)) + 1;
		}
		legs += c->nlegs;
		visits += c->nvisits;
		r = store_call(s, id, c);
	}
	if (r == STORE_OK)
		r = store_run_finish(s, id, true);
	if (r != STORE_OK) {
		fprintf(stderr, "bench_store: %s\n", store_errmsg(s));
		store_close(s);
		return 2;
	}
	/* closing checkpoints the WAL into the database: part of the cost */
	store_close(s);
	double cpu = now(CLOCK_PROCESS_CPUTIME_ID) - c0, wall = now(CLOCK_MONOTONIC) - w0;
	printf("bench_store%s: %ld calls (%.2f visits, %.2f legs each), batch %d: %.0f calls/s CPU, "
	       "%.0f calls/s wall, %.1f bytes/call\n", mmc ? " --mmc" : "", n, (double)visits / (double)n,
	       (double)legs / (double)n, batch, (double)n / cpu, (double)n / wall,
	       (double)fsize(path) / (double)n);
	return 0;
}

/* test_store.c — schema, writer, figures (SQL against in-memory), coverage,
 * exports, SHA-256, and every kind of bad database. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>
#include <sqlite3.h>
#include "tierline/store.h"
#include "tierline/util.h"
#include "test_store_synth.h"

/* The writer's rows per multi-row INSERT (STORE_CHUNK, src/store/store_int.h). */
#define STORE_CHUNK_TEST 128

static char tmpdir[256];

static int setup_dir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof tmpdir, "/tmp/tierline-store-XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	chmod(tmpdir, 0755);
	return 0;
}

static int teardown_dir(void **state)
{
	(void)state;
	char cmd[512];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *tpath(const char *name)
{
	static char p[8][512];
	static int i;
	i = (i + 1) % 8;
	snprintf(p[i], sizeof p[i], "%s/%s", tmpdir, name);
	return p[i];
}

static int64_t q1(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	int rc = sqlite3_step(st);
	int64_t v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -999;
	sqlite3_finalize(st);
	return v;
}

static char *qtext(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	char *v = NULL;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		v = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return v;
}

/* A store on tpath(name) (batch calls a transaction when batch > 0) with
 * the run of synth_run(seed) begun: the start of most writer tests. */
static store *open_run(const char *name, int batch, uint64_t seed, int64_t *id)
{
	store *s;
	char err[512];
	if (store_open(tpath(name), &s, err, sizeof err) != STORE_OK)
		fail_msg("store_open %s: %s", name, err);
	if (batch > 0)
		store_set_batch(s, batch);
	rec_run run = synth_run(seed);
	assert_int_equal(store_run_begin(s, &run, id), STORE_OK);
	return s;
}

/* Writes n synthetic calls (and intervals) as one run; returns its id. */
static int64_t write_synth(store *s, uint64_t seed, int n, bool finish, synth_call **keep)
{
	rec_run run = synth_run(seed);
	int64_t id;
	assert_int_equal(store_run_begin(s, &run, &id), STORE_OK);
	synth_call *all = keep ? calloc((size_t)n, sizeof *all) : NULL;
	synth_call one;
	for (int i = 0; i < n; i++) {
		synth_call *sc = all ? &all[i] : &one;
		synth_make(seed, (uint64_t)i, sc);
		int r = store_call(s, id, &sc->c);
		if (r)
			fail_msg("store_call: %s", store_errmsg(s));
	}
	for (int q = 0; q < 3; q++)
		for (int k = 0; k < 4; k++) {
			rec_interval iv;
			synth_interval(seed, q, k, &iv);
			assert_int_equal(store_interval(s, id, &iv), STORE_OK);
		}
	if (finish)
		assert_int_equal(store_run_finish(s, id, true), STORE_OK);
	if (keep) {
		/* rec_call points into its own synth_call: fix up after calloc */
		for (int i = 0; i < n; i++)
			synth_make(seed, (uint64_t)i, &all[i]);
		*keep = all;
	}
	return id;
}

/* ---- SHA-256 -------------------------------------------------------------- */

static void test_sha256(void **state)
{
	(void)state;
	char h[65];
	store_sha256_hex("", 0, h);
	assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	store_sha256_hex("abc", 3, h);
	assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	store_sha256_hex(m, strlen(m), h);
	assert_string_equal(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	/* a million 'a's, fed in odd-sized pieces */
	store_sha256 c;
	unsigned char d[32], chunk[997];
	memset(chunk, 'a', sizeof chunk);
	store_sha256_init(&c);
	size_t left = 1000000;
	while (left) {
		size_t k = left < sizeof chunk ? left : (left % 7) + 1 + (left % 500);
		if (k > left) k = left;
		store_sha256_update(&c, chunk, k);
		left -= k;
	}
	store_sha256_final(&c, d);
	char hx[65];
	for (int i = 0; i < 32; i++)
		sprintf(hx + 2 * i, "%02x", d[i]);
	assert_string_equal(hx, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	/* file form */
	FILE *f = fopen(tpath("abc.txt"), "w");
	fputs("abc", f);
	fclose(f);
	assert_int_equal(store_sha256_file(tpath("abc.txt"), h), 0);
	assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(store_sha256_file(tpath("missing"), h), -1);
}

/* ---- schema ---------------------------------------------------------------- */

static void test_migrations_match_schema_files(void **state)
{
	(void)state;
	const char *root = getenv("ROOT");
	int n = 0;
	for (const store_migration *m = store_migrations; m->version; m++, n++) {
		char p[1024], *txt;
		size_t len;
		snprintf(p, sizeof p, "%s/schema/%s", root ? root : ".", m->name);
		if (util_read_file(p, &txt, &len) != 0)
			fail_msg("cannot read %s (run from the repo root or set ROOT)", p);
		if (strcmp(txt, m->sql) != 0)
			fail_msg("%s differs from src/store/migrations.c: regenerate it "
			         "(docs/database.md)", p);
		free(txt);
		assert_int_equal(m->version, n + 1);
	}
	assert_int_equal(n, STORE_SCHEMA_VERSION);
}

/* All rows of a query as one text (columns '|', rows '\n'). */
static char *qall(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	buf b;
	buf_init(&b);
	while (sqlite3_step(st) == SQLITE_ROW) {
		for (int i = 0; i < sqlite3_column_count(st); i++) {
			const unsigned char *t = sqlite3_column_text(st, i);
			buf_printf(&b, "%s%s", i ? "|" : "", t ? (const char *)t : "NULL");
		}
		buf_putc(&b, '\n');
	}
	sqlite3_finalize(st);
	char *r = strdup(b.p ? b.p : "");
	buf_free(&b);
	return r;
}

/* A schema-2 database (run and seq stored, CHECK, foreign keys) upgrades in
 * place to the current schema: its runs, calls, requests and intervals read
 * exactly as before (SELECT * included), the views still unpack them, the
 * keys still cascade, and new runs go on from there. */
static void test_migrate_from_v2(void **state)
{
	(void)state;
	/* what a schema-2 writer left: write with today's store, then rebuild
	 * the file with migrations 1 and 2 only and copy the rows over */
	store *s;
	char err[512];
	assert_int_equal(store_open(tpath("v3src.db"), &s, err, sizeof err), STORE_OK);
	int64_t r1 = write_synth(s, 11, 700, true, NULL);
	int64_t r2 = write_synth(s, 12, 300, false, NULL);
	assert_int_equal(store_flush(s), STORE_OK);
	store_close(s);
	sqlite3 *db;
	unlink(tpath("v2.db"));
	assert_int_equal(sqlite3_open(tpath("v2.db"), &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL), SQLITE_OK);
	for (int i = 0; i < 2; i++)
		assert_int_equal(sqlite3_exec(db, store_migrations[i].sql, NULL, NULL, NULL), SQLITE_OK);
	char sql[1024];
	snprintf(sql, sizeof sql,
	         "PRAGMA user_version = 2; PRAGMA application_id = %d; ATTACH '%s' AS src;"
	         "INSERT INTO runs SELECT * FROM src.runs;"
	         "INSERT INTO calls SELECT * FROM src.calls;"
	         "INSERT INTO service_requests SELECT * FROM src.service_requests;"
	         "INSERT INTO intervals SELECT * FROM src.intervals; DETACH src",
	         STORE_APPLICATION_ID, tpath("v3src.db"));
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	char *old = qtext(db, "SELECT sql FROM sqlite_schema WHERE name = 'calls'");
	assert_non_null(strstr(old, "CHECK"));
	free(old);
	char *calls_before = qall(db, "SELECT * FROM calls ORDER BY id");
	char *req_before = qall(db, "SELECT * FROM service_requests ORDER BY id");
	char *legs_before = qall(db, "SELECT * FROM queue_legs ORDER BY run, call, seq");
	char *vis_before = qall(db, "SELECT * FROM visits ORDER BY run, call, seq");
	assert_true(q1(db, "SELECT count(*) FROM service_requests") > 0);
	sqlite3_close(db);

	assert_int_equal(store_open(tpath("v2.db"), &s, err, sizeof err), STORE_OK);
	db = store_sqlite(s);
	assert_int_equal(q1(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	char *t = qtext(db, "SELECT sql FROM sqlite_schema WHERE name = 'calls'");
	assert_null(strstr(t, "CHECK"));
	assert_non_null(strstr(t, "GENERATED"));
	free(t);
	char *calls_after = qall(db, "SELECT * FROM calls ORDER BY id");
	char *req_after = qall(db, "SELECT * FROM service_requests ORDER BY id");
	assert_string_equal(calls_after, calls_before);
	assert_string_equal(req_after, req_before);
	free(calls_after);
	free(req_after);
	t = qall(db, "SELECT * FROM queue_legs ORDER BY run, call, seq");
	assert_string_equal(t, legs_before);
	free(t);
	t = qall(db, "SELECT * FROM visits ORDER BY run, call, seq");
	assert_string_equal(t, vis_before);
	free(t);
	t = qtext(db, "PRAGMA integrity_check");
	assert_string_equal(t, "ok");
	free(t);
	assert_int_equal(q1(db, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
	store_run_info ri;
	assert_int_equal(store_run_get(s, r1, &ri), STORE_OK);
	assert_true(ri.complete);
	assert_int_equal(ri.ncalls, 700);
	assert_int_equal(store_run_get(s, r2, &ri), STORE_OK);
	assert_false(ri.complete);
	/* a new run goes on from there */
	int64_t r3 = write_synth(s, 13, 500, true, NULL);
	assert_int_equal(r3, r2 + 1);
	assert_int_equal(store_run_get(s, r3, &ri), STORE_OK);
	assert_int_equal(ri.ncalls, 500);
	/* deleting a run with foreign keys on cascades to its calls and requests */
	int64_t nreq = q1(db, "SELECT count(*) FROM service_requests");
	assert_int_equal(sqlite3_exec(db, "PRAGMA foreign_keys = ON; DELETE FROM runs WHERE id = 1",
	                              NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(q1(db, "SELECT count(*) FROM calls WHERE run = 1"), 0);
	assert_int_equal(q1(db, "SELECT count(*) FROM calls"), 800);
	assert_true(q1(db, "SELECT count(*) FROM service_requests") < nreq);
	assert_int_equal(q1(db, "SELECT count(*) FROM service_requests WHERE run = 1"), 0);
	assert_int_equal(q1(db, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
	store_close(s);
	free(calls_before);
	free(req_before);
	free(legs_before);
	free(vis_before);
}

/* Calls handed over out of order, in several runs and more than a chunk at
 * a time, are all stored (sorted by id in the file), with their requests
 * in the order they came; a duplicate inside a full chunk is refused alone. */
static void test_writer_order_and_chunks(void **state)
{
	(void)state;
	int64_t id;
	store *s = open_run("order.db", 1000, 21, &id);
	synth_call sc;
	const int n = 2500, extra = 768;
	buf order;                    /* "call.seq" of each request, as handed over */
	buf_init(&order);
	int nreq = 0;
	for (int k = 0; k < n; k++) {
		/* a permutation of 0..n-1 with long-range disorder */
		int i = (int)(((uint64_t)k * 1543) % (uint64_t)n);
		synth_make(21, (uint64_t)i, &sc);
		for (int q = 0; q < sc.c.nrequests; q++)
			buf_printf(&order, "%s%llu.%d", nreq++ ? " " : "", (unsigned long long)sc.c.seq, q);
		assert_int_equal(store_call(s, id, &sc.c), STORE_OK);
	}
	/* a duplicate (seq 1 again) among new calls: sorted first in its batch,
	 * so inside a full multi-row chunk; the call (or flush) that writes the
	 * batch reports it, once */
	int errors = 0;
	for (int i = 0; i < extra; i++) {
		synth_make(21, (uint64_t)(i == extra / 2 ? 0 : n + i), &sc);
		sc.c.nrequests = 0;
		int r = store_call(s, id, &sc.c);
		if (r != STORE_OK) {
			assert_int_equal(r, STORE_ERROR);
			assert_non_null(strstr(store_errmsg(s), "UNIQUE"));
			errors++;
		}
	}
	int r = store_flush(s);
	if (r != STORE_OK) {
		assert_int_equal(r, STORE_ERROR);
		assert_non_null(strstr(store_errmsg(s), "UNIQUE"));
		errors++;
	}
	assert_int_equal(errors, 1);
	assert_int_equal(store_run_finish(s, id, true), STORE_OK);
	sqlite3 *db = store_sqlite(s);
	int64_t want = n + extra - 1;
	assert_int_equal(q1(db, "SELECT count(*) FROM calls"), want);
	assert_int_equal(q1(db, "SELECT calls FROM runs"), want);
	assert_int_equal(q1(db, "SELECT count(*) FROM calls WHERE id <> (run << 32 | seq)"), 0);
	assert_true(nreq > 10);
	char *t = qtext(db, "SELECT group_concat(call || '.' || seq, ' ') FROM "
	                    "(SELECT call, seq FROM service_requests ORDER BY id)");
	assert_string_equal(t, order.p);
	free(t);
	buf_free(&order);
	assert_int_equal(q1(db, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
	/* every call reads back as written */
	for (int i = 0; i < n; i += 97) {
		synth_make(21, (uint64_t)i, &sc);
		char q[160];
		snprintf(q, sizeof q, "SELECT arrival FROM calls WHERE run = %lld AND seq = %llu",
		         (long long)id, (unsigned long long)sc.c.seq);
		assert_int_equal(q1(db, q), sc.c.arrival);
	}
	store_close(s);
}

/* Names the writer keeps (line, language, outcome, final node) and those
 * it cannot keep (too many, too long) all read back as written, whatever
 * the parameter they were bound to before. */
/* A duplicate in the middle of a chunk (OR FAIL): the rows before it in
 * the chunk stay, the duplicate alone is refused, the rest follow. */
static void test_writer_dup_mid_chunk(void **state)
{
	(void)state;
	int64_t id;
	store *s = open_run("dupmid.db", 1000, 23, &id);
	rec_run run = synth_run(23);
	synth_call sc;
	int errors = 0;
	for (int i = 0; i < 301; i++) {
		/* seq 51 twice (synth seq = i + 1): sorted, the second is row 51 of
		 * the first chunk */
		synth_make(23, (uint64_t)(i == 300 ? 50 : i), &sc);
		sc.c.nrequests = 0;
		if (store_call(s, id, &sc.c) != STORE_OK)
			errors++;
	}
	if (store_flush(s) != STORE_OK) {
		assert_non_null(strstr(store_errmsg(s), "UNIQUE"));
		errors++;
	}
	assert_int_equal(errors, 1);
	assert_int_equal(store_run_finish(s, id, true), STORE_OK);
	sqlite3 *db = store_sqlite(s);
	assert_int_equal(q1(db, "SELECT count(*) FROM calls"), 300);
	assert_int_equal(q1(db, "SELECT count(DISTINCT seq) FROM calls WHERE seq BETWEEN 1 AND 300"), 300);
	assert_int_equal(q1(db, "SELECT calls FROM runs"), 300);
	/* later writes still append after the refused chunk */
	assert_int_equal(store_run_begin(s, &run, &id), STORE_OK);
	for (int i = 0; i < 200; i++) {
		synth_make(23, (uint64_t)i, &sc);
		sc.c.nrequests = 0;
		assert_int_equal(store_call(s, id, &sc.c), STORE_OK);
	}
	assert_int_equal(store_run_finish(s, id, true), STORE_OK);
	assert_int_equal(q1(db, "SELECT count(*) FROM calls"), 500);
	assert_int_equal(q1(db, "SELECT count(*) FROM calls WHERE id <> (run << 32 | seq)"), 0);
	assert_int_equal(store_close(s), STORE_OK);
}

/* A chunk whose first and last ids are those of an append but that holds
 * a duplicate (seq 179 twice, 180 missing; the second chunk of the run, as
 * the first one follows no call of the run): it must not go through the
 * append statement, where SQLite would give the second 179 the id of 180. */
static void test_writer_dup_in_append_span(void **state)
{
	(void)state;
	int64_t id;
	store *s = open_run("dupspan.db", 1000, 25, &id);
	synth_call sc;
	int errors = 0;
	for (int i = 0; i < 2 * STORE_CHUNK_TEST; i++) {
		synth_make(25, (uint64_t)(i == 179 ? 178 : i), &sc);
		sc.c.nrequests = 0;
		if (store_call(s, id, &sc.c) != STORE_OK)
			errors++;
	}
	if (store_flush(s) != STORE_OK) {
		assert_non_null(strstr(store_errmsg(s), "UNIQUE"));
		errors++;
	}
	assert_int_equal(errors, 1);
	sqlite3 *db = store_sqlite(s);
	assert_int_equal(q1(db, "SELECT count(*) FROM calls"), 2 * STORE_CHUNK_TEST - 1);
	assert_int_equal(q1(db, "SELECT count(*) FROM calls WHERE seq = 180"), 0);
	assert_int_equal(q1(db, "SELECT max(seq) FROM calls"), 2 * STORE_CHUNK_TEST);
	assert_int_equal(store_close(s), STORE_OK);
}

/* Append chunks leave vars and keys to their defaults when every row of
 * the chunk has vars NULL or keys '[]': chunks with all four mixes read
 * back exactly as written. */
static void test_writer_default_columns(void **state)
{
	(void)state;
	int64_t id;
	store *s = open_run("dflt.db", 0, 26, &id);
	/* chunk 2 (seq 129-256) leaves both out, 3 keys only (vars at 300),
	 * 4 vars only (a key at 450), 5 neither (vars at 600, a key at 601) */
	int n = 5 * STORE_CHUNK_TEST;
	for (int i = 1; i <= n; i++) {
		rec_visit v = { "agents", 1000 + i };
		rec_key k = { 1500 + i, '#' };
		bool has_vars = i == 300 || i == 600, has_key = i == 450 || i == 601;
		rec_call c = { .seq = (uint64_t)i, .line = "main", .lang = "en",
		               .vars = has_vars ? "{\"a\":\"b\"}" : NULL,
		               .arrival = 1000 + i, .end = 9000 + i, .outcome = "x",
		               .counted = true, .keys = &k, .nkeys = has_key ? 1 : 0,
		               .visits = &v, .nvisits = 1 };
		assert_int_equal(store_call(s, id, &c), STORE_OK);
	}
	assert_int_equal(store_run_finish(s, id, true), STORE_OK);
	sqlite3 *db = store_sqlite(s);
	assert_int_equal(q1(db, "SELECT count(*) FROM calls"), n);
	char *t = qtext(db, "SELECT group_concat(seq || vars, ' ') FROM calls WHERE vars IS NOT NULL");
	assert_string_equal(t, "300{\"a\":\"b\"} 600{\"a\":\"b\"}");
	free(t);
	t = qtext(db, "SELECT group_concat(seq || keys, ' ') FROM calls WHERE keys <> '[]'");
	assert_string_equal(t, "450[\"#\",500] 601[\"#\",500]");
	free(t);
	assert_int_equal(q1(db, "SELECT count(*) FROM calls WHERE typeof(keys) = 'text' "
	                        "AND typeof(visits) = 'text' AND visits = '[\"agents\",0]' "
	                        "AND id = (run << 32 | seq) AND arrival = 1000 + seq"), n);
	assert_int_equal(store_close(s), STORE_OK);
}

/* The JSON of a visit node or a leg's queue is cached by address: a
 * buffer reused with other text at the same address is packed anew. */
static void test_writer_name_cache_reused_buffer(void **state)
{
	(void)state;
	int64_t id;
	store *s = open_run("jname.db", 0, 24, &id);
	static const char *const texts[] = { "agents", "agentz", "a\"b", "agents", "" };
	char node[32];
	for (int i = 0; i < 5; i++) {
		snprintf(node, sizeof node, "%s", texts[i]);
		rec_visit v = { node, 1000 + i };
		rec_leg l = { node, 1, 1000, -1, 1500, -1, node, false };
		rec_call c = { .seq = (uint64_t)i + 1, .line = "main", .arrival = 1000, .end = 2000,
		               .outcome = "x", .counted = true, .visits = &v, .nvisits = 1,
		               .legs = &l, .nlegs = 1 };
		assert_int_equal(store_call(s, id, &c), STORE_OK);
	}
	assert_int_equal(store_run_finish(s, id, true), STORE_OK);
	char *t = qtext(store_sqlite(s), "SELECT group_concat(visits || legs, ' ') FROM "
	                                 "(SELECT visits, legs FROM calls ORDER BY id)");
	assert_string_equal(t,
		"[\"agents\",0][[\"agents\",1,0,null,500,null,\"agents\",0]] "
		"[\"agentz\",1][[\"agentz\",1,0,null,500,null,\"agentz\",0]] "
		"[\"a\\\"b\",2][[\"a\\\"b\",1,0,null,500,null,\"a\\\"b\",0]] "
		"[\"agents\",3][[\"agents\",1,0,null,500,null,\"agents\",0]] "
		"[\"\",4][[\"\",1,0,null,500,null,\"\",0]]");
	free(t);
	assert_int_equal(store_close(s), STORE_OK);
}

static void test_writer_names(void **state)
{
	(void)state;
	int64_t id;
	store *s = open_run("names.db", 0, 31, &id);
	static char fin[3000][120];
	const int n = 3000;
	for (int i = 0; i < n; i++) {
		if (i % 7 == 0)
			snprintf(fin[i], sizeof fin[i], "a-long-final-node-name-%d-%0*d", i, 80, i);
		else
			snprintf(fin[i], sizeof fin[i], "node-%d", i % 3 == 0 ? i : i % 5);
		/* more short distinct names than the writer keeps */
		char ln[8];
		snprintf(ln, sizeof ln, "%d", i % 1500);
		rec_call c = { .seq = (uint64_t)i + 1, .line = i % 2 ? "main" : ln,
		               .lang = i % 3 ? "en" : NULL, .arrival = 1000 * i, .end = 1000 * i + 5,
		               .outcome = i % 11 ? "resolved-tier1" : NULL, .final_node = fin[i],
		               .counted = i % 4 != 0 };
		assert_int_equal(store_call(s, id, &c), STORE_OK);
		/* the caller's memory may change right after */
		if (i % 2)
			memset(fin[i], 'x', 4);
	}
	assert_int_equal(store_run_finish(s, id, true), STORE_OK);
	sqlite3 *db = store_sqlite(s);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT seq, line, lang, outcome, final_node, counted "
	                                        "FROM calls ORDER BY id", -1, &st, NULL), SQLITE_OK);
	int i = 0;
	for (; sqlite3_step(st) == SQLITE_ROW; i++) {
		char want[120];
		if (i % 7 == 0)
			snprintf(want, sizeof want, "a-long-final-node-name-%d-%0*d", i, 80, i);
		else
			snprintf(want, sizeof want, "node-%d", i % 3 == 0 ? i : i % 5);
		assert_int_equal(sqlite3_column_int64(st, 0), i + 1);
		char ln[8];
		snprintf(ln, sizeof ln, "%d", i % 1500);
		assert_string_equal((const char *)sqlite3_column_text(st, 1), i % 2 ? "main" : ln);
		if (i % 3)
			assert_string_equal((const char *)sqlite3_column_text(st, 2), "en");
		else
			assert_int_equal(sqlite3_column_type(st, 2), SQLITE_NULL);
		assert_string_equal((const char *)sqlite3_column_text(st, 3), i % 11 ? "resolved-tier1" : "");
		assert_string_equal((const char *)sqlite3_column_text(st, 4), want);
		assert_int_equal(sqlite3_column_int(st, 5), i % 4 != 0);
	}
	sqlite3_finalize(st);
	assert_int_equal(i, n);
	store_close(s);
}

static void test_open_creates_schema(void **state)
{
	(void)state;
	store *s;
	char err[512];
	assert_int_equal(store_open(tpath("new.db"), &s, err, sizeof err), STORE_OK);
	sqlite3 *db = store_sqlite(s);
	assert_int_equal(q1(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	assert_int_equal(q1(db, "PRAGMA application_id"), STORE_APPLICATION_ID);
	/* the writer checks no foreign keys per row (store.c says why) */
	assert_int_equal(q1(db, "PRAGMA foreign_keys"), 0);
	char *jm = qtext(db, "PRAGMA journal_mode");
	assert_string_equal(jm, "wal");
	free(jm);
	assert_int_equal(q1(db, "SELECT count(*) FROM sqlite_schema WHERE name IN "
	                        "('runs','calls','queue_legs','service_requests','intervals',"
	                        "'visits','call_keys')"), 7);
	assert_int_equal(store_close(s), STORE_OK);
	/* reopening migrates nothing and keeps the version */
	assert_int_equal(store_open(tpath("new.db"), &s, err, sizeof err), STORE_OK);
	assert_int_equal(q1(store_sqlite(s), "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	store_close(s);
	/* and a read-only open works on it */
	assert_int_equal(store_open_flags(tpath("new.db"), STORE_READONLY_OPEN, 0, &s, err,
	                                  sizeof err), STORE_OK);
	store_run_info ri;
	assert_int_equal(store_run_get(s, 0, &ri), STORE_NOTFOUND);
	assert_non_null(strstr(store_errmsg(s), "no runs"));
	rec_run run = synth_run(1);
	int64_t id;
	assert_int_equal(store_run_begin(s, &run, &id), STORE_READONLY);
	store_close(s);
}

/* ---- writer --------------------------------------------------------------- */

static void test_roundtrip(void **state)
{
	(void)state;
	int64_t id;
	store *s = open_run("rt.db", 0, 7, &id);
	assert_int_equal(id, 1);
	rec_visit v[] = { { "main", 1000 }, { "odd \"name\"\\x", 2500 }, { "main", 4000 } };
	rec_key k[] = { { 1200, '1' }, { 3000, '#' } };
	rec_leg legs[] = {
		{ "tier1", 1, 5000, 25000, 95000, 3, "escalated", false },
		{ "tier2", 2, 95000, -1, 155000, -1, "abandoned", false },
	};
	rec_request rq = { "case-inquiry", "vsc", 150000, 150000 + 86400000, "open" };
	rec_call c = { .seq = 1, .line = "main", .lang = "es", .vars = "{\"a\":\"b\"}",
	               .arrival = 1000, .end = 160000, .outcome = "abandoned-queue",
	               .final_node = "main", .counted = true, .keys = k, .nkeys = 2,
	               .visits = v, .nvisits = 3, .legs = legs, .nlegs = 2, .requests = &rq,
	               .nrequests = 1 };
	assert_int_equal(store_call(s, id, &c), STORE_OK);
	rec_call c2 = { .seq = 2, .line = NULL, .lang = NULL, .arrival = 2000, .end = 3000,
	                .outcome = "abandoned-ivr", .counted = false };
	assert_int_equal(store_call(s, id, &c2), STORE_OK);
	/* duplicate seq is refused with a message when the buffer is written
	 * (here: the flush), and the batch goes on */
	assert_int_equal(store_call(s, id, &c2), STORE_OK);
	assert_int_equal(store_flush(s), STORE_ERROR);
	assert_non_null(strstr(store_errmsg(s), "UNIQUE"));
	assert_int_equal(store_run_finish(s, id, true), STORE_OK);

	sqlite3 *db = store_sqlite(s);
	assert_int_equal(q1(db, "SELECT complete FROM runs WHERE id = 1"), 1);
	assert_int_equal(q1(db, "SELECT calls FROM runs WHERE id = 1"), 2);
	char *t = qtext(db, "SELECT visits FROM calls WHERE seq = 1");
	assert_string_equal(t, "[\"main\",0,\"odd \\\"name\\\"\\\\x\",1500,\"main\",3000]");
	free(t);
	t = qtext(db, "SELECT group_concat(node || '@' || t, ' ') FROM visits WHERE run = 1 AND call = 1");
	assert_string_equal(t, "main@1000 odd \"name\"\\x@2500 main@4000");
	free(t);
	t = qtext(db, "SELECT group_concat(key || '@' || t, ' ') FROM call_keys WHERE run = 1");
	assert_string_equal(t, "1@1200 #@3000");
	free(t);
	assert_int_equal(q1(db, "SELECT count(*) FROM queue_legs WHERE answered IS NULL AND agent IS NULL"), 1);
	assert_int_equal(q1(db, "SELECT answered FROM queue_legs WHERE call = 1 AND seq = 0"), 25000);
	t = qtext(db, "SELECT office || '/' || status FROM service_requests");
	assert_string_equal(t, "vsc/open");
	free(t);
	assert_int_equal(q1(db, "SELECT count(*) FROM calls WHERE seq = 2 AND line IS NULL AND visits = '[]'"), 1);
	/* foreign keys hold and cascade (for a connection that turns them on) */
	assert_int_equal(q1(db, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
	assert_int_equal(sqlite3_exec(db, "PRAGMA foreign_keys = ON; DELETE FROM runs WHERE id = 1",
	                              NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(q1(db, "SELECT count(*) FROM service_requests"), 0);
	assert_int_equal(q1(db, "SELECT count(*) FROM queue_legs"), 0);
	assert_int_equal(q1(db, "SELECT count(*) FROM calls"), 0);
	store_close(s);
}

static void test_run_row_committed_first(void **state)
{
	(void)state;
	int64_t id;
	store *s = open_run("first.db", 1000, 3, &id);
	sqlite3 *other;
	assert_int_equal(sqlite3_open(tpath("first.db"), &other), SQLITE_OK);
	assert_int_equal(q1(other, "SELECT complete FROM runs WHERE id = 1"), 0);
	synth_call sc;
	for (int i = 0; i < 1500; i++) {
		synth_make(3, (uint64_t)i, &sc);
		assert_int_equal(store_call(s, id, &sc.c), STORE_OK);
	}
	/* one batch of 1000 is committed, the next 500 are not yet */
	assert_int_equal(q1(other, "SELECT count(*) FROM calls WHERE run = 1"), 1000);
	assert_int_equal(store_flush(s), STORE_OK);
	assert_int_equal(q1(other, "SELECT count(*) FROM calls WHERE run = 1"), 1500);
	assert_int_equal(q1(other, "SELECT complete FROM runs WHERE id = 1"), 0);
	assert_int_equal(store_run_finish(s, id, true), STORE_OK);
	assert_int_equal(q1(other, "SELECT complete FROM runs WHERE id = 1"), 1);
	assert_int_equal(q1(other, "SELECT calls FROM runs WHERE id = 1"), 1500);
	store_run_info ri;
	assert_int_equal(store_run_get(s, 0, &ri), STORE_OK);
	assert_int_equal(ri.id, 1);
	assert_true(ri.complete);
	assert_int_equal(ri.ncalls, 1500);
	assert_string_equal(ri.mode, "simulate");
	assert_int_equal(ri.seed, 3);
	assert_int_equal(ri.sl_threshold_ms, 20000);
	assert_int_equal(strlen(ri.started), 19);
	assert_int_equal(store_run_get(s, 42, &ri), STORE_NOTFOUND);
	assert_non_null(strstr(store_errmsg(s), "no run 42"));
	assert_int_equal(store_run_finish(s, 42, true), STORE_NOTFOUND);
	sqlite3_close(other);
	store_close(s);
}

/* ---- figures ----------------------------------------------------------------- */

static void test_figures_hand_computed(void **state)
{
	(void)state;
	store *s;
	char err[512];
	assert_int_equal(store_open(tpath("hand.db"), &s, err, sizeof err), STORE_OK);
	rec_run run = synth_run(1);
	run.sim_start = 0;
	run.interval_ms = 60000;
	run.sl_threshold_ms = 20000;
	int64_t id;
	assert_int_equal(store_run_begin(s, &run, &id), STORE_OK);
	/* Ten answered calls in tier1 with waits 1..10 s in the first minute,
	 * two abandoned and one timed out in the second, one exactly at the
	 * threshold (20 s counts as within). */
	rec_leg legs[14];
	rec_call c[14];
	memset(c, 0, sizeof c);
	for (int i = 0; i < 14; i++) {
		rec_leg *l = &legs[i];
		memset(l, 0, sizeof *l);
		l->queue = "tier1";
		l->tier = 1;
		l->agent = -1;
		l->answered = -1;
		if (i < 10) {
			l->entered = 1000 * i;
			l->answered = l->entered + 1000 * (i + 1);
			l->ended = l->answered + 100000;
			l->agent = i;
			l->result = "resolved";
			l->found_free = i < 3;
		} else if (i < 12) {
			l->entered = 60000 + i;
			l->ended = l->entered + 30000;
			l->result = "abandoned";
		} else if (i == 12) {
			l->entered = 61000;
			l->ended = 61000 + 50000;
			l->result = "timeout";
		} else {
			l->entered = 62000;
			l->answered = 82000;
			l->ended = 92000;
			l->agent = 1;
			l->result = "hangup-talking";
		}
		c[i].seq = (uint64_t)i + 1;
		c[i].line = "main";
		c[i].arrival = l->entered - 500;
		c[i].end = l->ended;
		c[i].outcome = i < 10 ? "resolved-tier1" : "abandoned-queue";
		c[i].counted = true;
		c[i].legs = l;
		c[i].nlegs = 1;
		assert_int_equal(store_call(s, id, &c[i]), STORE_OK);
	}
	rec_call ss = { .seq = 100, .arrival = 0, .end = 5, .outcome = "self-service", .counted = true };
	rec_call warm = { .seq = 101, .arrival = -5000, .end = 5, .outcome = "self-service", .counted = false };
	assert_int_equal(store_call(s, id, &ss), STORE_OK);
	assert_int_equal(store_call(s, id, &warm), STORE_OK);
	rec_interval iv = { .queue = "tier1", .start = 0, .length_ms = 60000, .agents = 4,
	                    .staffed_ms = 240000, .busy_ms = 180000 };
	assert_int_equal(store_interval(s, id, &iv), STORE_OK);
	assert_int_equal(store_run_finish(s, id, true), STORE_OK);

	store_figs f;
	assert_int_equal(store_figures(s, id, &f), STORE_OK);
	assert_int_equal(f.calls, 15);
	assert_int_equal(f.contained, 1);
	assert_true(f.containment == 1.0 / 15.0);
	assert_int_equal(f.nqueues, 1);
	assert_int_equal(f.nintervals, 2);
	const store_qfig *a = &f.intervals[0], *b = &f.intervals[1], *q = &f.queues[0];
	assert_int_equal(a->start, 0);
	assert_int_equal(b->start, 60000);
	assert_int_equal(a->offered, 10);
	assert_int_equal(a->answered, 10);
	assert_int_equal(a->answered_within, 10);
	assert_int_equal(a->waited, 7);
	assert_int_equal(a->wait_p90_ms, 9000);    /* rank ceil(0.9 * 10) = 9 */
	assert_int_equal(a->wait_p95_ms, 10000);   /* rank ceil(0.95 * 10) = 10 */
	assert_true(a->asa == 5.5);
	assert_true(a->occupancy == 0.75);
	assert_int_equal(a->agents, 4);
	assert_int_equal(b->offered, 4);
	assert_int_equal(b->answered, 1);
	assert_int_equal(b->abandoned, 2);
	assert_int_equal(b->timed_out, 1);
	assert_int_equal(b->answered_within, 1);   /* exactly 20 s */
	assert_true(b->service_level == 1.0 / 3.0);
	assert_true(b->abandon_rate == 2.0 / 3.0);
	assert_true(b->wait_mean == (20.0 + 30 + 30 + 50) / 4);
	assert_int_equal(b->agents, 0);
	assert_true(b->occupancy == 0.0);
	/* totals pool: 11 answered within of 11 answered + 2 abandoned */
	assert_int_equal(q->offered, 14);
	assert_true(q->service_level == 11.0 / 13.0);
	assert_true(q->abandon_rate == 2.0 / 13.0);
	assert_int_equal(q->wait_p90_ms, 10000);   /* 11 waits: rank ceil(9.9) = 10 -> 10 s */
	assert_int_equal(q->wait_p95_ms, 20000);   /* rank ceil(10.45) = 11 -> 20 s */
	assert_true(q->aht == (10 * 100.0 + 10.0) / 11.0);
	assert_true(q->p_wait == 11.0 / 14.0);
	assert_int_equal(f.total.offered, 14);
	assert_int_equal(f.ntransfers, 1);
	assert_int_equal(f.transfers[0].tier, 1);
	assert_int_equal(f.transfers[0].n, 14);
	assert_int_equal(f.noutcomes, 3);
	assert_string_equal(f.outcomes[0].name, "abandoned-queue");
	assert_int_equal(f.outcomes[0].n, 4);

	/* the in-memory path gives the same */
	rec_call all[16];
	memcpy(all, c, sizeof c);
	all[14] = ss;
	all[15] = warm;
	store_figs m;
	assert_int_equal(store_figures_from_records(&run, all, 16, &iv, 1, &m), STORE_OK);
	char why[256];
	if (!store_figures_equal(&f, &m, 0.0, why, sizeof why))
		fail_msg("SQL and memory differ: %s", why);
	store_figures_free(&m);
	store_figures_free(&f);
	store_close(s);
}

static void check_sql_vs_memory(int n, int batch, uint64_t seed)
{
	store *s;
	char err[512], name[64];
	snprintf(name, sizeof name, "cmp-%d-%d.db", n, batch);
	assert_int_equal(store_open(tpath(name), &s, err, sizeof err), STORE_OK);
	store_set_batch(s, batch);
	/* an earlier run in the same database must not leak into the figures */
	write_synth(s, seed + 1, 300, true, NULL);
	synth_call *calls;
	int64_t id = write_synth(s, seed, n, true, &calls);
	store_figs f, m;
	assert_int_equal(store_figures(s, id, &f), STORE_OK);
	rec_call *rc = calloc((size_t)n, sizeof *rc);
	for (int i = 0; i < n; i++)
		rc[i] = calls[i].c;
	rec_interval ivs[12];
	for (int q = 0; q < 3; q++)
		for (int k = 0; k < 4; k++)
			synth_interval(seed, q, k, &ivs[q * 4 + k]);
	rec_run run = synth_run(seed);
	assert_int_equal(store_figures_from_records(&run, rc, (size_t)n, ivs, 12, &m), STORE_OK);
	char why[512];
	if (!store_figures_equal(&f, &m, 0.0, why, sizeof why))
		fail_msg("SQL and memory differ (n=%d): %s", n, why);
	assert_true(f.nintervals > 4);
	assert_int_equal(f.nqueues, 3);
	assert_true(f.total.abandoned > 0 && f.total.timed_out > 0 && f.nrequests > 0);
	assert_true(f.total.service_level > 0 && f.total.service_level < 1);
	/* a changed count must be noticed */
	m.queues[0].answered_within++;
	assert_false(store_figures_equal(&f, &m, 0.0, why, sizeof why));
	assert_non_null(strstr(why, "answered_within"));
	store_figures_free(&f);
	store_figures_free(&m);
	free(rc);
	free(calls);
	store_close(s);
}

static void test_figures_sql_equals_memory(void **state)
{
	(void)state;
	check_sql_vs_memory(40, 7, 11);
	check_sql_vs_memory(5000, 512, 12);
	check_sql_vs_memory(30000, STORE_BATCH_DEFAULT, 13);
}

static void test_figures_incomplete_and_missing(void **state)
{
	(void)state;
	store *s;
	char err[512];
	assert_int_equal(store_open(tpath("inc.db"), &s, err, sizeof err), STORE_OK);
	int64_t id = write_synth(s, 5, 100, false, NULL);
	store_flush(s);
	store_figs f;
	assert_int_equal(store_figures(s, id, &f), STORE_OK);
	assert_true(f.calls > 0);
	store_figures_free(&f);
	store_run_info ri;
	assert_int_equal(store_run_get(s, 0, &ri), STORE_OK);
	assert_false(ri.complete);
	assert_int_equal(store_figures(s, 99, &f), STORE_NOTFOUND);
	store_close(s);
}

/* ---- coverage ------------------------------------------------------------------ */

static void test_coverage(void **state)
{
	(void)state;
	store *s;
	char err[512];
	assert_int_equal(store_open(tpath("cov.db"), &s, err, sizeof err), STORE_OK);
	int n = 2000;
	synth_call *calls;
	int64_t id = write_synth(s, 21, n, true, &calls);
	store_cov cv;
	assert_int_equal(store_coverage(s, id, &cv), STORE_OK);
	/* recount in C */
	int64_t visits = 0, edges = 0;
	for (int i = 0; i < cv.nnodes; i++) {
		int64_t want = 0, wcalls = 0;
		for (int j = 0; j < n; j++) {
			int hit = 0;
			for (int k = 0; k < calls[j].c.nvisits; k++)
				if (strcmp(calls[j].c.visits[k].node, cv.nodes[i].node) == 0)
					want++, hit = 1;
			wcalls += hit;
		}
		assert_int_equal(cv.nodes[i].visits, want);
		assert_int_equal(cv.nodes[i].calls, wcalls);
		if (i)
			assert_true(strcmp(cv.nodes[i - 1].node, cv.nodes[i].node) < 0);
		visits += cv.nodes[i].visits;
	}
	for (int i = 0; i < cv.nedges; i++) {
		int64_t want = 0;
		for (int j = 0; j < n; j++)
			for (int k = 1; k < calls[j].c.nvisits; k++)
				want += strcmp(calls[j].c.visits[k - 1].node, cv.edges[i].from) == 0 &&
				        strcmp(calls[j].c.visits[k].node, cv.edges[i].to) == 0;
		assert_int_equal(cv.edges[i].n, want);
		edges += cv.edges[i].n;
	}
	int64_t tv = 0;
	for (int j = 0; j < n; j++)
		tv += calls[j].c.nvisits;
	assert_int_equal(visits, tv);
	assert_int_equal(edges, tv - n);
	store_coverage_free(&cv);
	assert_int_equal(store_coverage(s, 77, &cv), STORE_NOTFOUND);
	free(calls);
	store_close(s);
}

/* ---- exports ------------------------------------------------------------------- */

static char *slurp(const char *p)
{
	char *t;
	size_t n;
	if (util_read_file(p, &t, &n) != 0)
		fail_msg("cannot read %s", p);
	return t;
}

static void test_exports(void **state)
{
	(void)state;
	int64_t id;
	store *s = open_run("exp.db", 0, 1, &id);
	/* 1000000000000 ms = 2001-09-09 01:46:40 */
	const int64_t T0 = 1000000000000LL;
	rec_visit v[] = { { "main", T0 }, { "live_help", T0 + 1000 } };
	rec_key k[] = { { T0 + 500, '0' }, { T0 + 7000, '9' } };
	rec_leg legs[] = {
		{ "tier1", 1, T0 + 2000, T0 + 12000, T0 + 72000, 7, "escalated", false },
		{ "tier2", 2, T0 + 72000, T0 + 75000, T0 + 135000, 2, "resolved", true },
	};
	rec_call c1 = { .seq = 1, .line = "main", .arrival = T0, .end = T0 + 135000,
	                .outcome = "resolved-tier2", .final_node = "live_help", .counted = true,
	                .visits = v, .nvisits = 2, .legs = legs, .nlegs = 2, .keys = k, .nkeys = 1 };
	rec_leg l2[] = { { "tier1", 1, T0 + 3000, -1, T0 + 33000, -1, "abandoned", false } };
	rec_call c2 = { .seq = 2, .line = "tty", .arrival = T0 + 1000, .end = T0 + 33000,
	                .outcome = "abandoned-queue", .final_node = "q, \"x\"", .counted = true,
	                .legs = l2, .nlegs = 1 };
	rec_leg l3[] = { { "tier1", 1, T0 + 8000, -1, T0 + 9000, -1, "asked-supervisor", false },
	                 { "supervisor", 3, T0 + 9000, -1, T0 + 10000, -1, "timeout", false } };
	rec_call c3 = { .seq = 3, .line = "main", .arrival = T0 + 2000, .end = T0 + 10000,
	                .outcome = "failed", .counted = true, .legs = l3, .nlegs = 2,
	                .keys = k, .nkeys = 2 };
	rec_call c4 = { .seq = 4, .line = "main", .arrival = T0 + 4000, .end = T0 + 6000,
	                .outcome = "self-service", .final_node = "goodbye", .counted = true };
	assert_int_equal(store_call(s, id, &c1), STORE_OK);
	assert_int_equal(store_call(s, id, &c2), STORE_OK);
	assert_int_equal(store_call(s, id, &c3), STORE_OK);
	assert_int_equal(store_call(s, id, &c4), STORE_OK);
	assert_int_equal(store_run_finish(s, id, true), STORE_OK);

	FILE *f = fopen(tpath("queue_log"), "w");
	assert_int_equal(store_export_queue_log(s, id, f), STORE_OK);
	fclose(f);
	char *t = slurp(tpath("queue_log"));
	const char *want =
		"1000000002|1000000000.1|tier1|NONE|ENTERQUEUE||main|1\n"
		"1000000003|1000000001.2|tier1|NONE|ENTERQUEUE||tty|2\n"
		"1000000008|1000000002.3|tier1|NONE|ENTERQUEUE||main|3\n"
		"1000000009|1000000002.3|tier1|NONE|EXITWITHKEY|9|3|3|1\n"
		"1000000009|1000000002.3|supervisor|NONE|ENTERQUEUE||main|1\n"
		"1000000010|1000000002.3|supervisor|NONE|EXITWITHTIMEOUT|1|1|1\n"
		"1000000012|1000000000.1|tier1|Agent/7|CONNECT|10|1000000000.1.0|0\n"
		"1000000033|1000000001.2|tier1|NONE|ABANDON|2|2|30\n"
		"1000000072|1000000000.1|tier1|Agent/7|BLINDTRANSFER|tier2|tierline|10|60|1\n"
		"1000000072|1000000000.1|tier2|NONE|ENTERQUEUE||main|1\n"
		"1000000075|1000000000.1|tier2|Agent/2|CONNECT|3|1000000000.1.1|0\n"
		"1000000135|1000000000.1|tier2|Agent/2|COMPLETEAGENT|3|60|1\n";
	if (strcmp(t, want) != 0)
		fail_msg("queue_log:\n%s\nwant:\n%s", t, want);
	free(t);

	f = fopen(tpath("cdr.csv"), "w");
	assert_int_equal(store_export_cdr(s, id, f), STORE_OK);
	fclose(f);
	t = slurp(tpath("cdr.csv"));
	const char *want_cdr =
		"\"\",\"main\",\"tier2\",\"main\",\"\"\"main\"\" <1>\",\"Local/1@main\",\"Agent/2\","
		"\"Queue\",\"tier2\",\"2001-09-09 01:46:40\",\"2001-09-09 01:46:52\","
		"\"2001-09-09 01:48:55\",135,123,\"ANSWERED\",\"DOCUMENTATION\",\"1000000000.1\","
		"\"resolved-tier2\"\n";
	if (strncmp(t, want_cdr, strlen(want_cdr)) != 0)
		fail_msg("cdr:\n%s\nwant:\n%s", t, want_cdr);
	assert_non_null(strstr(t, "\"2001-09-09 01:46:41\",\"\",\"2001-09-09 01:47:13\",32,0,\"NO ANSWER\""));
	assert_non_null(strstr(t, "\"goodbye\",\"main\",\"\"\"main\"\" <4>\",\"Local/4@main\",\"\",\"Playback\",\"goodbye\""));
	free(t);

	assert_int_equal(store_export_csv(s, id, tpath("csv")), STORE_OK);
	t = slurp(tpath("csv/calls.csv"));
	const char *hdr = "id,run,seq,line,lang,vars,arrival,ended,outcome,final_node,counted,keys,visits,legs\r\n";
	assert_true(strncmp(t, hdr, strlen(hdr)) == 0);
	assert_non_null(strstr(t, ",\"q, \"\"x\"\"\",1,[],[],"
	                          "\"[[\"\"tier1\"\",1,2000,null,32000,null,\"\"abandoned\"\",0]]\"\r\n"));
	assert_non_null(strstr(t, "\"[\"\"main\"\",0,\"\"live_help\"\",1000]\""));
	free(t);
	t = slurp(tpath("csv/visits.csv"));
	assert_string_equal(t, "run,call,seq,node,t\r\n1,1,0,main,1000000000000\r\n"
	                       "1,1,1,live_help,1000000001000\r\n");
	free(t);
	t = slurp(tpath("csv/queue_legs.csv"));
	assert_non_null(strstr(t, "1,2,0,tier1,1,1000000003000,,1000000033000,,abandoned,0,1\r\n"));
	free(t);
	for (const char *const *n = (const char *const[]){ "runs", "service_requests", "intervals",
	                                                   "call_keys", NULL }; *n; n++) {
		char p[64];
		snprintf(p, sizeof p, "csv/%s.csv", *n);
		struct stat sb;
		assert_int_equal(stat(tpath(p), &sb), 0);
	}
	/* a file where the folder should be */
	assert_int_equal(store_export_csv(s, id, tpath("queue_log")), STORE_ERROR);
	assert_non_null(strstr(store_errmsg(s), "not a directory"));
	f = fopen("/dev/null", "w");
	assert_int_equal(store_export_cdr(s, 5, f), STORE_NOTFOUND);
	fclose(f);
	store_close(s);
}

/* ---- bad databases ------------------------------------------------------------ */

static void expect_open_fails(const char *path, int flags, int want, const char *msg)
{
	store *s = (store *)1;
	char err[512] = "";
	int r = store_open_flags(path, flags, 200, &s, err, sizeof err);
	if (r != want)
		fail_msg("open %s: got %d (%s), want %d", path, r, err, want);
	assert_null(s);
	if (!strstr(err, msg))
		fail_msg("open %s: message '%s' lacks '%s'", path, err, msg);
	assert_non_null(strstr(err, path));
}

static void test_bad_paths(void **state)
{
	(void)state;
	mkdir(tpath("adir"), 0755);
	expect_open_fails(tpath("adir"), 0, STORE_CANTOPEN, "is a directory");
	expect_open_fails(tpath("adir"), STORE_READONLY_OPEN, STORE_CANTOPEN, "is a directory");
	expect_open_fails(tpath("nope.db"), STORE_READONLY_OPEN, STORE_CANTOPEN, "no such database file");
	expect_open_fails(tpath("no/such/dir/x.db"), 0, STORE_CANTOPEN, "cannot open");
	store *s;
	char err[256];
	assert_int_equal(store_open("", &s, err, sizeof err), STORE_CANTOPEN);
	assert_non_null(strstr(err, "no database path"));
}

static void test_garbage_and_foreign_files(void **state)
{
	(void)state;
	FILE *f = fopen(tpath("garbage.db"), "w");
	for (int i = 0; i < 10000; i++)
		fputc((i * 7919) & 0xff, f);
	fclose(f);
	expect_open_fails(tpath("garbage.db"), 0, STORE_CORRUPT, "not a SQLite database");
	expect_open_fails(tpath("garbage.db"), STORE_READONLY_OPEN, STORE_CORRUPT, "not a SQLite database");
	/* the failed open must not have touched the file */
	struct stat sb;
	assert_int_equal(stat(tpath("garbage.db"), &sb), 0);
	assert_int_equal(sb.st_size, 10000);
	/* empty file: a fresh database */
	f = fopen(tpath("empty.db"), "w");
	fclose(f);
	store *s;
	char err[512];
	assert_int_equal(store_open(tpath("empty.db"), &s, err, sizeof err), STORE_OK);
	store_close(s);
	/* someone else's SQLite database */
	sqlite3 *db;
	assert_int_equal(sqlite3_open(tpath("other.db"), &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	expect_open_fails(tpath("other.db"), 0, STORE_CORRUPT, "not a tierline database");
	expect_open_fails(tpath("other.db"), STORE_READONLY_OPEN, STORE_CORRUPT, "not a tierline database");
	assert_int_equal(sqlite3_open(tpath("other.db"), &db), SQLITE_OK);
	assert_int_equal(q1(db, "SELECT count(*) FROM sqlite_schema"), 1);
	sqlite3_close(db);
}

static void test_corrupt_pages(void **state)
{
	(void)state;
	store *s;
	char err[512];
	assert_int_equal(store_open(tpath("corrupt.db"), &s, err, sizeof err), STORE_OK);
	int64_t id = write_synth(s, 2, 3000, true, NULL);
	store_close(s);
	/* scribble over the middle of the file, keep the header */
	int fd = open(tpath("corrupt.db"), O_RDWR);
	struct stat sb;
	fstat(fd, &sb);
	char junk[8192];
	for (size_t i = 0; i < sizeof junk; i++)
		junk[i] = (char)(i * 31 + 7);
	for (off_t off = 8192; off < sb.st_size - 8192; off += 3 * 8192)
		assert_int_equal(pwrite(fd, junk, sizeof junk, off), (ssize_t)sizeof junk);
	close(fd);
	int r = store_open_flags(tpath("corrupt.db"), STORE_READONLY_OPEN, 200, &s, err, sizeof err);
	if (r == STORE_OK) {
		store_figs f;
		r = store_figures(s, id, &f);
		if (r == STORE_OK)
			store_figures_free(&f);
		else
			assert_non_null(strstr(store_errmsg(s), "corrupt"));
		store_cov cv;
		if (store_coverage(s, id, &cv) == STORE_OK)
			store_coverage_free(&cv);
		store_close(s);
	} else {
		assert_int_equal(r, STORE_CORRUPT);
	}
	/* whatever happens, some read must have noticed */
	assert_int_not_equal(r, STORE_OK);
}

static void test_newer_version(void **state)
{
	(void)state;
	store *s;
	char err[512];
	assert_int_equal(store_open(tpath("newer.db"), &s, err, sizeof err), STORE_OK);
	write_synth(s, 2, 10, true, NULL);
	assert_int_equal(sqlite3_exec(store_sqlite(s), "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	store_close(s);
	char want[96];
	snprintf(want, sizeof want, "newer tierline (schema version 99; this binary knows up to %d)",
	         STORE_SCHEMA_VERSION);
	expect_open_fails(tpath("newer.db"), 0, STORE_NEWER, want);
	expect_open_fails(tpath("newer.db"), STORE_READONLY_OPEN, STORE_NEWER, "newer tierline");
}

static void test_locked(void **state)
{
	(void)state;
	store *s;
	char err[512];
	assert_int_equal(store_open(tpath("locked.db"), &s, err, sizeof err), STORE_OK);
	int64_t id = write_synth(s, 2, 10, true, NULL);
	store_close(s);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(tpath("locked.db"), &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE;"
	                                  "INSERT INTO runs(mode, started) VALUES ('x', 'y')",
	                              NULL, NULL, NULL), SQLITE_OK);
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	expect_open_fails(tpath("locked.db"), 0, STORE_BUSY, "locked by another connection (gave up after 200 ms)");
	expect_open_fails(tpath("locked.db"), STORE_READONLY_OPEN, STORE_BUSY, "locked");
	clock_gettime(CLOCK_MONOTONIC, &b);
	double el = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	assert_true(el < 3.0);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);

	/* a writer holding the write lock: a second writer's run_begin waits,
	 * then fails; readers still read (WAL) */
	store *w1, *w2, *rd;
	assert_int_equal(store_open_flags(tpath("locked.db"), 0, 150, &w1, err, sizeof err), STORE_OK);
	assert_int_equal(store_open_flags(tpath("locked.db"), 0, 150, &w2, err, sizeof err), STORE_OK);
	rec_run run = synth_run(9);
	int64_t id1, id2;
	assert_int_equal(store_run_begin(w1, &run, &id1), STORE_OK);
	synth_call sc;
	synth_make(9, 0, &sc);
	assert_int_equal(store_call(w1, id1, &sc.c), STORE_OK);   /* holds the lock */
	assert_int_equal(store_run_begin(w2, &run, &id2), STORE_BUSY);
	assert_non_null(strstr(store_errmsg(w2), "locked"));
	assert_int_equal(store_open_flags(tpath("locked.db"), STORE_READONLY_OPEN, 150, &rd, err,
	                                  sizeof err), STORE_OK);
	store_figs f;
	assert_int_equal(store_figures(rd, id, &f), STORE_OK);
	store_figures_free(&f);
	store_close(rd);
	assert_int_equal(store_run_finish(w1, id1, true), STORE_OK);
	assert_int_equal(store_run_begin(w2, &run, &id2), STORE_OK);
	assert_int_equal(store_run_finish(w2, id2, true), STORE_OK);
	store_close(w1);
	store_close(w2);
}

static void test_disk_full(void **state)
{
	(void)state;
	store *s;
	char err[512];
	assert_int_equal(store_open(tpath("full.db"), &s, err, sizeof err), STORE_OK);
	int64_t first = write_synth(s, 4, 200, true, NULL);
	int64_t pages = 0;
	sqlite3 *db = store_sqlite(s);
	pages = q1(db, "PRAGMA page_count");
	char sql[64];
	snprintf(sql, sizeof sql, "PRAGMA max_page_count = %lld", (long long)pages + 20);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	store_set_batch(s, 100);
	rec_run run = synth_run(5);
	int64_t id;
	assert_int_equal(store_run_begin(s, &run, &id), STORE_OK);
	int r = STORE_OK;
	synth_call sc;
	for (int i = 0; i < 100000 && r == STORE_OK; i++) {
		synth_make(5, (uint64_t)i, &sc);
		r = store_call(s, id, &sc.c);
	}
	assert_int_equal(r, STORE_FULL);
	assert_non_null(strstr(store_errmsg(s), "full"));
	/* finishing fails or succeeds, but never corrupts; the first run is intact */
	store_run_finish(s, id, false);
	store_close(s);
	assert_int_equal(store_open(tpath("full.db"), &s, err, sizeof err), STORE_OK);
	db = store_sqlite(s);
	char *ic = qtext(db, "PRAGMA integrity_check");
	assert_string_equal(ic, "ok");
	free(ic);
	store_run_info ri;
	assert_int_equal(store_run_get(s, first, &ri), STORE_OK);
	assert_true(ri.complete);
	assert_int_equal(ri.ncalls, 200);
	assert_int_equal(store_run_get(s, id, &ri), STORE_OK);
	assert_false(ri.complete);
	store_close(s);
}

/* Root ignores file modes, so the read-only cases run in a child that has
 * dropped to nobody. */
static int readonly_child(void)
{
	store *s;
	char err[512];
	if (store_open(tpath("ro/ro.db"), &s, err, sizeof err) != STORE_READONLY ||
	    !strstr(err, "read-only"))
		return fprintf(stderr, "writer open: %s\n", err), 10;
	if (store_open_flags(tpath("ro/ro.db"), STORE_READONLY_OPEN, 0, &s, err, sizeof err) != STORE_OK)
		return fprintf(stderr, "reader open: %s\n", err), 11;
	store_figs f;
	if (store_figures(s, 0, &f) != STORE_OK)
		return fprintf(stderr, "figures: %s\n", store_errmsg(s)), 12;
	store_figures_free(&f);
	store_close(s);
	int r = store_open(tpath("ro/new.db"), &s, err, sizeof err);
	if (r == STORE_OK || !strstr(err, "ro/new.db"))
		return fprintf(stderr, "create in read-only dir: %d %s\n", r, err), 13;
	return 0;
}

static void test_readonly(void **state)
{
	(void)state;
	mkdir(tpath("ro"), 0755);
	store *s;
	char err[512];
	assert_int_equal(store_open(tpath("ro/ro.db"), &s, err, sizeof err), STORE_OK);
	write_synth(s, 2, 50, true, NULL);
	store_close(s);
	chmod(tpath("ro/ro.db"), 0444);
	chmod(tpath("ro"), 0555);
	pid_t pid = fork();
	if (pid == 0) {
		if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
			_exit(20);
		_exit(readonly_child());
	}
	int st;
	waitpid(pid, &st, 0);
	chmod(tpath("ro"), 0755);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_migrations_match_schema_files),
		cmocka_unit_test(test_open_creates_schema),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_migrate_from_v2),
		cmocka_unit_test(test_writer_order_and_chunks),
		cmocka_unit_test(test_writer_dup_mid_chunk),
		cmocka_unit_test(test_writer_dup_in_append_span),
		cmocka_unit_test(test_writer_default_columns),
		cmocka_unit_test(test_writer_name_cache_reused_buffer),
		cmocka_unit_test(test_writer_names),
		cmocka_unit_test(test_run_row_committed_first),
		cmocka_unit_test(test_figures_hand_computed),
		cmocka_unit_test(test_figures_sql_equals_memory),
		cmocka_unit_test(test_figures_incomplete_and_missing),
		cmocka_unit_test(test_coverage),
		cmocka_unit_test(test_exports),
		cmocka_unit_test(test_bad_paths),
		cmocka_unit_test(test_garbage_and_foreign_files),
		cmocka_unit_test(test_corrupt_pages),
		cmocka_unit_test(test_newer_version),
		cmocka_unit_test(test_locked),
		cmocka_unit_test(test_disk_full),
		cmocka_unit_test(test_readonly),
	};
	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}

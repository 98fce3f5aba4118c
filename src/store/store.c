/*
 * store.c — opening a tierline database, migrations, and the batched writer.
 *
 * Invariants:
 *  - A runs row is committed (complete = 0) before any of its calls, and
 *    complete becomes 1 in the same transaction as its last batch.  A writer
 *    killed at any moment therefore leaves either nothing of a batch or all
 *    of it, and a run that says complete has every call.
 *  - Write transactions start with BEGIN IMMEDIATE, so a lock conflict shows
 *    up at BEGIN (after the busy timeout) and never as a deadlock halfway.
 *  - Statements are prepared once per connection.  store_call copies the
 *    call at once (text into the store's buffer, names into memory kept
 *    until close), so the caller's memory only has to live that long; the
 *    copies are bound SQLITE_STATIC and stepped before the buffer is reused.
 *  - Calls are buffered only inside an open transaction and written (sorted
 *    by id) before it commits: a kill loses a batch whole, as before.
 *  - Foreign keys are not checked on this connection; the order of writes
 *    keeps them (runs row, then calls, then their requests), and the tests
 *    run foreign_key_check after writes, migrations and kills.
 *  - max_id, when known, is exactly max(calls.id) in the open transaction;
 *    it is forgotten at every BEGIN and after any failed statement, and
 *    sqlite3_last_insert_rowid is checked against it after each chunk.
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sqlite3.h>
#include "tierline/store.h"
#include "store_int.h"

/* A buffered call (see "the call buffer" below). */
enum { F_LINE, F_LANG, F_VARS, F_OUTCOME, F_FINAL, F_KEYS, F_VISITS, F_LEGS, F_N };
#define NO_TEXT UINT32_MAX

struct store_row {
	int64_t run, seq, arrival, ended;
	int counted;
	uint32_t off[F_N], len[F_N];  /* len NO_TEXT: NULL */
	const char *name[F_N];        /* non-NULL: the text is this kept name, not in the arena */
};

struct store_name { uint32_t hash, len; const char *p; };
struct store_pool { struct store_pool *next; size_t used; char buf[4096]; };

/* What a statement parameter is bound to now.  Bindings survive
 * sqlite3_reset, so a parameter that would get the same NULL, integer or
 * kept name again is left as it is: a bind costs ~170 instructions (unbind,
 * mutex, copy of the Mem), and in a chunk most calls repeat the line,
 * language, outcome and final node of the call a chunk earlier. */
enum { B_UNKNOWN, B_NULL, B_INT, B_NAME, B_ARENA };
struct store_bound { const char *p; int64_t v; uint32_t len; int kind; };

/* The JSON strings of names (visit nodes, leg queues and results) most
 * recently packed, by address: a name comes back at the same address
 * (the flow's), so most strings are a strcmp against the kept copy (the
 * address may have been reused for other text, so it is only a hint) and
 * a fixed-size copy of the kept JSON form, quotes included. */
#define PK_JN_MAX 40                  /* longest JSON form kept */
#define PK_JN_SLOTS 256               /* a power of two; a flow's names are a few dozen */
#define PK_JN_PROBE 4
struct store_jname {
	const char *addr;             /* NULL: empty slot */
	uint32_t jlen;
	char src[PK_JN_MAX];          /* the name as it was, NUL-terminated */
	char json[PK_JN_MAX + 8];     /* its JSON form, padded */
};

struct store_ord {
	int64_t id;
	int i;                        /* index in rows */
};

struct store_rreq {
	int64_t run, seq;
	int n;                        /* index within the call */
	int64_t created, due;
	uint32_t off[3], len[3];      /* type, office, status */
};

/* ---- errors ---------------------------------------------------------------- */

int store_fail(store *s, int rc, const char *what)
{
	int prim = rc & 0xff;
	const char *why;
	int st;
	switch (prim) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		st = STORE_BUSY;
		why = "the database is locked by another connection";
		break;
	case SQLITE_FULL:
		st = STORE_FULL;
		why = "the disk (or the database's size limit) is full";
		break;
	case SQLITE_NOTADB:
		st = STORE_CORRUPT;
		why = "the file is not a SQLite database";
		break;
	case SQLITE_CORRUPT:
		st = STORE_CORRUPT;
		why = "the database file is corrupt";
		break;
	case SQLITE_READONLY:
		st = STORE_READONLY;
		why = "the database (or its folder) is read-only";
		break;
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		st = STORE_CANTOPEN;
		why = "cannot open the database file";
		break;
	case SQLITE_IOERR:
		st = STORE_ERROR;
		why = "I/O error";
		break;
	default:
		st = STORE_ERROR;
		why = NULL;
		break;
	}
	const char *detail = s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);
	if (st == STORE_BUSY)
		snprintf(s->err, sizeof s->err, "%s: %s: %s (gave up after %d ms)",
		         s->path, what, why, s->busy_ms);
	else if (why)
		snprintf(s->err, sizeof s->err, "%s: %s: %s (%s)", s->path, what, why, detail);
	else
		snprintf(s->err, sizeof s->err, "%s: %s: %s", s->path, what, detail);
	/* A failed COMMIT or a full disk may roll the transaction back. */
	if (s->db && sqlite3_get_autocommit(s->db))
		s->in_tx = false;
	return st;
}

int store_failf(store *s, int st, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(s->err, sizeof s->err, "%s: ", s->path);
	if (n < 0 || (size_t)n >= sizeof s->err)
		n = 0;
	va_start(ap, fmt);
	vsnprintf(s->err + n, sizeof s->err - (size_t)n, fmt, ap);
	va_end(ap);
	return st;
}

const char *store_errmsg(const store *s)
{
	return s ? s->err : "out of memory";
}

struct sqlite3 *store_sqlite(store *s)
{
	return s->db;
}

void store_set_batch(store *s, int calls)
{
	s->batch = calls < 1 ? 1 : calls;
}

/* ---- small SQL helpers ----------------------------------------------------- */

int store_exec(store *s, const char *sql, const char *what)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? STORE_OK : store_fail(s, rc, what);
}

int store_prepare(store *s, sqlite3_stmt **st, const char *sql)
{
	int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL);
	return rc == SQLITE_OK ? STORE_OK : store_fail(s, rc, "preparing a query");
}

/* One integer from a one-row query; *v = dflt when no row. */
int store_int(store *s, const char *sql, int64_t *v, int64_t dflt)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, "reading the database");
	rc = sqlite3_step(st);
	*v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : dflt;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		int r = store_fail(s, rc, "reading the database");
		sqlite3_finalize(st);
		return r;
	}
	sqlite3_finalize(st);
	return STORE_OK;
}

static int tx_begin(store *s)
{
	if (s->in_tx)
		return STORE_OK;
	int r = store_exec(s, "BEGIN IMMEDIATE", "starting a write");
	if (r == STORE_OK)
		s->in_tx = true;
	s->max_id = -1;     /* another connection may have written since */
	return r;
}

static int flush_rows(store *s);

/* Writes the buffered calls and commits.  A refused call (flush_rows) does
 * not stop the others from being committed; its error is returned. */
static int tx_commit(store *s)
{
	if (!s->in_tx)
		return STORE_OK;
	int fr = flush_rows(s);
	if (!s->in_tx) {
		s->pending = 0;
		return fr;
	}
	int rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		int r = fr ? fr : store_fail(s, rc, "committing");
		if (!sqlite3_get_autocommit(s->db))
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		s->in_tx = false;
		s->pending = 0;
		return r;
	}
	s->in_tx = false;
	s->pending = 0;
	return fr;
}

/* ---- open and migrate ---------------------------------------------------- */

static int migrate(store *s)
{
	int64_t ver, app, ntables;
	int r = tx_begin(s);
	if (r)
		return r;
	/* Read again inside the write lock: another process may have migrated. */
	if ((r = store_int(s, "PRAGMA user_version", &ver, 0)) ||
	    (r = store_int(s, "PRAGMA application_id", &app, 0)) ||
	    (r = store_int(s, "SELECT count(*) FROM sqlite_schema", &ntables, 0)))
		goto fail;
	if (app != 0 && app != STORE_APPLICATION_ID) {
		r = store_failf(s, STORE_CORRUPT, "not a tierline database (application_id %lld)",
		                (long long)app);
		goto fail;
	}
	if (ver == 0 && ntables > 0) {
		r = store_failf(s, STORE_CORRUPT,
		                "not a tierline database (it has tables but no tierline schema version)");
		goto fail;
	}
	if (ver > STORE_SCHEMA_VERSION) {
		r = store_failf(s, STORE_NEWER,
		                "written by a newer tierline (schema version %lld; this binary knows up to %d): "
		                "upgrade tierline to read it", (long long)ver, STORE_SCHEMA_VERSION);
		goto fail;
	}
	for (const store_migration *m = store_migrations; m->version; m++) {
		if (m->version <= ver)
			continue;
		int rc = sqlite3_exec(s->db, m->sql, NULL, NULL, NULL);
		if (rc != SQLITE_OK) {
			char what[96];
			snprintf(what, sizeof what, "applying migration %s", m->name);
			r = store_fail(s, rc, what);
			goto fail;
		}
		char sql[96];
		snprintf(sql, sizeof sql, "PRAGMA user_version = %d; PRAGMA application_id = %d",
		         m->version, STORE_APPLICATION_ID);
		if ((r = store_exec(s, sql, "recording the schema version")))
			goto fail;
	}
	if (ver < STORE_SCHEMA_VERSION) {
		int64_t bad;
		if ((r = store_int(s, "SELECT count(*) FROM pragma_foreign_key_check", &bad, 0)))
			goto fail;
		if (bad) {
			r = store_failf(s, STORE_CORRUPT, "migrating: %lld rows break a foreign key "
			                "(nothing was changed)", (long long)bad);
			goto fail;
		}
	}
	return tx_commit(s);
fail:
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->in_tx = false;
	return r;
}

/* Read-only opens never migrate; they only check what they find. */
static int check_readonly(store *s)
{
	int64_t ver, app;
	int r;
	if ((r = store_int(s, "PRAGMA user_version", &ver, 0)) ||
	    (r = store_int(s, "PRAGMA application_id", &app, 0)))
		return r;
	if (app != STORE_APPLICATION_ID || ver == 0)
		return store_failf(s, STORE_CORRUPT, "not a tierline database (no tierline schema)");
	if (ver > STORE_SCHEMA_VERSION)
		return store_failf(s, STORE_NEWER,
		                   "written by a newer tierline (schema version %lld; this binary knows up to %d): "
		                   "upgrade tierline to read it", (long long)ver, STORE_SCHEMA_VERSION);
	if (ver < STORE_SCHEMA_VERSION)
		return store_failf(s, STORE_ERROR,
		                   "schema version %lld is older than this binary's %d: open it once for "
		                   "writing (e.g. with simulate) to migrate it", (long long)ver,
		                   STORE_SCHEMA_VERSION);
	return STORE_OK;
}

/* run and seq are generated from id (schema 3). */
#define SQL_CALL_NAMES "calls(id, line, lang, vars, arrival, ended, " \
	"outcome, final_node, counted, keys, visits, legs) VALUES "
#define SQL_CALL_COLS "INSERT INTO " SQL_CALL_NAMES
/* The chunk statement is OR FAIL, not the default OR ABORT: a multi-row
 * statement that may abort needs a statement journal (a savepoint that
 * copies every page the statement first touches, kept in case a later row
 * is refused), ~600 instructions a call.  With OR FAIL a refused row
 * stops the statement and leaves the rows before it in; flush_rows counts
 * them (sqlite3_changes) and goes on one by one from the refused row. */
#define SQL_CHUNK_COLS "INSERT OR FAIL INTO " SQL_CALL_NAMES
#define SQL_CALL_ROW "(?,?,?,?,?,?,?,?,?,?,?,?)"
#define SQL_CALL_NPARAM 12
/* The chunk statements for appends: every row's id is the table's largest
 * plus one, so id is left out and SQLite takes it from NewRowid.  A row
 * then costs no id parameter, no NotNull/MustBeInt on it and no NotExists
 * probe of the B-tree (the rowid is new by construction).
 *
 * A chunk whose rows all have vars NULL, or all keys '[]', also leaves that
 * column out: SQLite then stores its default (NULL; keys' DEFAULT '[]'),
 * the same value, and codes a constant default once per statement, where
 * a parameter costs a Variable and a copy per row.  M/M/c calls never
 * have vars or keys; USCIS calls never have vars.  The variants are
 * prepared when first needed (APP_NO_* is the index). */
enum { APP_NO_VARS = 1, APP_NO_KEYS = 2 };
#define SQL_APP_NPARAM 11             /* parameters of a row with no column left out */
static const char SQL_INS_CALL[] = SQL_CALL_COLS SQL_CALL_ROW;
static const char SQL_INS_REQ[] =
	"INSERT INTO service_requests(call_id, run, call, seq, type, office, created, due, status) "
	"VALUES (?9,?1,?2,?3,?4,?5,?6,?7,?8)";
static const char SQL_INS_IV[] =
	"INSERT OR REPLACE INTO intervals(run, queue, start, length_ms, offered, answered, "
	"abandoned, timed_out, answered_within, wait_sum_ms, wait_max_ms, handle_sum_ms, agents, "
	"staffed_ms, busy_ms) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15)";

/* A WAL database in a folder the reader cannot write to cannot get its
 * -shm file.  When there is no -wal file (every commit checkpointed: the
 * writer closed cleanly) the main file alone is the whole database, so it
 * can be read as immutable. */
static int reopen_immutable(store *s)
{
	char wal[1100];
	snprintf(wal, sizeof wal, "%s-wal", s->path);
	if (access(wal, F_OK) == 0)
		return STORE_READONLY;
	buf uri;
	buf_init(&uri);
	buf_puts(&uri, "file:");
	for (const char *p = s->path; *p; p++) {
		if (*p == '%' || *p == '?' || *p == '#')
			buf_printf(&uri, "%%%02X", (unsigned char)*p);
		else
			buf_putc(&uri, *p);
	}
	buf_puts(&uri, "?immutable=1");
	sqlite3_close_v2(s->db);
	s->db = NULL;
	int rc = sqlite3_open_v2(uri.p, &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI |
	                         SQLITE_OPEN_NOMUTEX, NULL);
	buf_free(&uri);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, "opening read-only");
	sqlite3_extended_result_codes(s->db, 1);
	return STORE_OK;
}

static void copy_err(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
}

int store_open(const char *path, store **out, char *err, size_t errlen)
{
	return store_open_flags(path, 0, STORE_BUSY_MS_DEFAULT, out, err, errlen);
}

/* head, then row STORE_CHUNK times separated by commas, into out (sized
 * by the caller for that). */
static void chunk_sql(char *out, const char *head, const char *row)
{
	size_t n = strlen(head), rl = strlen(row);
	memcpy(out, head, n);
	for (int i = 0; i < STORE_CHUNK; i++) {
		if (i)
			out[n++] = ',';
		memcpy(out + n, row, rl);
		n += rl;
	}
	out[n] = 0;
}

static int app_nparam(int mask)
{
	return SQL_APP_NPARAM - (mask & APP_NO_VARS ? 1 : 0) - (mask & APP_NO_KEYS ? 1 : 0);
}

/* Prepares the append statement for mask (APP_NO_*) and its bindings. */
static int app_prepare(store *s, int mask)
{
	char head[192], row[2 * SQL_APP_NPARAM + 2];
	snprintf(head, sizeof head, "INSERT OR FAIL INTO calls(line, lang, %sarrival, ended, "
	         "outcome, final_node, counted, %svisits, legs) VALUES ",
	         mask & APP_NO_VARS ? "" : "vars, ", mask & APP_NO_KEYS ? "" : "keys, ");
	int np = app_nparam(mask), n = 0;
	row[n++] = '(';
	for (int i = 0; i < np; i++) {
		if (i)
			row[n++] = ',';
		row[n++] = '?';
	}
	row[n++] = ')';
	row[n] = 0;
	char sql[sizeof head + STORE_CHUNK * sizeof row];
	chunk_sql(sql, head, row);
	s->bound_app[mask] = calloc((size_t)(STORE_CHUNK * np), sizeof *s->bound_app[mask]);
	if (!s->bound_app[mask])
		return store_failf(s, STORE_ERROR, "out of memory");
	return store_prepare(s, &s->app_calls[mask], sql);
}

int store_open_flags(const char *path, int flags, int busy_ms, store **out,
                     char *err, size_t errlen)
{
	*out = NULL;
	store *s = calloc(1, sizeof *s);
	if (!s) {
		copy_err(err, errlen, "out of memory");
		return STORE_ERROR;
	}
	snprintf(s->path, sizeof s->path, "%s", path ? path : "");
	s->batch = STORE_BATCH_DEFAULT;
	s->busy_ms = busy_ms > 0 ? busy_ms : STORE_BUSY_MS_DEFAULT;
	s->readonly = flags & STORE_READONLY_OPEN;
	int r = STORE_OK;

	struct stat sb;
	if (!path || !*path) {
		r = store_failf(s, STORE_CANTOPEN, "no database path given");
		goto fail;
	}
	if (stat(path, &sb) == 0) {
		if (S_ISDIR(sb.st_mode)) {
			r = store_failf(s, STORE_CANTOPEN, "is a directory, not a database file");
			goto fail;
		}
	} else if (errno == ENOENT && s->readonly) {
		r = store_failf(s, STORE_CANTOPEN, "no such database file");
		goto fail;
	} else if (errno != ENOENT) {
		r = store_failf(s, STORE_CANTOPEN, "cannot open: %s", strerror(errno));
		goto fail;
	}

	int oflags = s->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	int rc = sqlite3_open_v2(path, &s->db, oflags | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		r = store_fail(s, rc, "opening");
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, s->busy_ms);
	if (!s->readonly && sqlite3_db_readonly(s->db, "main") == 1) {
		r = store_failf(s, STORE_READONLY,
		                "cannot write: the file is read-only (open it for reading with report)");
		goto fail;
	}
	if (s->readonly) {
		r = check_readonly(s);
		if (r == STORE_READONLY && reopen_immutable(s) == STORE_OK)
			r = check_readonly(s);
		if (r)
			goto fail;
		*out = s;
		return STORE_OK;
	}
	/* journal_mode reads the header first, so garbage fails here. */
	int64_t dummy;
	if ((r = store_int(s, "PRAGMA application_id", &dummy, 0)))
		goto fail;
	/* A new database gets 16 KiB pages (SQLite's default is 4 KiB): a call
	 * row is ~110 bytes, so a page holds ~140 of them; fewer, larger pages
	 * cut the page handling and the system time of the WAL writes and
	 * checkpoints (~8% of simulate --db on M/M/c, docs/performance.md).
	 * The size is fixed once the first table exists. */
	int64_t npages;
	if ((r = store_int(s, "PRAGMA page_count", &npages, 0)))
		goto fail;
	if (npages == 0 && (r = store_exec(s, "PRAGMA page_size = 16384", "configuring")))
		goto fail;
	sqlite3_stmt *st;
	rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(st, 0), "wal") != 0)
			rc = SQLITE_READONLY;
		else if (rc == SQLITE_ROW)
			rc = SQLITE_OK;
		sqlite3_finalize(st);
	}
	if (rc != SQLITE_OK) {
		r = store_fail(s, rc, "switching to WAL mode");
		goto fail;
	}
	/* NORMAL in WAL: a commit survives a crash of the process (SIGKILL), and
	 * power loss can only lose the last commits, never corrupt the file.
	 * Foreign keys stay declared (a connection that deletes a run with
	 * foreign_keys ON cascades to its calls and requests) but this
	 * connection does not check them per row: the writer inserts a run's row
	 * before its calls and a call before its requests, and the tests run
	 * foreign_key_check after every kind of write (and kill).  Migrations
	 * need them off too: rebuilding a table must not cascade. */
	/* 4 MB of page cache: the writer appends and rereads only the right
	 * edge of the B-trees; a larger cache only fills with pages it never
	 * reads again (32 MB cost ~5% of simulate --db in page faults).
	 * secure_delete off: Debian builds SQLite with it on, which zeroes the
	 * free space of every new B-tree page (a second 16 KiB memset after the
	 * pager's own) and of every freed cell.  The writer only appends; what
	 * it would zero is never part of a row, so nothing SQL reads changes
	 * (~120 instructions a call on M/M/c, docs/performance.md). */
	if ((r = store_exec(s, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = OFF;"
	                       "PRAGMA cache_size = -4096; PRAGMA temp_store = MEMORY;"
	                       "PRAGMA secure_delete = OFF",
	                    "configuring")))
		goto fail;
	if ((r = migrate(s)))
		goto fail;
	/* The chunk statement: its row STORE_CHUNK times. */
	char chunk[sizeof SQL_CHUNK_COLS + STORE_CHUNK * sizeof SQL_CALL_ROW];
	chunk_sql(chunk, SQL_CHUNK_COLS, SQL_CALL_ROW);
	s->jnames = calloc(PK_JN_SLOTS, sizeof *s->jnames);   /* NULL: no cache */
	s->bound_chunk = calloc(STORE_CHUNK * SQL_CALL_NPARAM, sizeof *s->bound_chunk);
	s->bound_one = calloc(SQL_CALL_NPARAM, sizeof *s->bound_one);
	if (!s->bound_chunk || !s->bound_one) {
		r = store_failf(s, STORE_ERROR, "out of memory");
		goto fail;
	}
	if ((r = app_prepare(s, 0)) ||
	    (r = store_prepare(s, &s->ins_call, SQL_INS_CALL)) ||
	    (r = store_prepare(s, &s->ins_calls, chunk)) ||
	    (r = store_prepare(s, &s->max_call, "SELECT coalesce(max(id), 0) FROM calls")) ||
	    (r = store_prepare(s, &s->ins_req, SQL_INS_REQ)) ||
	    (r = store_prepare(s, &s->ins_iv, SQL_INS_IV)))
		goto fail;
	*out = s;
	return STORE_OK;
fail:
	copy_err(err, errlen, s->err);
	store_close(s);
	return r;
}

int store_close(store *s)
{
	if (!s)
		return STORE_OK;
	int r = STORE_OK;
	if (s->db && s->in_tx)
		r = tx_commit(s);
	sqlite3_finalize(s->ins_call);
	sqlite3_finalize(s->ins_calls);
	for (int m = 0; m < STORE_APP_VARIANTS; m++) {
		sqlite3_finalize(s->app_calls[m]);
		free(s->bound_app[m]);
	}
	sqlite3_finalize(s->max_call);
	sqlite3_finalize(s->ins_req);
	sqlite3_finalize(s->ins_iv);
	if (s->db)
		sqlite3_close_v2(s->db);
	free(s->jnames);
	free(s->bound_chunk);
	free(s->bound_one);
	free(s->names);
	while (s->pool) {
		struct store_pool *b = s->pool;
		s->pool = b->next;
		free(b);
	}
	free(s->rows);
	free(s->ord);
	free(s->ord_tmp);
	free(s->reqs);
	free(s->txt);
	free(s);
	return r;
}

/* ---- writer -------------------------------------------------------------- */

static void bind_text(sqlite3_stmt *st, int i, const char *t)
{
	if (t)
		sqlite3_bind_text(st, i, t, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static int step_reset(store *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, rc, what);
	return STORE_OK;
}

int store_flush(store *s)
{
	return tx_commit(s);
}

int store_run_begin(store *s, const rec_run *run, int64_t *run_id)
{
	if (s->readonly)
		return store_failf(s, STORE_READONLY, "opened read-only");
	int r = tx_commit(s);
	if (r)
		return r;
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(s->db,
		"INSERT INTO runs(mode, flow_path, flow_sha256, scenario, seed, options, started, "
		"sim_start, sim_end, interval_ms, sl_threshold_ms, complete, timezone) "
		"VALUES (?1,?2,?3,?4,?5,?6,strftime('%Y-%m-%d %H:%M:%S','now'),?7,?8,?9,?10,0,?11)",
		-1, &st, NULL);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, "starting a run");
	bind_text(st, 1, run->mode ? run->mode : "unknown");
	bind_text(st, 2, run->flow_path);
	bind_text(st, 3, run->flow_sha256);
	bind_text(st, 4, run->scenario);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)run->seed);
	bind_text(st, 6, run->options);
	sqlite3_bind_int64(st, 7, run->sim_start);
	sqlite3_bind_int64(st, 8, run->sim_end);
	sqlite3_bind_int64(st, 9, run->interval_ms > 0 ? run->interval_ms : 1800000);
	sqlite3_bind_int64(st, 10, run->sl_threshold_ms > 0 ? run->sl_threshold_ms : 20000);
	bind_text(st, 11, run->timezone);
	/* Autocommit: the row is durable before any call of the run exists. */
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, rc, "starting a run");
	*run_id = sqlite3_last_insert_rowid(s->db);
	s->cur_run = *run_id;
	s->cur_calls = 0;
	return STORE_OK;
}

/* ---- the call buffer ----------------------------------------------------
 *
 * store_call() packs a call into a store_row and the text arena; every
 * STORE_CHUNK calls one INSERT of STORE_CHUNK rows writes them (one
 * sqlite3_step instead of STORE_CHUNK: the per-statement work — VDBE start
 * and halt, cursor open and close, record buffer allocation — is paid once
 * per chunk).  A commit first writes what is buffered, one row per step.
 * Nothing is buffered outside a transaction, so the durability invariants
 * above are unchanged: a killed writer loses its open transaction, buffered
 * rows included. */

/* Make room for n more bytes in the arena; false when out of memory. */
static bool txt_room(store *s, size_t n)
{
	if (s->ntxt + n <= s->ctxt)
		return true;
	size_t cap = s->ctxt ? s->ctxt : 16384;
	while (cap < s->ntxt + n)
		cap *= 2;
	char *p = realloc(s->txt, cap);
	if (!p)
		return false;
	s->txt = p;
	s->ctxt = cap;
	return true;
}

static bool reqs_room(store *s, int n)
{
	if (s->nreqs + n <= s->creqs)
		return true;
	int cap = (s->nreqs + n) * 2;
	struct store_rreq *p = realloc(s->reqs, (size_t)cap * sizeof *p);
	if (!p)
		return false;
	s->reqs = p;
	s->creqs = cap;
	return true;
}

/* Packing writes straight into the arena through a cursor w that stays
 * below end - PK_SLACK, where every fixed-size piece (a number, brackets,
 * "null") fits without a check of its own; strings check once per byte.
 * Growing moves the arena, so the row records offsets, not pointers.  No
 * strlen: each string is read once, as it is copied. */
#define PK_SLACK 64

/* Makes the arena hold at least PK_SLACK bytes past w; returns the moved w,
 * or NULL when out of memory. */
static char *pk_grow(store *s, char *w)
{
	size_t off = (size_t)(w - s->txt);
	size_t save = s->ntxt;
	s->ntxt = off;
	bool ok = txt_room(s, 4 * PK_SLACK);
	s->ntxt = save;
	return ok ? s->txt + off : NULL;
}

#define PK_END(s) ((s)->txt + (s)->ctxt - PK_SLACK)
#define PK_ROOM(s, w) do { if ((w) >= PK_END(s) && !((w) = pk_grow((s), (w)))) goto oom; } while (0)

/* Bytes a JSON string cannot hold as they are: controls, '"' and '\\'. */
static const unsigned char pk_esc[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	['"'] = 1, ['\\'] = 1,
};

static char *pk_str_slow(store *s, char *w, const char *t);

/* pk_str_slow with the cache in front. */
static char *pk_name(store *s, char *w, const char *t)
{
	if (!t || !s->jnames)
		return pk_str_slow(s, w, t);
	/* Fibonacci hash of the address, then up to PK_JN_PROBE slots on: the
	 * flow's names sit a few bytes apart, so the address's low bits alone
	 * (64 slots by addr >> 3, no probing) sent 45% of the USCIS lookups to
	 * a slot another name held. */
	uint64_t h = (uint64_t)(uintptr_t)t * 0x9E3779B97F4A7C15ULL;
	size_t i = (size_t)(h >> (64 - __builtin_ctz(PK_JN_SLOTS)));
	struct store_jname *e = NULL;
	for (int k = 0; k < PK_JN_PROBE; k++) {
		struct store_jname *x = &s->jnames[(i + (size_t)k) & (PK_JN_SLOTS - 1)];
		if (x->addr == t) {
			if (strcmp(t, x->src) == 0 && w + sizeof x->json <= s->txt + s->ctxt) {
				memcpy(w, x->json, sizeof x->json);
				return w + x->jlen;
			}
			e = x;          /* other text at this address now */
			break;
		}
		if (!x->addr) {
			e = x;
			break;
		}
	}
	if (!e)                 /* all taken: the home slot changes hands */
		e = &s->jnames[i];
	char *start = w;
	if (!(w = pk_str_slow(s, w, t)))
		return NULL;
	size_t n = strlen(t), jl = (size_t)(w - start);
	if (n < PK_JN_MAX && jl <= PK_JN_MAX) {
		e->addr = t;
		memcpy(e->src, t, n + 1);
		memcpy(e->json, start, jl);
		e->jlen = (uint32_t)jl;
	}
	return w;
}

/* A JSON string; NULL writes "".  The length first (strlen reads a word
 * at a time), then room for the worst case once, so the copy loop is a
 * table test and a store per byte; a byte that needs escaping (rare in
 * names) goes to the slow path. */
static char *pk_str_slow(store *s, char *w, const char *t)
{
	const unsigned char *u = (const unsigned char *)(t ? t : "");
	size_t n = strlen((const char *)u);
	if (w + 6 * n + 2 >= PK_END(s)) {
		size_t o = (size_t)(w - s->txt);
		size_t save = s->ntxt;
		s->ntxt = o;
		bool ok = txt_room(s, 6 * n + 2 + 4 * PK_SLACK);
		s->ntxt = save;
		if (!ok)
			return NULL;
		w = s->txt + o;
	}
	*w++ = '"';
	for (const unsigned char *e = u + n; u < e; u++) {
		unsigned char ch = *u;
		if (!pk_esc[ch]) {
			*w++ = (char)ch;
		} else if (ch == '"' || ch == '\\') {
			*w++ = '\\';
			*w++ = (char)ch;
		} else {
			static const char hx[] = "0123456789abcdef";
			memcpy(w, "\\u00", 4);
			w[4] = hx[ch >> 4];
			w[5] = hx[ch & 15];
			w += 6;
		}
	}
	*w++ = '"';
	return w;
}

/* A string's bytes as they are (a column of its own); the cursor is
 * returned, its offset and length go into *off, *len (NULL: NO_TEXT). */
static char *pk_raw(store *s, char *w, const char *t, uint32_t *off, uint32_t *len)
{
	if (!t) {
		*off = 0;
		*len = NO_TEXT;
		return w;
	}
	size_t n = strlen(t);
	if (w + n >= PK_END(s)) {
		size_t o = (size_t)(w - s->txt);
		size_t save = s->ntxt;
		s->ntxt = o;
		bool ok = txt_room(s, n + 4 * PK_SLACK);
		s->ntxt = save;
		if (!ok)
			return NULL;
		w = s->txt + o;
	}
	memcpy(w, t, n);
	*off = (uint32_t)(w - s->txt);
	*len = (uint32_t)n;
	return w + n;
}

/* Decimal digits of u >= 1: the bit length gives log10 within one
 * (1233 / 4096 ~ log10 2), one table compare settles it.  No loop. */
static inline int pk_ndigits(uint64_t u)
{
	static const uint64_t p10[20] = {
		1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL,
		100000000ULL, 1000000000ULL, 10000000000ULL, 100000000000ULL,
		1000000000000ULL, 10000000000000ULL, 100000000000000ULL,
		1000000000000000ULL, 10000000000000000ULL, 100000000000000000ULL,
		1000000000000000000ULL, 10000000000000000000ULL,
	};
	int t = ((64 - __builtin_clzll(u)) * 1233) >> 12;
	return t + (u >= p10[t]);
}

/* Decimal digits, two at a time from a table, from the last one back:
 * the length is known first (pk_ndigits), and values below 2^32 (nearly
 * all: times relative to the call's arrival) divide in 32 bits. */
static char *pk_int(char *w, int64_t v)
{
	static const char d2[] =
		"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
		"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
		"8081828384858687888990919293949596979899";
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	if (v < 0)
		*w++ = '-';
	if (u < 10) {
		*w++ = (char)('0' + u);
		return w;
	}
	char *e = w + pk_ndigits(u), *p = e;
	while (u > UINT32_MAX) {
		unsigned r = (unsigned)(u % 100);
		u /= 100;
		p -= 2;
		memcpy(p, d2 + 2 * r, 2);
	}
	uint32_t x = (uint32_t)u;
	while (x >= 100) {
		unsigned r = x % 100;
		x /= 100;
		p -= 2;
		memcpy(p, d2 + 2 * r, 2);
	}
	if (x >= 10)
		memcpy(p - 2, d2 + 2 * x, 2);
	else
		p[-1] = (char)('0' + x);
	return e;
}

static void bind_txt(store *s, sqlite3_stmt *st, int i, uint32_t off, uint32_t len)
{
	if (len == NO_TEXT)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s->txt + off, (int)len, SQLITE_STATIC);
}

static void b_null(sqlite3_stmt *st, struct store_bound *b, int i)
{
	if (b->kind == B_NULL)
		return;
	sqlite3_bind_null(st, i);
	b->kind = B_NULL;
}

static void b_int(sqlite3_stmt *st, struct store_bound *b, int i, int64_t v)
{
	if (b->kind == B_INT && b->v == v)
		return;
	sqlite3_bind_int64(st, i, v);
	b->kind = B_INT;
	b->v = v;
}

/* Text field f of row w into parameter i.  Forced inline: eight calls a
 * row, most of which return at the first test, and gcc kept it out of
 * line with a full register save (~150 instructions a call, callgrind). */
static inline __attribute__((always_inline))
void b_txt(store *s, sqlite3_stmt *st, struct store_bound *b, int i,
                  const struct store_row *w, int f)
{
	uint32_t len = w->len[f];
	if (len == NO_TEXT) {
		b_null(st, b, i);
	} else if (w->name[f]) {
		if (b->kind == B_NAME && b->p == w->name[f] && b->len == len)
			return;
		sqlite3_bind_text(st, i, w->name[f], (int)len, SQLITE_STATIC);
		b->kind = B_NAME;
		b->p = w->name[f];
		b->len = len;
	} else {
		/* Text in the arena: the arena does not move or change while
		 * flush_rows binds and steps, so text bound a chunk earlier is
		 * still there to compare with (M/M/c calls repeat their visits);
		 * flush_rows forgets B_ARENA when it empties the arena. */
		const char *t = s->txt + w->off[f];
		if (b->kind == B_ARENA && b->len == len && memcmp(b->p, t, len) == 0)
			return;
		sqlite3_bind_text(st, i, t, (int)len, SQLITE_STATIC);
		b->kind = B_ARENA;
		b->p = t;
		b->len = len;
	}
}

/* ---- kept names ---------------------------------------------------------- */

static uint32_t name_hash(const char *t, uint32_t *len)
{
	uint32_t h = 2166136261u;
	const unsigned char *u = (const unsigned char *)t;
	for (; *u; u++)
		h = (h ^ *u) * 16777619u;
	*len = (uint32_t)(u - (const unsigned char *)t);
	return h;
}

/* The kept copy of name t (column c: 0 line, 1 lang, 2 outcome, 3 final
 * node), or NULL when it is not kept (too long, too many names, no
 * memory): the caller then copies it into the arena as any text.  The
 * copies live until store_close, at most STORE_NAMES of STORE_NAME_MAX. */
static const char *name_keep(store *s, int c, const char *t, uint32_t *len)
{
	if (s->last_name[c] && strcmp(t, s->last_name[c]) == 0) {
		*len = s->last_len[c];
		return s->last_name[c];
	}
	if (!s->names && !(s->names = calloc(2 * STORE_NAMES, sizeof *s->names)))
		return NULL;
	uint32_t n, h = name_hash(t, &n);
	if (n > STORE_NAME_MAX)
		return NULL;
	uint32_t mask = 2 * STORE_NAMES - 1, i = h & mask;
	for (; s->names[i].p; i = (i + 1) & mask)
		if (s->names[i].hash == h && s->names[i].len == n && memcmp(s->names[i].p, t, n) == 0)
			goto found;
	if (s->nnames >= STORE_NAMES)      /* the table stays at most half full */
		return NULL;
	if (!s->pool || s->pool->used + n + 1 > sizeof s->pool->buf) {
		struct store_pool *b = malloc(sizeof *b);
		if (!b)
			return NULL;
		b->next = s->pool;
		b->used = 0;
		s->pool = b;
	}
	char *copy = s->pool->buf + s->pool->used;
	memcpy(copy, t, n + 1);
	s->pool->used += n + 1;
	s->nnames++;
	s->names[i] = (struct store_name){ h, n, copy };
found:
	s->last_name[c] = s->names[i].p;
	s->last_len[c] = n;
	*len = n;
	return s->names[i].p;
}

/* The SQL_CALL_NPARAM parameters of one row, from parameter p on, in the
 * order of SQL_CALL_COLS: id, line, lang, vars, arrival, ended, outcome,
 * final_node, counted, keys, visits, legs.
 *
 * *max is the largest id in calls once the rows before this one are in.
 * A row whose id is *max + 1 gets a NULL id: SQLite then takes the
 * largest rowid plus one, the same id, found from the cursor it already
 * holds at the end of the table, where an explicit id costs a binary
 * search from the root (a third of SQLite's work per call, measured).
 * Sorted rows of a run with no gap in seq are all such appends. */
/* The row's columns but id, from parameter p on, less those mask
 * (APP_NO_*) leaves out; b[j] tracks parameter p + j.  Inlined with a
 * constant mask, the tests fold away. */
static inline __attribute__((always_inline))
void bind_cols(store *s, sqlite3_stmt *st, struct store_bound *b, int p,
               const struct store_row *w, int mask)
{
	int j = 0;
	b_txt(s, st, &b[j], p + j, w, F_LINE), j++;
	b_txt(s, st, &b[j], p + j, w, F_LANG), j++;
	if (!(mask & APP_NO_VARS))
		b_txt(s, st, &b[j], p + j, w, F_VARS), j++;
	b_int(st, &b[j], p + j, w->arrival), j++;
	b_int(st, &b[j], p + j, w->ended), j++;
	b_txt(s, st, &b[j], p + j, w, F_OUTCOME), j++;
	b_txt(s, st, &b[j], p + j, w, F_FINAL), j++;
	b_int(st, &b[j], p + j, w->counted), j++;
	if (!(mask & APP_NO_KEYS))
		b_txt(s, st, &b[j], p + j, w, F_KEYS), j++;
	b_txt(s, st, &b[j], p + j, w, F_VISITS), j++;
	b_txt(s, st, &b[j], p + j, w, F_LEGS);
}

/* A chunk of appends o[0..STORE_CHUNK) into the append statement for mask. */
static inline __attribute__((always_inline))
void bind_app_chunk(store *s, const struct store_ord *o, int mask)
{
	sqlite3_stmt *st = s->app_calls[mask];
	struct store_bound *b = s->bound_app[mask];
	int np = app_nparam(mask);
	for (int k = 0; k < STORE_CHUNK; k++)
		bind_cols(s, st, b + np * k, 1 + np * k, &s->rows[o[k].i], mask);
}

/* The columns every row of the chunk o[0..STORE_CHUNK) can leave to their
 * defaults (APP_NO_*).  A variant that cannot be prepared (out of memory)
 * is not used: the chunk binds every column (mask 0, prepared at open) and
 * the next such chunk tries again. */
static int app_mask(store *s, const struct store_ord *o)
{
	bool no_vars = true, no_keys = true;
	for (int k = 0; k < STORE_CHUNK; k++) {
		const struct store_row *w = &s->rows[o[k].i];
		no_vars &= w->len[F_VARS] == NO_TEXT;
		no_keys &= w->len[F_KEYS] == 2;          /* "[]", the only 2-byte array */
	}
	int mask = (no_vars ? APP_NO_VARS : 0) | (no_keys ? APP_NO_KEYS : 0);
	if (mask && !s->app_calls[mask] && app_prepare(s, mask) != STORE_OK) {
		free(s->bound_app[mask]);
		s->bound_app[mask] = NULL;
		sqlite3_finalize(s->app_calls[mask]);
		s->app_calls[mask] = NULL;
		return 0;
	}
	return mask;
}

static inline __attribute__((always_inline))
void bind_row(store *s, sqlite3_stmt *st, struct store_bound *b, int p,
                     const struct store_row *w, int64_t *max)
{
	int64_t id = STORE_CALL_ID(w->run, w->seq);
	if (*max >= 0 && id == *max + 1)
		b_null(st, &b[0], p);
	else
		b_int(st, &b[0], p, id);
	if (id > *max && *max >= 0)
		*max = id;
	bind_cols(s, st, b + 1, p + 1, w, 0);
}

/* Records a failure in *r and s->err unless an earlier one is there. */
static void first_error(store *s, int *r, int rc, const char *what)
{
	if (*r == STORE_OK) {
		*r = store_fail(s, rc, what);
	} else {
		char keep[sizeof s->err];
		memcpy(keep, s->err, sizeof keep);
		store_fail(s, rc, what);
		memcpy(s->err, keep, sizeof keep);
	}
}

static int ord_cmp(const void *a, const void *b)
{
	const struct store_ord *x = a, *y = b;
	return (x->id > y->id) - (x->id < y->id);
}

/* Sorts o[0..n) by id.  A batch's ids are close together (one run, seq
 * numbers a batch apart plus the longest call), so two counting passes of
 * 11 bits over id - min sort it in linear time; qsort (a merge sort in
 * glibc: ~430 instructions a call here) takes the rest. */
static void ord_sort(struct store_ord *o, struct store_ord *tmp, int n)
{
	int64_t lo = o[0].id, hi = o[0].id;
	for (int i = 1; i < n; i++) {
		if (o[i].id < lo)
			lo = o[i].id;
		if (o[i].id > hi)
			hi = o[i].id;
	}
	if (n < 512 || (uint64_t)(hi - lo) >= (1u << 22)) {
		qsort(o, (size_t)n, sizeof *o, ord_cmp);
		return;
	}
	static const int B = 11, M = (1 << 11) - 1;
	uint32_t c0[1 << 11] = { 0 }, c1[1 << 11] = { 0 };
	for (int i = 0; i < n; i++) {
		uint32_t k = (uint32_t)(o[i].id - lo);
		c0[k & M]++;
		c1[k >> B]++;
	}
	uint32_t a0 = 0, a1 = 0;
	for (int d = 0; d <= M; d++) {
		uint32_t t0 = c0[d], t1 = c1[d];
		c0[d] = a0;
		c1[d] = a1;
		a0 += t0;
		a1 += t1;
	}
	for (int i = 0; i < n; i++)
		tmp[c0[(uint32_t)(o[i].id - lo) & M]++] = o[i];
	for (int i = 0; i < n; i++)
		o[c1[(uint32_t)(tmp[i].id - lo) >> B]++] = tmp[i];
}

/* Whether the STORE_CHUNK sorted ids at o are exactly max + 1, max + 2, ...
 * (each checked: a duplicate seq can leave the first and last in place),
 * so that SQLite's own new rowids are these ids. */
static bool chunk_appends(const struct store_ord *o, int64_t max)
{
	if (max < 0)
		return false;
	for (int k = 0; k < STORE_CHUNK; k++)
		if (o[k].id != max + 1 + k)
			return false;
	return true;
}

/* Writes the buffered calls in id order, then their requests in the order
 * they came (so request ids do not depend on the buffering), and empties
 * the buffer.  Sorted, the rows are appended to the calls B-tree, not
 * scattered over its last pages: each insert finds its place without a
 * search from the root and leaves split full, not half full.  A chunk that
 * fails on a constraint (a duplicate seq) is undone by SQLite as one
 * statement and written again row by row, so only the bad rows are refused;
 * the first error is returned, the rest of the batch goes on.  Any other
 * error (disk full, I/O) is returned at once. */
static int flush_rows(store *s)
{
	int r = STORE_OK, n = s->nrows;
	if (n == 0)
		return STORE_OK;
	struct store_ord *o = s->ord;
	bool sorted = true;
	for (int i = 0; i < n; i++) {
		o[i].id = STORE_CALL_ID(s->rows[i].run, s->rows[i].seq);
		o[i].i = i;
		if (i && o[i].id < o[i - 1].id)
			sorted = false;
	}
	if (!sorted)
		ord_sort(o, s->ord_tmp, n);
	if (s->max_id < 0) {
		int rc = sqlite3_step(s->max_call);
		s->max_id = rc == SQLITE_ROW ? sqlite3_column_int64(s->max_call, 0) : -1;
		sqlite3_reset(s->max_call);
		if (rc != SQLITE_ROW) {
			r = store_fail(s, rc, "writing calls");
			goto out;
		}
	}
	int i = 0;
	for (; i + STORE_CHUNK <= n; i += STORE_CHUNK) {
		sqlite3_stmt *st;
		int64_t max = s->max_id;
		if (chunk_appends(o + i, max)) {
			int mask = app_mask(s, o + i);
			st = s->app_calls[mask];
			switch (mask) {     /* one loop per mask, its tests folded */
			case 0: bind_app_chunk(s, o + i, 0); break;
			case APP_NO_VARS: bind_app_chunk(s, o + i, APP_NO_VARS); break;
			case APP_NO_KEYS: bind_app_chunk(s, o + i, APP_NO_KEYS); break;
			default: bind_app_chunk(s, o + i, APP_NO_VARS | APP_NO_KEYS); break;
			}
			max += STORE_CHUNK;
		} else {
			st = s->ins_calls;
			for (int k = 0; k < STORE_CHUNK; k++)
				bind_row(s, st, s->bound_chunk + SQL_CALL_NPARAM * k,
				         1 + SQL_CALL_NPARAM * k, &s->rows[o[i + k].i], &max);
		}
		int rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc == SQLITE_DONE) {
			s->max_id = max;
			/* the NULL ids above rest on max_id being exact */
			if (sqlite3_last_insert_rowid(s->db) != o[i + STORE_CHUNK - 1].id) {
				r = store_failf(s, STORE_ERROR, "internal error: call %lld stored as %lld",
				                (long long)o[i + STORE_CHUNK - 1].id,
				                (long long)sqlite3_last_insert_rowid(s->db));
				goto out;
			}
			continue;
		}
		if ((rc & 0xff) != SQLITE_CONSTRAINT) {
			r = store_fail(s, rc, "writing calls");
			goto out;
		}
		/* OR FAIL kept the rows before the refused one */
		int done = sqlite3_changes(s->db);
		if (done < 0 || done >= STORE_CHUNK ||
		    (done > 0 && sqlite3_last_insert_rowid(s->db) != o[i + done - 1].id)) {
			r = store_failf(s, STORE_ERROR, "internal error: a refused chunk of calls "
			                "kept %d rows", done);
			goto out;
		}
		i += done;
		s->max_id = -1;     /* explicit ids from here on */
		break;          /* the refused row and the rest one by one */
	}
	for (; i < n; i++) {
		const struct store_row *w = &s->rows[o[i].i];
		sqlite3_stmt *st = s->ins_call;
		int64_t max = s->max_id;
		bind_row(s, st, s->bound_one, 1, w, &max);
		int rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc == SQLITE_DONE) {
			s->max_id = max;
			continue;
		}
		first_error(s, &r, rc, "writing a call");
		if (w->run == s->cur_run)
			s->cur_calls--;
		if ((rc & 0xff) != SQLITE_CONSTRAINT)
			goto out;
	}
	for (int k = 0; k < s->nreqs; k++) {
		const struct store_rreq *q = &s->reqs[k];
		sqlite3_stmt *st = s->ins_req;
		sqlite3_bind_int64(st, 1, q->run);
		sqlite3_bind_int64(st, 2, q->seq);
		sqlite3_bind_int(st, 3, q->n);
		bind_txt(s, st, 4, q->off[0], q->len[0]);
		bind_txt(s, st, 5, q->off[1], q->len[1]);
		sqlite3_bind_int64(st, 6, q->created);
		sqlite3_bind_int64(st, 7, q->due);
		bind_txt(s, st, 8, q->off[2], q->len[2]);
		sqlite3_bind_int64(st, 9, STORE_CALL_ID(q->run, q->seq));
		int rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE) {
			first_error(s, &r, rc, "writing a service request");
			if ((rc & 0xff) != SQLITE_CONSTRAINT)
				goto out;
		}
	}
out:
	/* the arena is about to be reused: what is bound from it is stale */
	for (int k = 0; k < STORE_CHUNK * SQL_CALL_NPARAM; k++)
		if (s->bound_chunk[k].kind == B_ARENA)
			s->bound_chunk[k].kind = B_UNKNOWN;
	for (int m = 0; m < STORE_APP_VARIANTS; m++)
		for (int k = 0; s->bound_app[m] && k < STORE_CHUNK * app_nparam(m); k++)
			if (s->bound_app[m][k].kind == B_ARENA)
				s->bound_app[m][k].kind = B_UNKNOWN;
	for (int k = 0; k < SQL_CALL_NPARAM; k++)
		if (s->bound_one[k].kind == B_ARENA)
			s->bound_one[k].kind = B_UNKNOWN;
	if (r != STORE_OK) {
		s->max_id = -1;     /* a failed statement may have undone more */
		/* an I/O error or a full disk may have rolled the whole
		 * transaction back: the next call must BEGIN again */
		if (s->in_tx && sqlite3_get_autocommit(s->db))
			s->in_tx = false;
	}
	s->nrows = 0;
	s->nreqs = 0;
	s->ntxt = 0;
	return r;
}

/* Room for one more buffered row; false when out of memory. */
static bool rows_room(store *s)
{
	if (s->nrows < s->crows)
		return true;
	int cap = s->crows ? s->crows * 2 : 256;
	if (cap > STORE_BUF_MAX)
		cap = STORE_BUF_MAX;
	struct store_row *p = realloc(s->rows, (size_t)cap * sizeof *p);
	if (!p)
		return false;
	s->rows = p;
	struct store_ord *q = realloc(s->ord, (size_t)cap * sizeof *q);
	if (!q)
		return false;
	s->ord = q;
	q = realloc(s->ord_tmp, (size_t)cap * sizeof *q);
	if (!q)
		return false;
	s->ord_tmp = q;
	s->crows = cap;
	return true;
}

int store_call(store *s, int64_t run_id, const rec_call *c)
{
	int r;
	if (s->readonly)
		return store_failf(s, STORE_READONLY, "opened read-only");
	if (c->seq >= STORE_MAX_SEQ || run_id <= 0 || run_id >= STORE_MAX_RUN)
		return store_failf(s, STORE_ERROR, "call %llu of run %lld: seq must be below 2^32",
		                   (unsigned long long)c->seq, (long long)run_id);
	if ((r = tx_begin(s)))
		return r;
	if (!txt_room(s, 4 * PK_SLACK) || !reqs_room(s, c->nrequests) || !rows_room(s))
		goto oom;
	struct store_row *row = &s->rows[s->nrows];
	row->run = run_id;
	row->seq = (int64_t)c->seq;
	row->arrival = c->arrival;
	row->ended = c->end;
	row->counted = c->counted;
	char *w = s->txt + s->ntxt;
	static const int named[4] = { F_LINE, F_LANG, F_OUTCOME, F_FINAL };
	const char *val[4] = { c->line, c->lang, c->outcome ? c->outcome : "", c->final_node };
	for (int k = 0; k < 4; k++) {
		int f = named[k];
		row->name[f] = val[k] ? name_keep(s, k, val[k], &row->len[f]) : NULL;
		if (!row->name[f] && !(w = pk_raw(s, w, val[k], &row->off[f], &row->len[f])))
			goto oom;
	}
	row->name[F_VARS] = NULL;
	if (!(w = pk_raw(s, w, c->vars, &row->off[F_VARS], &row->len[F_VARS])))
		goto oom;

	const int64_t t0 = c->arrival;
	size_t vis = (size_t)(w - s->txt);
	PK_ROOM(s, w);
	*w++ = '[';
	for (int i = 0; i < c->nvisits; i++) {
		if (i)
			*w++ = ',';
		if (!(w = pk_name(s, w, c->visits[i].node)))
			goto oom;
		PK_ROOM(s, w);
		*w++ = ',';
		w = pk_int(w, c->visits[i].t - t0);
	}
	*w++ = ']';
	size_t keys = (size_t)(w - s->txt);
	*w++ = '[';
	for (int i = 0; i < c->nkeys; i++) {
		PK_ROOM(s, w);
		if (i)
			*w++ = ',';
		*w++ = '"';
		char k = c->keys[i].key;
		if ((unsigned char)k < 0x20 || k == '"' || k == '\\') {
			char one[2] = { k, 0 };
			if (!(w = pk_str_slow(s, w - 1, one)))
				goto oom;
			PK_ROOM(s, w);
		} else {
			*w++ = k;
			*w++ = '"';
		}
		*w++ = ',';
		w = pk_int(w, c->keys[i].t - t0);
	}
	PK_ROOM(s, w);
	*w++ = ']';
	size_t legs = (size_t)(w - s->txt);
	*w++ = '[';
	for (int i = 0; i < c->nlegs; i++) {
		const rec_leg *l = &c->legs[i];
		if (i)
			*w++ = ',';
		*w++ = '[';
		if (!(w = pk_name(s, w, l->queue)))
			goto oom;
		PK_ROOM(s, w);
		*w++ = ',';
		w = pk_int(w, l->tier);
		*w++ = ',';
		PK_ROOM(s, w);
		w = pk_int(w, l->entered - t0);
		*w++ = ',';
		if (l->answered >= 0)
			w = pk_int(w, l->answered - t0);
		else
			memcpy(w, "null", 4), w += 4;
		*w++ = ',';
		PK_ROOM(s, w);
		w = pk_int(w, l->ended - t0);
		*w++ = ',';
		if (l->agent >= 0)
			w = pk_int(w, l->agent);
		else
			memcpy(w, "null", 4), w += 4;
		*w++ = ',';
		if (!(w = pk_name(s, w, l->result)))
			goto oom;
		PK_ROOM(s, w);
		memcpy(w, l->found_free ? ",1]" : ",0]", 3);
		w += 3;
	}
	*w++ = ']';
	size_t end = (size_t)(w - s->txt);
	row->off[F_VISITS] = (uint32_t)vis;
	row->len[F_VISITS] = (uint32_t)(keys - vis);
	row->off[F_KEYS] = (uint32_t)keys;
	row->len[F_KEYS] = (uint32_t)(legs - keys);
	row->off[F_LEGS] = (uint32_t)legs;
	row->len[F_LEGS] = (uint32_t)(end - legs);
	for (int f = F_KEYS; f <= F_LEGS; f++)   /* an empty array: a constant */
		row->name[f] = row->len[f] == 2 ? "[]" : NULL;

	for (int i = 0; i < c->nrequests; i++) {
		const rec_request *q = &c->requests[i];
		struct store_rreq *b = &s->reqs[s->nreqs + i];
		b->run = run_id;
		b->seq = (int64_t)c->seq;
		b->n = i;
		b->created = q->created;
		b->due = q->due;
		if (!(w = pk_raw(s, w, q->type, &b->off[0], &b->len[0])) ||
		    !(w = pk_raw(s, w, q->office, &b->off[1], &b->len[1])) ||
		    !(w = pk_raw(s, w, q->status ? q->status : "open", &b->off[2], &b->len[2])))
			goto oom;
	}
	assert(w <= s->txt + s->ctxt);
	s->ntxt = (size_t)(w - s->txt);
	s->nreqs += c->nrequests;
	s->nrows++;
	if (run_id == s->cur_run)
		s->cur_calls++;
	s->pending++;
	if (s->pending >= s->batch)
		return tx_commit(s);
	if (s->nrows == STORE_BUF_MAX)
		return flush_rows(s);
	return STORE_OK;
oom:
	return store_failf(s, STORE_ERROR, "out of memory packing call %llu",
	                   (unsigned long long)c->seq);
}

int store_interval(store *s, int64_t run_id, const rec_interval *iv)
{
	int r;
	if (s->readonly)
		return store_failf(s, STORE_READONLY, "opened read-only");
	if ((r = tx_begin(s)))
		return r;
	sqlite3_stmt *st = s->ins_iv;
	sqlite3_bind_int64(st, 1, run_id);
	bind_text(st, 2, iv->queue ? iv->queue : "");
	sqlite3_bind_int64(st, 3, iv->start);
	sqlite3_bind_int64(st, 4, iv->length_ms);
	sqlite3_bind_int64(st, 5, iv->offered);
	sqlite3_bind_int64(st, 6, iv->answered);
	sqlite3_bind_int64(st, 7, iv->abandoned);
	sqlite3_bind_int64(st, 8, iv->timed_out);
	sqlite3_bind_int64(st, 9, iv->answered_within);
	sqlite3_bind_int64(st, 10, iv->wait_sum_ms);
	sqlite3_bind_int64(st, 11, iv->wait_max_ms);
	sqlite3_bind_int64(st, 12, iv->handle_sum_ms);
	sqlite3_bind_int(st, 13, iv->agents);
	sqlite3_bind_int64(st, 14, iv->staffed_ms);
	sqlite3_bind_int64(st, 15, iv->busy_ms);
	return step_reset(s, st, "writing an interval");
}

int store_run_finish(store *s, int64_t run_id, bool complete)
{
	int r;
	if (s->readonly)
		return store_failf(s, STORE_READONLY, "opened read-only");
	if ((r = tx_begin(s)))
		return r;
	/* The buffered calls first (they count in calls); a run one of whose
	 * calls was refused is not complete. */
	int fr = flush_rows(s);
	if (fr && !s->in_tx)
		return fr;
	if (fr)
		complete = false;
	sqlite3_stmt *st;
	const char *sql = run_id == s->cur_run
		? "UPDATE runs SET complete = ?2, finished = strftime('%Y-%m-%d %H:%M:%S','now'), "
		  "calls = calls + ?3 WHERE id = ?1"
		: "UPDATE runs SET complete = ?2, finished = strftime('%Y-%m-%d %H:%M:%S','now'), "
		  "calls = (SELECT count(*) FROM calls WHERE id BETWEEN ?1 << 32 AND (?1 << 32) + 4294967295)"
		  " + 0 * ?3 WHERE id = ?1";
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, "finishing a run");
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_int(st, 2, complete);
	sqlite3_bind_int64(st, 3, s->cur_calls);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, rc, "finishing a run");
	if (sqlite3_changes(s->db) != 1)
		return store_failf(s, STORE_NOTFOUND, "no run %lld to finish", (long long)run_id);
	if (run_id == s->cur_run)
		s->cur_calls = 0;
	r = tx_commit(s);
	return fr ? fr : r;
}

/* ---- runs ---------------------------------------------------------------- */

static void col_copy(sqlite3_stmt *st, int i, char *dst, size_t n)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	snprintf(dst, n, "%s", t ? (const char *)t : "");
}

int store_run_get(store *s, int64_t run_id, store_run_info *out)
{
	memset(out, 0, sizeof *out);
	sqlite3_stmt *st;
	const char *sql =
		"SELECT id, mode, flow_path, flow_sha256, scenario, seed, started, finished, "
		"sim_start, sim_end, interval_ms, sl_threshold_ms, complete, "
		"(SELECT count(*) FROM calls WHERE calls.id BETWEEN runs.id << 32 AND (runs.id << 32) + 4294967295)"
		" FROM runs ";
	char q[640];
	snprintf(q, sizeof q, "%s%s", sql, run_id > 0 ? "WHERE id = ?1" : "ORDER BY id DESC LIMIT 1");
	int rc = sqlite3_prepare_v2(s->db, q, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, "reading runs");
	if (run_id > 0)
		sqlite3_bind_int64(st, 1, run_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_finalize(st);
		if (run_id > 0)
			return store_failf(s, STORE_NOTFOUND, "no run %lld in this database",
			                   (long long)run_id);
		return store_failf(s, STORE_NOTFOUND, "the database holds no runs yet");
	}
	if (rc != SQLITE_ROW) {
		int r = store_fail(s, rc, "reading runs");
		sqlite3_finalize(st);
		return r;
	}
	out->id = sqlite3_column_int64(st, 0);
	col_copy(st, 1, out->mode, sizeof out->mode);
	col_copy(st, 2, out->flow_path, sizeof out->flow_path);
	col_copy(st, 3, out->flow_sha256, sizeof out->flow_sha256);
	col_copy(st, 4, out->scenario, sizeof out->scenario);
	out->seed = (uint64_t)sqlite3_column_int64(st, 5);
	col_copy(st, 6, out->started, sizeof out->started);
	col_copy(st, 7, out->finished, sizeof out->finished);
	out->sim_start = sqlite3_column_int64(st, 8);
	out->sim_end = sqlite3_column_int64(st, 9);
	out->interval_ms = sqlite3_column_int64(st, 10);
	out->sl_threshold_ms = sqlite3_column_int64(st, 11);
	out->complete = sqlite3_column_int(st, 12) != 0;
	out->ncalls = sqlite3_column_int64(st, 13);
	sqlite3_finalize(st);
	return STORE_OK;
}

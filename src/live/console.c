/*
 * console.c — a live call in the terminal on libevent (see console.h).
 *
 * Three clocks meet here: libevent's (the real scheduler's "wall" local ms),
 * the call's (wall + offset, so `--at` can place a call at any local time),
 * and the recorded script's (ms since the call's start).  The call only ever
 * sees call time; timers are converted back to wall time when scheduled.
 *
 * Ordering rule that makes recordings replay exactly (console.h): a caller
 * event is stamped t = max(now, last event, last timer fired + 1), and every
 * timer due strictly before t is delivered first, by hand, whatever libevent's
 * dispatch latency.  Timers carry their own `at` as their time, never the
 * moment libevent got round to them.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <sys/stat.h>
#include <event2/event.h>
#include "tierline/console.h"
#include "tierline/call_timers.h"
#include "tierline/sched.h"
#include "tierline/script.h"

/* ---- the terminal -------------------------------------------------------- */

/* The saved terminal mode is the one piece of process-global state: a fatal
 * signal handler has nowhere else to find it.  Only async-signal-safe calls
 * (tcsetattr, signal, raise) touch it from the handler. */
static struct termios saved_tio;
static volatile sig_atomic_t tio_fd = -1;

static void tio_restore(void)
{
	if (tio_fd >= 0) {
		tcsetattr(tio_fd, TCSAFLUSH, &saved_tio);
		tio_fd = -1;
	}
}

static void fatal_handler(int sig)
{
	if (tio_fd >= 0)
		tcsetattr(tio_fd, TCSANOW, &saved_tio);
	signal(sig, SIG_DFL);
	raise(sig);
}

static int tio_raw(int fd)
{
	struct termios t;
	if (tcgetattr(fd, &saved_tio) != 0)
		return -1;
	t = saved_tio;
	/* Keys without Enter and without echo (the console prints what was
	 * heard); ISIG stays so Ctrl-C is SIGINT, a clean hang-up.  Ctrl-Z would
	 * stop us with the terminal raw: it is switched off instead. */
	t.c_lflag &= (tcflag_t) ~(ICANON | ECHO);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
#ifdef VSUSP
	t.c_cc[VSUSP] = _POSIX_VDISABLE;
#endif
	tio_fd = fd;
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGQUIT };
	for (size_t i = 0; i < sizeof fatal / sizeof *fatal; i++)
		signal(fatal[i], fatal_handler);
	if (tcsetattr(fd, TCSAFLUSH, &t) != 0) {
		tio_fd = -1;
		return -1;
	}
	return 0;
}

/* ---- the console --------------------------------------------------------- */

typedef struct rec_line {
	int64_t t;                   /* ms from the start */
	script_step_kind kind;
	char key;
} rec_line;

typedef struct con {
	const flow *f;
	const console_opts *o;
	console_result *r;
	FILE *out;
	struct event_base *base;
	sched *sc;
	call c;
	call_sink sink;
	int line;
	int64_t offset;              /* call time = wall + offset */
	int64_t t0;                  /* call time of the start */
	call_timers tm;
	int64_t last_t;              /* last event delivered */
	int64_t last_timer_t;        /* last timer event delivered (-1) */
	struct event *in_ev;
	bool in_file;             /* keys from a file or /dev/null, not a pipe or tty */
	/* While the keys of one read are handled: the call time of that read.
	 * They arrived together, so they are stamped together ("press 23
	 * every 0ms"), not by when each one's turn came (under load the
	 * second key of a burst was stamped 4 ms after the first). */
	bool in_chunk;
	int64_t chunk_t;
	struct event *sig_ev[3];
	bool eof;
	bool ended;
	sched_id auto_hangup, patience;
	int nlegs;
	bool in_agent_key;
	bool agent_ignored;
	/* recording */
	rec_line *recs; int nrecs, caprecs;
	int *visits; int nvisits, capvisits;     /* distinct nodes, first-visit order */
	bool *seen;
	bool *queued;
	int *offices; int noffices_seen, capoffices;
	int64_t last_line_t;         /* last recorded line, ms from start */
} con;

static int64_t wall_now(con *k) { return sched_now(k->sc); }
static int64_t call_now(con *k) { return wall_now(k) + k->offset; }

static void say(con *k, int64_t t, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(con *k, int64_t t, const char *fmt, ...)
{
	int64_t d = t - k->t0;
	if (d < 0)
		d = 0;
	fprintf(k->out, "[%02lld:%02lld.%lld] ", (long long)(d / 60000), (long long)(d / 1000 % 60),
	        (long long)(d / 100 % 10));
	va_list ap;
	va_start(ap, fmt);
	vfprintf(k->out, fmt, ap);
	va_end(ap);
	fputc('\n', k->out);
	fflush(k->out);
}

static void note(con *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(con *k, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(k->out, fmt, ap);
	va_end(ap);
	fputc('\n', k->out);
	fflush(k->out);
}

static const char *node_nm(const flow *f, int n)
{
	return n >= 0 && n < f->nnodes ? f->nodes[n].name : flow_target_name(f, n);
}

static const char *queue_nm(const flow *f, int q)
{
	return q >= 0 && q < f->nqueues ? node_nm(f, f->queue_nodes[q]) : "?";
}

static const char *prompt_text(const flow *f, int p, int lang)
{
	if (p < 0 || p >= f->nprompts)
		return NULL;
	const flow_prompt *fp = &f->prompts[p];
	if (lang >= 0 && lang < FLOW_MAX_LANGS && fp->text[lang])
		return fp->text[lang];
	for (int l = 0; l < f->nlangs && l < FLOW_MAX_LANGS; l++)
		if (fp->text[l])
			return fp->text[l];
	return NULL;
}

static void *grow(void *p, int *cap, int n, size_t size)
{
	if (n < *cap)
		return p;
	int nc = *cap ? *cap * 2 : 16;
	void *q = realloc(p, (size_t)nc * size);
	if (!q)
		abort();
	*cap = nc;
	return q;
}

static void record(con *k, int64_t t, script_step_kind kind, char key)
{
	if (!k->o->record)
		return;
	k->recs = grow(k->recs, &k->caprecs, k->nrecs, sizeof *k->recs);
	rec_line *l = &k->recs[k->nrecs++];
	l->t = t - k->t0;
	l->kind = kind;
	l->key = key;
	k->last_line_t = l->t;
}

/* ---- delivering events --------------------------------------------------- */

static void deliver(con *k, const call_event *ev)
{
	if (ev->t > k->last_t)
		k->last_t = ev->t;
	call_handle(&k->c, ev, &k->sink);
}

static void fire_timer(con *k, int slot)
{
	call_timer *tm = &k->tm.tm[slot];
	tm->armed = false;
	tm->id = 0;
	int64_t at = tm->at < k->last_t ? k->last_t : tm->at;
	k->last_timer_t = at;
	call_event ev = call_ev_timer(at, slot, tm->gen);
	deliver(k, &ev);
}

static void timer_cb(sched *s, int64_t now, void *ctx, uint64_t arg)
{
	con *k = ctx;
	int slot = call_timer_arg_slot(arg);
	if (slot < 0 || slot >= CALL_NTIMERS)
		return;
	call_timer *tm = &k->tm.tm[slot];
	if (!tm->armed || tm->gen != call_timer_arg_gen(arg) || call_ended(&k->c))
		return;
	tm->id = 0;              /* fired: nothing to cancel */
	fire_timer(k, slot);
}

/* Deliver, in (at, arming) order, every armed timer due strictly before t. */
static void flush_timers(con *k, int64_t t)
{
	for (;;) {
		int best = call_timers_next_due(&k->tm, t);
		if (best < 0 || call_ended(&k->c))
			return;
		if (k->tm.tm[best].id)
			sched_cancel(k->sc, k->tm.tm[best].id);
		fire_timer(k, best);
	}
}

/* A caller (or agent) event from the keyboard: stamp it, flush due timers. */
static int64_t stamp(con *k)
{
	int64_t t = k->in_chunk ? k->chunk_t : call_now(k);
	if (t < k->last_t)
		t = k->last_t;
	if (k->last_timer_t >= 0 && t <= k->last_timer_t)
		t = k->last_timer_t + 1;
	flush_timers(k, t);
	return t;
}

static void hangup_cb(sched *s, int64_t now, void *ctx, uint64_t arg)
{
	con *k = ctx;
	if (arg == 1)
		k->patience = 0;
	else
		k->auto_hangup = 0;
	if (call_ended(&k->c))
		return;
	/* Not a line of the script: replay's own rules hang up at the same
	 * moment (the later of the queue entry and the last line, or one hour
	 * after the last line). */
	int64_t t = arg == 1 ? k->t0 + k->last_line_t + 3600000 : k->last_t;
	if (t < k->last_t)
		t = k->last_t;
	flush_timers(k, t);
	say(k, t, "the caller hangs up (%s)", arg == 1 ? "an hour after the last key" :
	    "no more keys, and nothing will answer");
	call_event ev = call_ev(CALL_EV_HANGUP, t);
	deliver(k, &ev);
}

/* After the input ended, a call that can only wait forever is hung up, as
 * replay does (call-script.md). */
static void check_stuck(con *k)
{
	if (!k->eof || k->auto_hangup || call_ended(&k->c))
		return;
	bool stuck = k->c.state == CALL_TALKING;
	if (k->c.state == CALL_QUEUED) {
		int qn = k->c.queue >= 0 && k->c.queue < k->f->nqueues ? k->f->queue_nodes[k->c.queue] : -1;
		stuck = qn >= 0 && k->f->nodes[qn].u.queue.max_wait_ms == 0;
	}
	if (stuck)
		k->auto_hangup = sched_at(k->sc, wall_now(k), hangup_cb, k, 0);
}

/* ---- what the caller sees ----------------------------------------------- */

static void on_action(void *ctx, const call *c, const call_action *a)
{
	con *k = ctx;
	const flow *f = k->f;
	switch (a->kind) {
	case CALL_ACT_START: {
		const flow_line *ln = &f->lines[a->line];
		say(k, a->t, "☎ call to %s (%s), language %s", ln->name, ln->number ? ln->number : "",
		    a->lang >= 0 && a->lang < f->nlangs ? f->langs[a->lang] : "?");
		break;
	}
	case CALL_ACT_VISIT:
		if (a->node >= 0 && a->node < f->nnodes && !k->seen[a->node]) {
			k->seen[a->node] = true;
			k->visits = grow(k->visits, &k->capvisits, k->nvisits, sizeof *k->visits);
			k->visits[k->nvisits++] = a->node;
		}
		say(k, a->t, "→ %s (%s)", node_nm(f, a->node),
		    a->node >= 0 && a->node < f->nnodes ? flow_kind_name(f->nodes[a->node].kind) : "?");
		break;
	case CALL_ACT_PLAY: {
		const char *txt = prompt_text(f, a->prompt, a->lang);
		if (txt)
			say(k, a->t, "▶ %s: \"%s\"", f->prompts[a->prompt].id, txt);
		else
			say(k, a->t, "▶ %s", a->prompt >= 0 && a->prompt < f->nprompts ? f->prompts[a->prompt].id : "?");
		break;
	}
	case CALL_ACT_STOP_PROMPT:
		say(k, a->t, "■ prompt cut off by the key");
		break;
	case CALL_ACT_LISTEN:
		say(k, a->t, "… listening (%u.%us to press a key)", a->ms / 1000, a->ms / 100 % 10);
		break;
	case CALL_ACT_KEY:
		say(k, a->t, "⌨ %c", a->key);
		break;
	case CALL_ACT_KEY_IGNORED:
		say(k, a->t, "⌨ %c (not listening: ignored)", a->key);
		break;
	case CALL_ACT_MISS:
		say(k, a->t, "✗ %s (%d)", a->miss ? "no match" : "no input", a->count);
		break;
	case CALL_ACT_FAILURE:
		say(k, a->t, "✗ out of tries at %s", node_nm(f, a->node));
		break;
	case CALL_ACT_OPTION:
		say(k, a->t, "✓ option %s → %s", a->str ? a->str : "", node_nm(f, a->target));
		break;
	case CALL_ACT_INPUT_DONE:
		say(k, a->t, "✓ entered %s", a->str ? a->str : "");
		break;
	case CALL_ACT_SET_VAR:
		say(k, a->t, "  %s = \"%s\"", a->var >= 0 && a->var < f->nvars ? f->vars[a->var] : "?",
		    a->str ? a->str : "");
		break;
	case CALL_ACT_TIMER:
		call_timers_arm(&k->tm, k->sc, a->slot, a->at, a->gen, a->at - k->offset, timer_cb, k);
		break;
	case CALL_ACT_CANCEL:
		call_timers_cancel(&k->tm, k->sc, a->slot);
		break;
	case CALL_ACT_ENQUEUE:
		if (a->queue >= 0 && a->queue < f->nqueues)
			k->queued[a->queue] = true;
		say(k, a->t, "⏳ queued at %s (position 1): no agents in console mode — "
		    "press a to answer as the agent, s to ask for a supervisor, h to hang up",
		    queue_nm(f, a->queue));
		check_stuck(k);
		break;
	case CALL_ACT_ANSWERED:
		say(k, a->t, "☎ agent answered at %s — you are the agent: r resolved, e escalate, "
		    "s supervisor, q service request, h caller hangs up", queue_nm(f, a->queue));
		check_stuck(k);
		break;
	case CALL_ACT_LEG_END:
		say(k, a->t, "  left %s (%s)", queue_nm(f, a->queue), call_leg_result_name(a->leg));
		break;
	case CALL_ACT_ANNOUNCE: {
		const char *txt = prompt_text(f, a->prompt, a->lang);
		if (txt)
			say(k, a->t, "▶ %s: \"%s\" (you are caller 1)", f->prompts[a->prompt].id, txt);
		else
			say(k, a->t, "▶ you are caller 1 in the queue");
		break;
	}
	case CALL_ACT_REQUEST: {
		const flow_office *o = a->office >= 0 && a->office < f->noffices ? &f->offices[a->office] : NULL;
		if (o) {
			k->offices = grow(k->offices, &k->capoffices, k->noffices_seen, sizeof *k->offices);
			k->offices[k->noffices_seen++] = a->office;
		}
		if (a->referred)
			say(k, a->t, "☞ referred to %s%s%s: %s", o ? o->name : "?", o && o->title ? ", " : "",
			    o && o->title ? o->title : "", o && o->refer ? o->refer : "");
		else
			say(k, a->t, "✉ service request filed with %s%s%s, due in %lld days", o ? o->name : "(none)",
			    o && o->title ? ", " : "", o && o->title ? o->title : "",
			    (long long)((a->at - a->t) / UTIL_MS_PER_DAY));
		break;
	}
	case CALL_ACT_CLOSED:
		say(k, a->t, "☾ closed now (outside its hours) → %s", node_nm(f, a->target));
		break;
	case CALL_ACT_IGNORED:
		if (k->in_agent_key)
			k->agent_ignored = true;
		say(k, a->t, "  (ignored: %s)", a->str ? a->str : "");
		break;
	case CALL_ACT_END:
		k->ended = true;
		k->r->outcome = a->outcome;
		say(k, a->t, "■ call ended: %s", call_outcome_name(a->outcome));
		call_timers_cancel_all(&k->tm, k->sc);
		sched_stop(k->sc);
		break;
	default:
		break;
	}
	(void)c;
}

/* ---- keys ---------------------------------------------------------------- */

static void caller_hangup(con *k, const char *why)
{
	if (call_ended(&k->c))
		return;
	int64_t t = stamp(k);
	if (call_ended(&k->c))
		return;
	say(k, t, "the caller hangs up%s%s", why ? " " : "", why ? why : "");
	record(k, t, SCRIPT_HANGUP, 0);
	call_event ev = call_ev(CALL_EV_HANGUP, t);
	deliver(k, &ev);
}

static bool agent_key_ok(const call *c, script_step_kind kind)
{
	switch (kind) {
	case SCRIPT_ANSWER: return c->state == CALL_QUEUED;
	case SCRIPT_SUPERVISOR: return c->state == CALL_QUEUED || c->state == CALL_TALKING;
	default: return c->state == CALL_TALKING;
	}
}

static void agent_key(con *k, script_step_kind kind)
{
	call *c = &k->c;
	call_event ev;
	/* Timers due before now go first: they may have moved the call. */
	int64_t t = stamp(k);
	if (call_ended(c))
		return;
	if (!agent_key_ok(c, kind)) {
		note(k, "  (%s: %s)", script_step_name(kind),
		     kind == SCRIPT_ANSWER ? "no call is waiting in a queue" :
		     kind == SCRIPT_SUPERVISOR ? "the call is not in a queue" :
		     "no agent is talking: press a to answer first");
		return;
	}
	if (kind == SCRIPT_ANSWER)
		ev = call_ev_answer(t, k->nlegs++);
	else if (kind == SCRIPT_SUPERVISOR && c->state == CALL_QUEUED)
		ev = call_ev(CALL_EV_ASK_SUPERVISOR, t);
	else
		ev = call_ev_done(t, kind == SCRIPT_RESOLVED ? CALL_AGENT_RESOLVED :
		                     kind == SCRIPT_ESCALATE ? CALL_AGENT_ESCALATE :
		                     kind == SCRIPT_SUPERVISOR ? CALL_AGENT_SUPERVISOR :
		                     CALL_AGENT_REQUEST);
	say(k, t, "agent: %s", script_step_name(kind));
	record(k, t, kind, 0);
	int before = k->nrecs;
	k->in_agent_key = true;
	k->agent_ignored = false;
	deliver(k, &ev);
	k->in_agent_key = false;
	/* An agent line the call ignores would be a failed expectation on
	 * replay: it did nothing here, so it is not recorded. */
	if (k->agent_ignored && k->o->record && before == k->nrecs)
		k->nrecs--;
}

static void on_char(con *k, char ch)
{
	if (call_ended(&k->c))
		return;
	if (flow_is_dtmf(ch)) {
		int64_t t = stamp(k);
		if (call_ended(&k->c))
			return;
		record(k, t, SCRIPT_PRESS, ch);
		call_event ev = call_ev_key(t, ch);
		deliver(k, &ev);
		return;
	}
	switch (ch) {
	case 'a': agent_key(k, SCRIPT_ANSWER); break;
	case 'r': agent_key(k, SCRIPT_RESOLVED); break;
	case 'e': agent_key(k, SCRIPT_ESCALATE); break;
	case 's': agent_key(k, SCRIPT_SUPERVISOR); break;
	case 'q': agent_key(k, SCRIPT_REQUEST); break;
	case 'h':
	case 4:                      /* Ctrl-D in raw mode */
		caller_hangup(k, NULL);
		break;
	case '?':
		console_help(k->out);
		break;
	case '\n': case '\r': case ' ': case '\t':
		break;
	default:
		if ((unsigned char)ch >= 0x20 && (unsigned char)ch < 0x7f)
			note(k, "  ('%c' is not a key: ? for help)", ch);
		break;
	}
}

static void input_cb(evutil_socket_t fd, short what, void *ctx)
{
	con *k = ctx;
	char b[256];
	ssize_t n = read(k->o->in_fd, b, sizeof b);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		/* End of input: the caller presses nothing more and the call runs
		 * on until it ends by itself (docs/console.md). */
		k->eof = true;
		event_del(k->in_ev);
		if (!call_ended(&k->c)) {
			bool waiting = k->c.state == CALL_TALKING;
			if (k->c.state == CALL_QUEUED) {
				int qn = k->f->queue_nodes[k->c.queue];
				waiting = k->f->nodes[qn].u.queue.max_wait_ms == 0;
			}
			if (waiting)
				caller_hangup(k, "(end of input, nothing will answer)");
			else
				k->patience = sched_at(k->sc, k->t0 + k->last_line_t + 3600000 - k->offset,
				                       hangup_cb, k, 1);
		}
		return;
	}
	k->in_chunk = true;
	k->chunk_t = call_now(k);
	for (ssize_t i = 0; i < n && !call_ended(&k->c); i++)
		on_char(k, b[i]);
	k->in_chunk = false;
	/* A file is always readable: read its next chunk on the loop's next
	 * turn, as a pipe's would be if the writer had sent it all at once. */
	if (k->in_file && !call_ended(&k->c))
		event_active(k->in_ev, EV_READ, 0);
}

/* Keys from a regular file (`call FLOW < keys.txt`) or a character device
 * that is not a terminal (/dev/null): epoll refuses to watch either (EPERM,
 * and libevent says so on stderr), and they need no watching. */
static bool input_is_file(int fd)
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		return false;
	return S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) || (S_ISCHR(st.st_mode) && !isatty(fd));
}

static void signal_cb(evutil_socket_t sig, short what, void *ctx)
{
	con *k = ctx;
	fputc('\n', k->out);
	if (call_ended(&k->c))
		sched_stop(k->sc);
	else
		caller_hangup(k, sig == SIGINT ? "(Ctrl-C)" : "(signal)");
}

void console_help(FILE *out)
{
	fputs("keys:\n"
	      "  0-9 * # A B C D   DTMF keys (the caller)\n"
	      "  a                 answer the waiting call (you are the agent: console mode has none)\n"
	      "  r                 agent: resolved\n"
	      "  e                 agent: escalate to the queue's escalate target\n"
	      "  s                 supervisor: while waiting, the caller asks for one;\n"
	      "                    while talking, the agent sends the call to one\n"
	      "  q                 agent: file a service request\n"
	      "  h  (or Ctrl-D, Ctrl-C)  the caller hangs up\n"
	      "  ?                 this help\n", out);
}

/* ---- the script ---------------------------------------------------------- */

static void build_script(con *k)
{
	const flow *f = k->f;
	script *s = script_new(k->o->record_path, f->lines[k->line].name, k->t0, true);
	if (k->o->lang)
		script_set_lang(s, k->o->lang);
	for (int i = 0; i < k->nrecs;) {
		const rec_line *l = &k->recs[i];
		if (l->kind != SCRIPT_PRESS) {
			script_add_step(s, l->kind, l->t);
			i++;
			continue;
		}
		/* A press burst: keys back to back at one steady gap (at most 1s),
		 * written as one `press ... every`. */
		script_step *st = script_add_step(s, SCRIPT_PRESS, l->t);
		st->keys[0] = l->key;
		st->nkeys = 1;
		int64_t gap = -1;
		int j = i + 1;
		while (j < k->nrecs && k->recs[j].kind == SCRIPT_PRESS && st->nkeys < SCRIPT_MAX_KEYS) {
			int64_t g = k->recs[j].t - k->recs[j - 1].t;
			if (g > 1000 || (gap >= 0 && g != gap))
				break;
			gap = g;
			st->keys[st->nkeys++] = k->recs[j].key;
			j++;
		}
		st->keys[st->nkeys] = '\0';
		st->every_ms = gap >= 0 ? (uint32_t)gap : SCRIPT_KEY_GAP_MS;
		i = j;
	}
	script_add_expect(s, SCRIPT_EXP_OUTCOME, call_outcome_name(k->r->outcome), NULL);
	for (int i = 0; i < k->nvisits; i++)
		script_add_expect(s, SCRIPT_EXP_VISIT, f->nodes[k->visits[i]].name, NULL);
	for (int q = 0; q < f->nqueues; q++)
		if (k->queued[q])
			script_add_expect(s, SCRIPT_EXP_QUEUE, queue_nm(f, q), NULL);
	for (int i = 0; i < k->noffices_seen; i++) {
		bool dup = false;
		for (int j = 0; j < i; j++)
			dup |= k->offices[j] == k->offices[i];
		if (!dup)
			script_add_expect(s, SCRIPT_EXP_OFFICE, f->offices[k->offices[i]].name, NULL);
	}
	buf_printf(&k->r->script, "# recorded by `tierline call` on %s\n", f->path ? f->path : "?");
	script_write(s, &k->r->script);
	script_free(s);
}

/* ---- the run ------------------------------------------------------------- */

static int find_line(const flow *f, const char *name)
{
	for (int i = 0; i < f->nlines; i++)
		if (strcmp(f->lines[i].name, name) == 0)
			return i;
	return -1;
}

int console_run(const flow *f, const console_opts *o, console_result *r, char *err, size_t errlen)
{
	memset(r, 0, sizeof *r);
	buf_init(&r->script);
	if (f->nlines == 0) {
		snprintf(err, errlen, "the flow has no line to call");
		return 2;
	}
	int line = o->line ? find_line(f, o->line) : find_line(f, "main");
	if (line < 0 && !o->line)
		line = 0;
	if (line < 0) {
		const char **c = calloc((size_t)(f->nlines > 0 ? f->nlines : 1), sizeof *c);
		if (!c)
			abort();
		for (int i = 0; i < f->nlines; i++)
			c[i] = f->lines[i].name;
		const char *sug = diag_suggest(o->line, c, f->nlines);
		free(c);
		if (sug)
			snprintf(err, errlen, "unknown line '%s' (did you mean '%s'?)", o->line, sug);
		else
			snprintf(err, errlen, "unknown line '%s'", o->line);
		return 2;
	}
	int lang = -1;
	if (o->lang) {
		for (int i = 0; i < f->nlangs; i++)
			if (strcmp(f->langs[i], o->lang) == 0)
				lang = i;
		if (lang < 0) {
			const char *sug = diag_suggest(o->lang, (const char *const *)f->langs, f->nlangs);
			if (sug)
				snprintf(err, errlen, "unknown language '%s' (did you mean '%s'?)", o->lang, sug);
			else
				snprintf(err, errlen, "unknown language '%s' (the flow has %d)", o->lang, f->nlangs);
			return 2;
		}
	}

	con k;
	memset(&k, 0, sizeof k);
	k.f = f;
	k.o = o;
	k.r = r;
	k.out = o->out ? o->out : stdout;
	k.line = line;
	k.last_timer_t = -1;
	k.seen = calloc((size_t)(f->nnodes > 0 ? f->nnodes : 0) + 1, sizeof *k.seen);
	k.queued = calloc((size_t)(f->nqueues > 0 ? f->nqueues : 0) + 1, sizeof *k.queued);
	if (!k.seen || !k.queued)
		abort();
	int rc = 2;
	k.base = event_base_new();
	if (!k.base) {
		snprintf(err, errlen, "libevent: cannot create an event base");
		goto out;
	}
	k.sc = sched_real_new(k.base, f->timezone ? f->timezone : "UTC");
	if (!k.sc) {
		snprintf(err, errlen, "cannot start the real-time clock");
		goto out;
	}
	int64_t wall = wall_now(&k);
	/* The call starts on a whole second, so the recorded `at` is exact. */
	k.t0 = o->has_at ? o->at : wall - ((wall % 1000) + 1000) % 1000;
	k.offset = k.t0 - wall;
	k.last_t = k.t0;
	k.sink.fn = on_action;
	k.sink.ctx = &k;

	k.in_file = input_is_file(o->in_fd);
	if (k.in_file)
		k.in_ev = event_new(k.base, -1, 0, input_cb, &k);
	else
		k.in_ev = event_new(k.base, o->in_fd, EV_READ | EV_PERSIST, input_cb, &k);
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	for (int i = 0; i < 3; i++) {
		k.sig_ev[i] = evsignal_new(k.base, sigs[i], signal_cb, &k);
		if (k.sig_ev[i])
			event_add(k.sig_ev[i], NULL);
	}
	if (k.in_ev && k.in_file) {
		event_active(k.in_ev, EV_READ, 0);
	} else if (k.in_ev && event_add(k.in_ev, NULL) != 0) {
		event_free(k.in_ev);
		k.in_ev = NULL;
	}
	if (!k.in_ev) {
		snprintf(err, errlen, "cannot watch the input for keys");
		goto out;
	}
	if (o->raw && tio_raw(o->in_fd) != 0) {
		snprintf(err, errlen, "cannot put the terminal in raw mode: %s", strerror(errno));
		goto out;
	}
	char when[32];
	util_fmt_local(k.t0, false, when, sizeof when);
	note(&k, "tierline call: flow %s, line %s, %s local time (%s). Keys 0-9 * # A-D; "
	     "a/r/e/s/q act as the agent, h hangs up, ? for help.",
	     f->name ? f->name : "?", f->lines[line].name, when,
	     f->timezone ? f->timezone : "UTC");

	call_init(&k.c, f, 1, line, lang);
	call_event ev = call_ev(CALL_EV_PLACED, k.t0);
	deliver(&k, &ev);
	if (!call_ended(&k.c))
		sched_run(k.sc, SCHED_FOREVER);
	tio_restore();
	if (!call_ended(&k.c)) {
		/* The loop stopped without the call ending (cannot normally
		 * happen): hang up so the outcome is defined. */
		call_event h = call_ev(CALL_EV_HANGUP, k.last_t);
		deliver(&k, &h);
	}
	r->outcome = k.c.outcome;
	if (o->record)
		build_script(&k);
	rc = 0;
out:
	tio_restore();
	if (k.in_ev)
		event_free(k.in_ev);
	for (int i = 0; i < 3; i++)
		if (k.sig_ev[i])
			event_free(k.sig_ev[i]);
	sched_destroy(k.sc);
	if (k.base)
		event_base_free(k.base);
	free(k.seen);
	free(k.queued);
	free(k.recs);
	free(k.visits);
	free(k.offices);
	return rc;
}

void console_result_free(console_result *r)
{
	buf_free(&r->script);
}

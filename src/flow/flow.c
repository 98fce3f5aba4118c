/*
 * flow.c — loading a flow and reading it: lookups, hours, offices, prompt
 * durations, names, edges.  The parser is parse.c, the checks check.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include "flow_int.h"

/* ---- strmap -------------------------------------------------------------- */
static uint32_t hash_str(const char *s)
{
	uint32_t h = 2166136261u;   /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

int strmap_get(const strmap *m, const char *key)
{
	if (!m->cap)
		return -1;
	uint32_t mask = m->cap - 1;
	for (uint32_t i = hash_str(key) & mask;; i = (i + 1) & mask) {
		if (!m->keys[i])
			return -1;
		if (strcmp(m->keys[i], key) == 0)
			return m->vals[i];
	}
}

static void strmap_grow(strmap *m, arena *a)
{
	/* The old table stays in the arena: at most as much again as the
	 * final one, and freed with the flow. */
	uint32_t cap = m->cap ? m->cap * 2 : 16;
	const char **keys = arena_alloc(a, sizeof(char *) * cap);
	int *vals = arena_alloc(a, sizeof(int) * cap);
	if (!keys || !vals)
		abort();
	for (uint32_t i = 0; i < m->cap; i++) {
		if (!m->keys[i])
			continue;
		uint32_t j = hash_str(m->keys[i]) & (cap - 1);
		while (keys[j])
			j = (j + 1) & (cap - 1);
		keys[j] = m->keys[i];
		vals[j] = m->vals[i];
	}
	m->keys = keys;
	m->vals = vals;
	m->cap = cap;
}

int strmap_put(strmap *m, arena *a, const char *key, int val)
{
	int old = strmap_get(m, key);
	if (old >= 0)
		return old;
	if ((m->n + 1) * 4 > m->cap * 3)
		strmap_grow(m, a);
	uint32_t mask = m->cap - 1;
	uint32_t i = hash_str(key) & mask;
	while (m->keys[i])
		i = (i + 1) & mask;
	m->keys[i] = key;
	m->vals[i] = val;
	m->n++;
	return -1;
}

/* ---- paths --------------------------------------------------------------- */
const char *flow_path_dir(arena *a, const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return "";
	if (slash == path)
		return "/";
	return arena_strndup(a, path, (size_t)(slash - path));
}

const char *flow_path_join(arena *a, const char *dir, const char *rel)
{
	if (rel[0] == '/' || !dir[0])
		return arena_strdup(a, rel);
	size_t dl = strlen(dir), rl = strlen(rel);
	char *s = arena_alloc(a, dl + rl + 2);
	if (!s)
		abort();
	memcpy(s, dir, dl);
	size_t k = dl;
	if (s[k - 1] != '/')
		s[k++] = '/';
	memcpy(s + k, rel, rl + 1);
	return s;
}

/* ---- load ---------------------------------------------------------------- */
static int load(const char *path, const char *text, size_t len, flow **out, diag_list *dl)
{
	*out = NULL;
	flow *f = calloc(1, sizeof *f);
	if (!f)
		abort();
	arena_init(&f->mem);
	int errors0 = dl->nerrors;
	flow_parse(f, path, text, len, dl);
	if (dl->nerrors == errors0) {
		flow_load_prompts(f, dl);
		flow_check(f, dl, true);
	}
	if (dl->nerrors > errors0) {
		flow_free(f);
		return 1;
	}
	*out = f;
	return 0;
}

int flow_load(const char *path, flow **out, diag_list *dl)
{
	char *text = NULL;
	size_t len = 0;
	*out = NULL;
	if (util_read_file(path, &text, &len) != 0) {
		diag_add(dl, DIAG_ERROR, path, 0, 0, "unreadable", "cannot read '%s': %s",
		         path, strerror(errno));
		return 2;
	}
	int r = load(path, text, len, out, dl);
	free(text);
	return r;
}

int flow_load_string(const char *path, const char *text, size_t len, flow **out,
                     diag_list *dl)
{
	return load(path, text, len, out, dl);
}

void flow_free(flow *f)
{
	if (!f)
		return;
	arena_free(&f->mem);
	free(f);
}

/* ---- lookups ------------------------------------------------------------- */
int flow_find_node(const flow *f, const char *name)
{
	return f->index ? strmap_get(&f->index->nodes, name) : -1;
}

int flow_find_line(const flow *f, const char *name)
{
	return f->index ? strmap_get(&f->index->lines, name) : -1;
}

int flow_find_queue(const flow *f, const char *name)
{
	int n = flow_find_node(f, name);
	return n >= 0 && f->nodes[n].kind == FLOW_QUEUE ? f->nodes[n].u.queue.index : -1;
}

int flow_find_office(const flow *f, const char *name)
{
	return f->index ? strmap_get(&f->index->offices, name) : -1;
}

int flow_find_prompt(const flow *f, const char *id)
{
	return f->index ? strmap_get(&f->index->prompts, id) : -1;
}

int flow_find_var(const flow *f, const char *name)
{
	return f->index ? strmap_get(&f->index->vars, name) : -1;
}

int flow_find_hours(const flow *f, const char *name)
{
	return f->index ? strmap_get(&f->index->hours, name) : -1;
}

int flow_find_lang(const flow *f, const char *code)
{
	for (int i = 0; i < f->nlangs; i++)
		if (strcmp(f->langs[i], code) == 0)
			return i;
	return -1;
}

/* ---- hours, offices, prompts --------------------------------------------- */
/* Days since 1970-01-01 the fast path of flow_hours_open covers (to the
 * year 7711): there every quantity below fits 32 unsigned bits, where
 * divisions by constants are a multiply and a shift. */
#define HOURS_FAST_DAYS ((uint32_t)FLOW_HOURS_BITS_DAYS)

/* Days since 1970-01-01 as YYYYMMDD for 0 <= days < HOURS_FAST_DAYS: Neri
 * and Schneider's calendar algorithm ("Euclidean affine functions and
 * their application to calendar algorithms", 2022), which replaces most
 * of the divisions of util_civil_from_days's (Hinnant's) by one 64-bit
 * multiply.  Equal to that algorithm on every day of the range (checked
 * exhaustively when this was written). */
static int32_t fast_yyyymmdd(uint32_t days)
{
	uint32_t n = days + 719468;                 /* days since 0000-03-01 */
	uint32_t n1 = 4 * n + 3;
	uint32_t cent = n1 / 146097;
	uint32_t nc = n1 % 146097 / 4;              /* day of the century */
	uint64_t p2 = (uint64_t)2939745 * (4 * nc + 3);
	uint32_t yc = (uint32_t)(p2 >> 32);         /* year of the century */
	uint32_t ny = (uint32_t)p2 / 2939745 / 4;   /* day of the year, from March 1 */
	uint32_t n3 = 2141 * ny + 197913;
	uint32_t m = n3 >> 16, d = (n3 & 0xffff) / 2141 + 1;
	uint32_t jan_feb = ny >= 306;               /* January and February end the year */
	uint32_t y = 100 * cent + yc + jan_feb;
	if (jan_feb)
		m -= 12;
	return (int32_t)(y * 10000 + m * 100 + d);
}

static bool hours_closed_on(const flow_hours *h, int32_t ymd)
{
	int lo = 0, hi = h->nclosed;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (h->closed[mid] < ymd)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < h->nclosed && h->closed[lo] == ymd;
}

/* Outside the fast path's days (before 1970, after 7711): the general
 * calendar functions. */
static __attribute__((noinline)) bool hours_open_slow(const flow_hours *h, int64_t local_ms)
{
	int wd = util_weekday(local_ms), m = util_minute_of_day(local_ms);
	bool open = false;
	for (int i = 0; i < h->nranges; i++) {
		const flow_hours_range *r = &h->ranges[i];
		if ((r->days & (1u << wd)) && m >= r->start && m < r->end) {
			open = true;
			break;
		}
	}
	if (!open || h->nclosed == 0)
		return open;
	return !hours_closed_on(h, util_yyyymmdd(local_ms));
}

/* Every call that meets hours asks this, so it is cheap: the day is split
 * once, the weekly ranges come first, and the closed dates are asked only
 * when a range is open, by the parser's bit per day (flow.h) or, without
 * it, by working out the date and searching.  A closed date wins over the
 * ranges, so the answer is the same as checking the date first.  Days the
 * fast path does not cover go out of line, so the common path needs no
 * frame. */
bool flow_hours_open(const flow_hours *h, int64_t local_ms)
{
	if ((uint64_t)local_ms >= (uint64_t)HOURS_FAST_DAYS * UTIL_MS_PER_DAY)
		return hours_open_slow(h, local_ms);    /* also every local_ms < 0 */
	uint64_t ums = (uint64_t)local_ms;
	uint32_t days = (uint32_t)(ums / (uint64_t)UTIL_MS_PER_DAY);
	uint32_t rem = (uint32_t)(ums - (uint64_t)days * (uint64_t)UTIL_MS_PER_DAY);
	int wd = (int)((days + 3) % 7);  /* 1970-01-01 was a Thursday (Monday = 0) */
	int m = (int)(rem / 60000);
	bool open = false;
	for (int i = 0; i < h->nranges; i++) {
		const flow_hours_range *r = &h->ranges[i];
		if ((r->days & (1u << wd)) && m >= r->start && m < r->end) {
			open = true;
			break;
		}
	}
	if (!open || h->nclosed == 0)
		return open;
	if (h->closed_bits) {
		/* days below closed_day0 wrap to a large index: not closed. */
		uint32_t i = days - (uint32_t)h->closed_day0;
		return !(i < (uint32_t)h->closed_ndays && (h->closed_bits[i >> 6] >> (i & 63) & 1));
	}
	return !hours_closed_on(h, fast_yyyymmdd(days));
}

bool flow_hours_ever_open(const flow_hours *h)
{
	for (int i = 0; i < h->nranges; i++)
		if (h->ranges[i].days && h->ranges[i].start < h->ranges[i].end)
			return true;
	return false;
}

int flow_office_for(const flow *f, const char *value)
{
	if (!value)
		return f->default_office;
	int best = -1;
	size_t bestlen = 0;
	for (int i = 0; i < f->noffices; i++) {
		const flow_office *o = &f->offices[i];
		for (int k = 0; k < o->nreceipts; k++) {
			size_t n = strlen(o->receipts[k]);
			if (n > bestlen && strncmp(value, o->receipts[k], n) == 0) {
				best = i;
				bestlen = n;
			}
		}
	}
	return best >= 0 ? best : f->default_office;
}

uint32_t flow_prompt_ms(const flow *f, int prompt, int lang)
{
	if (prompt < 0 || prompt >= f->nprompts)
		return 0;
	if (lang < 0 || lang >= f->nlangs)
		lang = 0;
	return f->prompts[prompt].ms[lang];
}

/* ---- names --------------------------------------------------------------- */
const char *flow_target_name(const flow *f, int target)
{
	switch (target) {
	case FLOW_T_NONE: return "(none)";
	case FLOW_T_HANGUP: return "hangup";
	case FLOW_T_REPEAT: return "repeat";
	case FLOW_T_BACK: return "back";
	case FLOW_T_TOP: return "top";
	default:
		if (f && target >= 0 && target < f->nnodes)
			return f->nodes[target].name;
		return "(?)";
	}
}

const char *flow_kind_name(flow_node_kind k)
{
	static const char *const names[] = {
		"menu", "input", "play", "set", "route", "queue", "request"
	};
	return (unsigned)k < FLOW_NKINDS ? names[k] : "node";
}

const char *flow_strategy_name(flow_strategy s)
{
	static const char *const names[] = {
		"longest-idle", "round-robin", "fewest-calls", "least-talk-time", "random", "top-down"
	};
	return (unsigned)s <= FLOW_STRAT_TOP_DOWN ? names[s] : "?";
}

/* ---- edges --------------------------------------------------------------- */
void flow_node_slots(flow_node *n, flow_slot_fn fn, void *ctx)
{
	switch (n->kind) {
	case FLOW_MENU: {
		flow_menu *m = &n->u.menu;
		for (int i = 0; i < m->noptions; i++)
			fn(ctx, n, FLOW_E_OPTION, i, &m->options[i].target);
		fn(ctx, n, FLOW_E_FAILURE_NOINPUT, 0, &m->l.failure_noinput);
		fn(ctx, n, FLOW_E_FAILURE_NOMATCH, 0, &m->l.failure_nomatch);
		fn(ctx, n, FLOW_E_FAILURE, 0, &m->l.failure);
		break;
	}
	case FLOW_INPUT: {
		flow_input *in = &n->u.input;
		fn(ctx, n, FLOW_E_NEXT, 0, &in->next);
		fn(ctx, n, FLOW_E_FAILURE_NOINPUT, 0, &in->l.failure_noinput);
		fn(ctx, n, FLOW_E_FAILURE_NOMATCH, 0, &in->l.failure_nomatch);
		fn(ctx, n, FLOW_E_FAILURE, 0, &in->l.failure);
		break;
	}
	case FLOW_PLAY:
		fn(ctx, n, FLOW_E_NEXT, 0, &n->u.play.next);
		break;
	case FLOW_SET:
		fn(ctx, n, FLOW_E_NEXT, 0, &n->u.set.next);
		break;
	case FLOW_ROUTE:
		for (int i = 0; i < n->u.route.nconds; i++)
			fn(ctx, n, FLOW_E_COND, i, &n->u.route.conds[i].target);
		fn(ctx, n, FLOW_E_ELSE, 0, &n->u.route.otherwise);
		break;
	case FLOW_QUEUE: {
		flow_queue *q = &n->u.queue;
		fn(ctx, n, FLOW_E_CLOSED, 0, &q->closed);
		fn(ctx, n, FLOW_E_TIMEOUT, 0, &q->max_wait_target);
		fn(ctx, n, FLOW_E_ESCALATE, 0, &q->escalate);
		fn(ctx, n, FLOW_E_SUPERVISOR, 0, &q->supervisor);
		fn(ctx, n, FLOW_E_REQUEST, 0, &q->request);
		break;
	}
	case FLOW_REQUEST:
		fn(ctx, n, FLOW_E_NEXT, 0, &n->u.request.next);
		break;
	default:
		break;
	}
}

typedef struct edge_ctx {
	const flow *f;
	void (*fn)(void *ctx, const flow_edge *e);
	void *ctx;
} edge_ctx;

static void edge_adapter(void *vctx, flow_node *n, flow_edge_kind k, int idx, int *slot)
{
	edge_ctx *c = vctx;
	if (*slot == FLOW_T_NONE)
		return;
	/* A queue without hours is never closed: its closed target is moot. */
	if (k == FLOW_E_CLOSED && n->u.queue.hours < 0)
		return;
	/* Every miss is a no-input or a no-match: with both kinds routed,
	 * the plain failure target can never be taken. */
	if (k == FLOW_E_FAILURE) {
		const flow_listen *l = n->kind == FLOW_MENU ? &n->u.menu.l : &n->u.input.l;
		if (l->failure_noinput != FLOW_T_NONE && l->failure_nomatch != FLOW_T_NONE)
			return;
	}
	flow_edge e = { k, idx, *slot };
	c->fn(c->ctx, &e);
}

void flow_node_edges(const flow *f, int node, void (*fn)(void *ctx, const flow_edge *e),
                     void *ctx)
{
	if (node < 0 || node >= f->nnodes)
		return;
	edge_ctx c = { f, fn, ctx };
	/* flow_node_slots takes writable slots for the resolver; nothing is
	 * written here. */
	flow_node_slots((flow_node *)&f->nodes[node], edge_adapter, &c);
}

void flow_edge_label(const flow *f, int node, const flow_edge *e, char *out, size_t n)
{
	const flow_node *nd = &f->nodes[node];
	switch (e->kind) {
	case FLOW_E_OPTION:
		snprintf(out, n, "%s", nd->u.menu.options[e->index].keys);
		break;
	case FLOW_E_NEXT: snprintf(out, n, "next"); break;
	case FLOW_E_FAILURE: snprintf(out, n, "failure"); break;
	case FLOW_E_FAILURE_NOINPUT: snprintf(out, n, "failure (no-input)"); break;
	case FLOW_E_FAILURE_NOMATCH: snprintf(out, n, "failure (no-match)"); break;
	case FLOW_E_COND: {
		const flow_cond *c = &nd->u.route.conds[e->index];
		const char *neg = c->negate ? "not " : "";
		switch (c->kind) {
		case FLOW_COND_OPEN:
			snprintf(out, n, "%s%s", c->negate ? "closed " : "open ",
			         c->arg >= 0 ? f->hours[c->arg].name : "?");
			break;
		case FLOW_COND_LANG:
			snprintf(out, n, "%slang %s", neg, c->arg >= 0 ? f->langs[c->arg] : "?");
			break;
		case FLOW_COND_VAR:
			snprintf(out, n, "%s%s %s \"%s\"", neg, f->vars[c->arg],
			         c->equals ? "is" : "prefix", c->str);
			break;
		case FLOW_COND_LINE:
			snprintf(out, n, "%sline %s", neg, c->arg >= 0 ? f->lines[c->arg].name : "?");
			break;
		}
		break;
	}
	case FLOW_E_ELSE: snprintf(out, n, "else"); break;
	case FLOW_E_CLOSED: snprintf(out, n, "closed"); break;
	case FLOW_E_TIMEOUT: snprintf(out, n, "timeout"); break;
	case FLOW_E_ESCALATE: snprintf(out, n, "escalate"); break;
	case FLOW_E_SUPERVISOR: snprintf(out, n, "supervisor"); break;
	case FLOW_E_REQUEST: snprintf(out, n, "request"); break;
	}
}

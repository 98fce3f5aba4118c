/* bench_acd.c — enqueue / assign / finish cycles per second of the ACD.
 *
 *   bench_acd [cycles] [agents] [mmc|mmc-take]   (defaults 2000000, 300; `mmc`: that
 *                                                case only; `mmc-take`: the same, drained
 *                                                with acd_take instead of acd_poll)
 *
 * A driver keeps the queue loaded: every cycle one call arrives (language
 * 0..2, `skill lang`, agents speak 1-3 languages), ~3% of waiting callers
 * abandon from the middle, and the call that has talked longest finishes
 * (with a wrap-up that ends a few cycles later), so each cycle is about one
 * enqueue, one assignment, one finish and one wrap-up end with hundreds of
 * agents and tens of waiting calls.  Prints one line per strategy.
 *
 * Then the simulator's M/M/c model (bench/flows/mmc.*): one queue of
 * `agents` agents (100 by default in `tierline simulate`), one language,
 * longest-idle, no wrap-up, Poisson arrivals at 500/min, exponential
 * handling of mean 10.8 s (scaled so the load stays at 90% of the agents),
 * small dense call ids reused like the simulator's slots, no leg records.
 * The call sequence is recorded first (an untimed run with its own event
 * heap), then replayed against a fresh ACD and timed, so the figure is the
 * ACD alone: per call an acd_enqueue, an acd_poll drain, an acd_end and a
 * drain, as sim.c does (`mmc-take`: acd_take drains, reading in place). */
#include <stdbool.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "tierline/acd.h"
#include "tierline/rng.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef struct ring {
	uint64_t *v;
	size_t head, n, cap;
} ring;

static void ring_push(ring *r, uint64_t x)
{
	r->v[(r->head + r->n++) % r->cap] = x;
}

static uint64_t ring_pop(ring *r)
{
	uint64_t x = r->v[r->head];
	r->head = (r->head + 1) % r->cap;
	r->n--;
	return x;
}

static const char *flow_strategy_name_local(flow_strategy s)
{
	static const char *const n[] = { "longest-idle", "round-robin", "fewest-calls",
	                                 "least-talk-time", "random", "top-down" };
	return n[s];
}

#define CALLS 4096                   /* call ids cycle through this many slots */

static int run(flow_strategy st, long cycles, int nagents, bool loaded)
{
	acd_config cfg = {0};
	cfg.nlangs = 3;
	cfg.seed = 1;
	cfg.stats_start = 0;
	cfg.interval_ms = 30 * 60 * 1000;
	cfg.reserve_legs = 1024;
	acd_queue_cfg q = { .name = "bench", .tier = 1, .strategy = st,
	                    .skill_lang = true, .wrapup_ms = 0 };
	acd *a;
	char err[200];
	if (acd_new(&cfg, &q, 1, &a, err, sizeof err)) {
		fprintf(stderr, "bench_acd: %s\n", err);
		return 1;
	}
	uint64_t x = 99;
	for (int i = 0; i < nagents; i++) {
		uint32_t m = (i % 4 == 0) ? 7u : (uint32_t)(1u << (rng_splitmix64(&x) % 3)) | 1u;
		acd_add_agent(a, 0, m, NULL);
	}
	uint8_t *state = calloc(CALLS, 1);   /* 0 free, 1 waiting, 2 talking */
	ring talking = { calloc((size_t)nagents + 1, 8), 0, 0, (size_t)nagents + 1 };
	ring wrap = { calloc((size_t)nagents + 1, 8), 0, 0, (size_t)nagents + 1 };
	int64_t *wrap_at = calloc((size_t)nagents, sizeof *wrap_at);
	if (!state || !talking.v || !wrap.v || !wrap_at)
		return 1;
	int64_t t = 0;
	acd_set_staff(a, 0, nagents, t);
	acd_out o;
	long assigns = 0, abandons = 0, errors = 0;
	uint64_t next_call = 0;
	double t0 = now_s();
	for (long c = 0; c < cycles; c++) {
		t += 10;
		/* one arrival (skip ids still in use) */
		uint64_t id = next_call++ % CALLS;
		if (state[id] == 0) {
			if (acd_enqueue(a, 0, id, (int)(rng_splitmix64(&x) % 3), t, NULL))
				errors++;
			state[id] = 1;
		}
		/* an abandonment from somewhere in the queue */
		if (rng_splitmix64(&x) % 32 == 0) {
			uint64_t v = (id + CALLS - 1 - rng_splitmix64(&x) % 64) % CALLS;
			if (state[v] == 1) {
				if (acd_end(a, v, t, CALL_LEG_ABANDONED, 0, NULL))
					errors++;
				state[v] = 0;
				abandons++;
			}
		}
		/* wrap-ups that are due */
		while (wrap.n && wrap_at[wrap.v[wrap.head]] <= t) {
			int g = (int)ring_pop(&wrap);
			if (acd_wrapup_end(a, g, t))
				errors++;
			while (acd_poll(a, &o))
				if (o.kind == ACD_OUT_ASSIGN) {
					state[o.call] = 2;
					ring_push(&talking, o.call);
					assigns++;
				}
		}
		while (acd_poll(a, &o))
			if (o.kind == ACD_OUT_ASSIGN) {
				state[o.call] = 2;
				ring_push(&talking, o.call);
				assigns++;
			}
		/* the longest talker finishes: "light" keeps ~5% of agents idle (every
		 * arrival is a strategy pick), "loaded" keeps ~20 calls waiting (every
		 * free agent looks for the oldest call it speaks) */
		acd_queue_info qs;
		acd_queue_get(a, 0, &qs);
		bool finish = loaded ? (qs.waiting >= 20 || qs.idle == 0)
		                     : talking.n + wrap.n >= (size_t)nagents - nagents / 20;
		if (finish && talking.n) {
			uint64_t v = ring_pop(&talking);
			acd_leg leg;
			if (acd_end(a, v, t, CALL_LEG_RESOLVED, 30, &leg))
				errors++;
			state[v] = 0;
			while (acd_poll(a, &o))
				if (o.kind == ACD_OUT_WRAPUP) {
					wrap_at[o.agent] = o.at;
					ring_push(&wrap, (uint64_t)o.agent);
				}
		}
	}
	double dt = now_s() - t0;
	acd_queue_info qi;
	acd_queue_get(a, 0, &qi);
	printf("bench_acd %-6s %-16s agents %4d: %ld cycles in %.3f s = %.2f M cycles/s "
	       "(%ld assigns, %ld abandons, %d waiting at end, %ld errors)\n",
	       loaded ? "loaded" : "light", flow_strategy_name_local(st), nagents, cycles,
	       dt, cycles / dt / 1e6,
	       assigns, abandons, qi.waiting, errors);
	acd_free(a);
	free(state);
	free(talking.v);
	free(wrap.v);
	free(wrap_at);
	return errors != 0;
}

/* ---- the M/M/c call sequence -------------------------------------------- */

typedef struct mmc_op {
	int64_t t;
	uint32_t id;
	bool end;                        /* else an arrival */
} mmc_op;

typedef struct mmc_ev {
	int64_t t;
	uint32_t id;
} mmc_ev;

static void heap_push(mmc_ev *h, size_t *n, mmc_ev e)
{
	size_t i = (*n)++;
	while (i > 0 && h[(i - 1) / 2].t > e.t) {
		h[i] = h[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h[i] = e;
}

static mmc_ev heap_pop(mmc_ev *h, size_t *n)
{
	mmc_ev top = h[0], last = h[--*n];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= *n)
			break;
		if (c + 1 < *n && h[c + 1].t < h[c].t)
			c++;
		if (h[c].t >= last.t)
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = last;
	return top;
}

static acd *mmc_acd(int nagents)
{
	acd_config cfg = {0};
	cfg.nlangs = 1;
	cfg.seed = 1;
	cfg.stats_start = 0;
	cfg.interval_ms = 30 * 60 * 1000;
	acd_queue_cfg q = { .name = "agents", .tier = 1,
	                    .strategy = FLOW_STRAT_LONGEST_IDLE };
	acd *a;
	char err[200];
	if (acd_new(&cfg, &q, 1, &a, err, sizeof err)) {
		fprintf(stderr, "bench_acd: %s\n", err);
		return NULL;
	}
	for (int i = 0; i < nagents; i++)
		acd_add_agent(a, 0, 0, NULL);
	acd_set_staff(a, 0, nagents, 0);
	acd_out o;
	while (acd_poll(a, &o))
		;
	return a;
}

static int64_t exp_ms(uint64_t *x, double mean)
{
	double u = (double)(rng_splitmix64(x) >> 11) * 0x1.0p-53;
	return (int64_t)(-log1p(-u) * mean + 0.5);
}

/* Record the call sequence of `calls` M/M/c calls into *ops (2 a call). */
static long mmc_record(long calls, int nagents, mmc_op **ops_out)
{
	acd *a = mmc_acd(nagents);
	mmc_op *ops = malloc((size_t)calls * 2 * sizeof *ops);
	size_t n = 0;
	mmc_ev *heap = malloc((size_t)(calls + 1) * sizeof *heap);
	uint32_t *free_ids = malloc((size_t)(calls + 1) * sizeof *free_ids);
	if (!a || !ops || !heap || !free_ids)
		return -1;
	size_t nfree = 0;
	uint32_t next_id = 0;
	uint64_t x = 7;
	double handle = 10800.0 * nagents / 100.0;   /* 90% load at 500 calls/min */
	int64_t next_arrival = exp_ms(&x, 120.0);
	long arrived = 0, nops = 0;
	while (arrived < calls || n > 0) {
		acd_out o;
		if (arrived < calls && (n == 0 || next_arrival < heap[0].t)) {
			uint32_t id = nfree ? free_ids[--nfree] : next_id++;
			ops[nops++] = (mmc_op){ next_arrival, id, false };
			acd_enqueue(a, 0, id, 0, next_arrival, NULL);
			arrived++;
			next_arrival += exp_ms(&x, 120.0);
		} else {
			mmc_ev e = heap_pop(heap, &n);
			ops[nops++] = (mmc_op){ e.t, e.id, true };
			acd_end(a, e.id, e.t, CALL_LEG_RESOLVED, 0, NULL);
			free_ids[nfree++] = e.id;
		}
		while (acd_poll(a, &o))
			if (o.kind == ACD_OUT_ASSIGN)
				heap_push(heap, &n, (mmc_ev){ o.t + exp_ms(&x, handle), (uint32_t)o.call });
	}
	acd_free(a);
	free(heap);
	free(free_ids);
	*ops_out = ops;
	return nops;
}

static int run_mmc(long calls, int nagents, bool take)
{
	mmc_op *ops;
	long nops = mmc_record(calls, nagents, &ops);
	if (nops < 0)
		return 1;
	acd *a = mmc_acd(nagents);
	if (!a)
		return 1;
	long assigns = 0, errors = 0;
	double t0 = now_s();
	for (long i = 0; i < nops; i++) {
		const mmc_op *op = &ops[i];
		int rc = op->end ? acd_end(a, op->id, op->t, CALL_LEG_RESOLVED, 0, NULL)
		                 : acd_enqueue(a, 0, op->id, 0, op->t, NULL);
		errors += rc != ACD_OK;
		if (take) {
			int n;
			const acd_out *o = acd_take(a, &n);
			for (int k = 0; k < n; k++)
				assigns += o[k].kind == ACD_OUT_ASSIGN;
		} else {
			acd_out o;
			while (acd_poll(a, &o))
				assigns += o.kind == ACD_OUT_ASSIGN;
		}
	}
	acd_advance(a, ops[nops - 1].t);
	int64_t p90;
	acd_wait_quantile(a, 0, 0.90, &p90);
	double dt = now_s() - t0;
	acd_figures f;
	acd_queue_figures(a, 0, &f);
	printf("bench_acd %-7s longest-idle     agents %4d: %ld calls in %.3f s = %.2f M calls/s"
	       " = %.1f ns/call (%ld assigns, p_wait %.3f, p90 wait %lld ms, %ld errors)\n",
	       take ? "mmc-tk" : "mmc", nagents, calls, dt, calls / dt / 1e6, dt * 1e9 / calls, assigns,
	       1.0 - (double)f.found_free / (double)f.offered, (long long)p90, errors);
	acd_free(a);
	free(ops);
	return errors != 0 || assigns != calls;
}

int main(int argc, char **argv)
{
	long cycles = argc > 1 ? atol(argv[1]) : 2000000;
	int agents = argc > 2 ? atoi(argv[2]) : 300;
	if (cycles <= 0 || agents < 20) {
		fprintf(stderr, "usage: bench_acd [cycles] [agents >= 20]\n");
		return 2;
	}
	int bad = 0;
	if (argc > 3 && strcmp(argv[3], "mmc") == 0)
		return run_mmc(cycles, agents, false);
	if (argc > 3 && strcmp(argv[3], "mmc-take") == 0)
		return run_mmc(cycles, agents, true);
	for (int loaded = 0; loaded < 2; loaded++)
		for (int st = FLOW_STRAT_LONGEST_IDLE; st <= FLOW_STRAT_TOP_DOWN; st++)
			bad |= run((flow_strategy)st, cycles, agents, loaded);
	/* the simulator's M/M/c model has 100 agents whatever `agents` says */
	bad |= run_mmc(cycles, 100, false);
	return bad;
}

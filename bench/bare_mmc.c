/*
 * bare_mmc.c — the yardstick: M/M/c as a bare C event-heap loop.
 *
 * Issue 5 sets tierline's simulator targets against "a bare C event-heap
 * loop" (about 10 million calls a second on the reference machine).  CPU
 * speed on the shared benchmark host moves by 30% from one day to the
 * next, so bench_sim.sh runs this loop in the same run as tierline and
 * prints tierline's rates as a share of it: a figure the host's mood
 * cancels out of.
 *
 * The model is bench/flows/mmc.scenario's (keep them in step): Poisson
 * arrivals at 500 a minute, 100 agents, exponential handling with mean
 * 10.8 s, FIFO, nobody abandons.  What makes it bare: one binary heap of
 * (time, kind) events holding at most one arrival and c departures, a ring
 * of waiting arrival times, tierline's xoshiro256** (rng.h) and -log(u)
 * for the exponential draws, no allocation in the loop, no records, no IVR, no intervals.  It
 * prints P(wait) and the ASA so that a reader can see it simulates what
 * Erlang C says (`tierline erlang --rate 500/m --aht 10.8s --agents 100`:
 * P(wait) 0.2169, ASA 0.23 s).
 *
 *     bare_mmc [CALLS]        (default 2000000)
 */
#ifndef _GNU_SOURCE
#define _POSIX_C_SOURCE 200809L   /* clock_gettime under -std=c11 */
#endif
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "tierline/rng.h"

#define AGENTS   100
#define RATE     (500.0 / 60.0)   /* calls a second */
#define AHT      10.8             /* seconds */

typedef struct { double t; int kind; } ev;   /* kind 0 arrival, 1 departure */

/* tierline's generator (header only): the same draws' cost as the
 * simulator's, and no second copy of xoshiro256** to keep. */
static double expo(rng *r, double mean)
{
	return -mean * log(rng_uniform(r));
}

/* At most one arrival and AGENTS departures are pending. */
typedef struct { ev e[AGENTS + 2]; int n; } heap;

static void push(heap *h, double t, int kind)
{
	int i = h->n++;
	while (i > 0) {
		int p = (i - 1) / 2;
		if (h->e[p].t <= t)
			break;
		h->e[i] = h->e[p];
		i = p;
	}
	h->e[i].t = t;
	h->e[i].kind = kind;
}

static ev pop(heap *h)
{
	ev top = h->e[0], last = h->e[--h->n];
	int i = 0;
	for (;;) {
		int c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && h->e[c + 1].t < h->e[c].t)
			c++;
		if (last.t <= h->e[c].t)
			break;
		h->e[i] = h->e[c];
		i = c;
	}
	h->e[i] = last;
	return top;
}

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	long long n = argc > 1 ? atoll(argv[1]) : 2000000;
	if (n <= 0) {
		fprintf(stderr, "usage: bare_mmc [CALLS]\n");
		return 2;
	}
	rng r;
	rng_seed_hashed(&r, 0x9E3779B97F4A7C15ULL, 1);
	/* Waiting arrival times: 65,536 places, sized once, before the clock.
	 * At 90% load the queue stays in the tens; a full ring is reported,
	 * not dropped. */
	size_t cap = 1u << 16;
	double *q = malloc(cap * sizeof *q);
	if (!q)
		return 2;
	size_t qh = 0, qn = 0;
	long long arrived = 0, waited = 0, answered = 0;
	double wait_sum = 0.0;
	int free_agents = AGENTS;

	heap h = { .n = 0 };
	double t0 = cpu_s();
	push(&h, expo(&r, 1.0 / RATE), 0);
	while (h.n > 0) {
		ev e = pop(&h);
		if (e.kind == 0) {
			arrived++;
			if (arrived < n)
				push(&h, e.t + expo(&r, 1.0 / RATE), 0);
			if (free_agents > 0) {
				free_agents--;
				answered++;
				push(&h, e.t + expo(&r, AHT), 1);
			} else {
				if (qn == cap) {
					fprintf(stderr, "bare_mmc: queue ring full\n");
					return 2;
				}
				q[(qh + qn++) & (cap - 1)] = e.t;
				waited++;
			}
		} else if (qn > 0) {
			double a = q[qh];
			qh = (qh + 1) & (cap - 1);
			qn--;
			wait_sum += e.t - a;
			answered++;
			push(&h, e.t + expo(&r, AHT), 1);
		} else {
			free_agents++;
		}
	}
	double cpu = cpu_s() - t0;
	free(q);
	printf("bare_mmc (C, binary heap): %lld calls, %d agents, 500/min, aht 10.8s: "
	       "%.3f s CPU, %.0f calls/s CPU, ASA %.2f s, p_wait %.3f\n",
	       arrived, AGENTS, cpu, (double)arrived / (cpu > 1e-9 ? cpu : 1e-9),
	       wait_sum / (double)answered, (double)waited / (double)arrived);
	return 0;
}

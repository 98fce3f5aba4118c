/*
 * test_store_synth.h — deterministic synthetic call records for the store's
 * tests and benchmark (the call engine is written in parallel; these do not
 * depend on it).  Each call has ~8 visits, 0-4 keys, 1-2 queue legs (some
 * calls none), now and then a service request; results cover answered,
 * abandoned, timed out, escalated, hung up while talking and asked for a
 * supervisor, so every figure has something to count.
 */
#ifndef TEST_STORE_SYNTH_H
#define TEST_STORE_SYNTH_H

#include <stdint.h>
#include <string.h>
#include <stdio.h>
#include "tierline/record.h"

typedef struct synth_call {
	rec_call c;
	rec_key keys[8];
	rec_visit visits[16];
	rec_leg legs[3];
	rec_request req[2];
} synth_call;

/* 2026-11-30 07:00 local, the scenario example's start. */
#define SYNTH_START 1796022000000LL
#define SYNTH_INTERVAL 1800000LL

static inline uint64_t synth_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Call number i of a synthetic run: arrivals every ~1.5 s from start - 30 s
 * (the first 30 seconds are warm-up: counted = false). */
static inline void synth_make(uint64_t seed, uint64_t i, synth_call *sc)
{
	static const char *const nodes[] = {
		"main", "language_select", "main_menu", "case_status", "receipt_input",
		"say_status", "live_help", "hours_check", "tty_menu", "goodbye", "repeat", "after_hours"
	};
	static const char *const lines[] = { "main", "main", "main", "tty", "military" };
	static const char *const outs[] = { "self-service", "resolved-tier1", "resolved-tier2",
	                                    "abandoned-queue", "request-filed", "referred", "failed",
	                                    "after-hours", "abandoned-ivr" };
	static const char *const queues[] = { "tier1", "tier2", "supervisor" };
	static const char *const offices[] = { "vsc", "nbc", "csc", "tsc" };
	uint64_t r = synth_mix(seed * 1000003u + i);
	memset(sc, 0, sizeof *sc);
	rec_call *c = &sc->c;
	c->seq = i + 1;
	c->line = lines[r % 5];
	c->lang = (r >> 3) % 4 == 0 ? "es" : "en";
	c->vars = (r >> 5) % 8 == 0 ? "{\"receipt\":\"IOE0123456789\"}" : NULL;
	c->arrival = SYNTH_START - 30000 + (int64_t)i * 1500 + (int64_t)((r >> 8) % 1000);
	c->counted = c->arrival >= SYNTH_START;
	int nv = 6 + (int)((r >> 12) % 5);
	int64_t t = c->arrival;
	for (int k = 0; k < nv; k++) {
		sc->visits[k].node = k == 0 ? "main" : nodes[(r >> (16 + 2 * k)) % 12];
		sc->visits[k].t = t;
		t += 1000 + (int64_t)((r >> (20 + k)) % 4000);
	}
	c->visits = sc->visits;
	c->nvisits = nv;
	int nk = (int)((r >> 30) % 5);
	for (int k = 0; k < nk; k++) {
		sc->keys[k].key = "0123456789*#"[(r >> (33 + k)) % 12];
		sc->keys[k].t = c->arrival + 2000 + 1500 * k;
	}
	c->keys = sc->keys;
	c->nkeys = nk;
	int nl = (int)((r >> 40) % 4);
	if (nl == 3)
		nl = 1;
	for (int k = 0; k < nl; k++) {
		uint64_t q = synth_mix(r + (uint64_t)k + 17);
		rec_leg *l = &sc->legs[k];
		l->queue = queues[k == 0 ? (q % 8 == 0 ? 2 : 0) : 1 + (q % 5 == 0)];
		l->tier = l->queue == queues[2] ? 3 : (l->queue == queues[1] ? 2 : 1);
		l->entered = t;
		l->found_free = q % 3 == 0;
		int64_t wait = l->found_free ? 0 : (int64_t)((q >> 8) % 180000);
		int kind = (int)((q >> 32) % 10);
		l->agent = -1;
		l->answered = -1;
		if (k + 1 < nl) {
			l->answered = t + wait;
			l->agent = (int)((q >> 40) % 50);
			l->ended = l->answered + 60000 + (int64_t)((q >> 44) % 600000);
			l->result = (q >> 50) % 2 ? "escalated" : "supervisor";
		} else if (kind < 6) {
			l->answered = t + wait;
			l->agent = (int)((q >> 40) % 50);
			l->ended = l->answered + 60000 + (int64_t)((q >> 44) % 600000);
			l->result = kind == 5 ? "hangup-talking" : (kind == 4 ? "request" : "resolved");
		} else {
			l->ended = t + wait + 1;
			l->result = kind <= 7 ? "abandoned" : (kind == 8 ? "timeout" : "asked-supervisor");
		}
		t = l->ended;
	}
	c->legs = sc->legs;
	c->nlegs = nl;
	if ((r >> 50) % 10 == 0) {
		sc->req[0].type = "case-inquiry";
		sc->req[0].office = offices[(r >> 54) % 4];
		sc->req[0].created = t;
		sc->req[0].due = t + 15LL * 86400000;
		sc->req[0].status = (r >> 56) % 4 == 0 ? "referred" : "open";
		c->requests = sc->req;
		c->nrequests = 1;
	}
	c->end = t + 500;
	c->outcome = outs[(r >> 58) % 9];
	c->final_node = sc->visits[nv - 1].node;
}

/* Per-queue interval rows consistent enough for occupancy. */
static inline void synth_interval(uint64_t seed, int q, int k, rec_interval *iv)
{
	static const char *const queues[] = { "tier1", "tier2", "supervisor" };
	uint64_t r = synth_mix(seed * 7919u + (uint64_t)q * 131u + (uint64_t)k);
	memset(iv, 0, sizeof *iv);
	iv->queue = queues[q];
	iv->start = SYNTH_START + k * SYNTH_INTERVAL;
	iv->length_ms = SYNTH_INTERVAL;
	iv->agents = 5 + (int)(r % 40);
	iv->staffed_ms = iv->agents * SYNTH_INTERVAL;
	iv->busy_ms = (int64_t)((double)iv->staffed_ms * (0.5 + (double)(r >> 20 & 0xff) / 600.0));
	iv->offered = (int64_t)(r >> 30 & 0xff);
}

static inline rec_run synth_run(uint64_t seed)
{
	rec_run run;
	memset(&run, 0, sizeof run);
	run.mode = "simulate";
	run.flow_path = "flows/uscis.flow";
	run.flow_sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
	run.scenario = "flows/weekday.scenario";
	run.seed = seed;
	run.options = "{\"sl\":\"20s\"}";
	run.sim_start = SYNTH_START;
	run.sim_end = SYNTH_START + 14 * 3600000LL;
	run.sl_threshold_ms = 20000;
	run.interval_ms = SYNTH_INTERVAL;
	return run;
}

#endif

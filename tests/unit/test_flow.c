/* test_flow.c — flow_load: every construct, defaults, names, lookups,
 * hours, offices, prompt durations, includes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sndfile.h>
#include <cmocka.h>
#include "tierline/flow.h"

static const char spec_flow[] =
	"flow uscis {\n"
	"  timezone \"America/New_York\"   # all clocks local\n"
	"  languages en es\n"
	"}\n"
	"line main \"1-800-375-5283\" { start language_select }\n"
	"line tty \"1-800-767-1833\" { start language_select; channel tty }\n"
	"line military \"1-877-247-4645\" { start main; hours military_hours; closed -> after_hours }\n"
	"hours live_help {\n"
	"  mon-fri 08:00-20:00\n"
	"  sat 09:00-14:00\n"
	"  closed 2026-12-25            # whole-day exception\n"
	"}\n"
	"hours military_hours { mon,wed 09:00-17:00; sun 22:00-02:00 }\n"
	"menu language_select { prompt lang_prompt; option 1 -> main; option 2 -> spanish }\n"
	"set spanish { lang es; var intent \"case-status\"; next -> main }\n"
	"menu main {\n"
	"  prompt main_options\n"
	"  reprompt main_options_short\n"
	"  timeout 7s\n"
	"  interdigit 2s\n"
	"  tries 4\n"
	"  noinput tries 2\n"
	"  bargein off\n"
	"  option 1 -> receipt\n"
	"  option 20 -> hours_info\n"
	"  option 21 -> hours_info\n"
	"  option 0 -> live_agent\n"
	"  option 9 -> repeat\n"
	"  option * -> back\n"
	"  option # -> top\n"
	"  noinput -> prompt sorry_noinput\n"
	"  noinput 3 -> prompt louder\n"
	"  nomatch -> prompt sorry_invalid\n"
	"  failure noinput -> after_hours\n"
	"  failure -> live_agent\n"
	"}\n"
	"play hours_info { prompt hours_info; next -> main }\n"
	"input receipt {\n"
	"  prompt enter_receipt\n"
	"  digits 10..13\n"
	"  terminator *\n"
	"  timeout 7s; interdigit 3s; tries 3\n"
	"  store receipt\n"
	"  next -> lookup\n"
	"  failure -> live_agent\n"
	"}\n"
	"route lookup { when var receipt prefix \"322\" -> case_sr; else -> live_agent }\n"
	"route live_agent {\n"
	"  when open live_help -> tier1\n"
	"  when lang es -> tier1\n"
	"  when line military -> tier2\n"
	"  when var intent is \"x\" -> tier2\n"
	"  else -> after_hours\n"
	"}\n"
	"queue tier1 {\n"
	"  tier 1\n"
	"  strategy least-talk-time\n"
	"  skill lang\n"
	"  hours live_help\n"
	"  closed -> after_hours\n"
	"  max_wait 20m -> after_hours\n"
	"  announce every 60s prompt still_waiting\n"
	"  escalate -> tier2\n"
	"  supervisor -> tier3\n"
	"  request -> case_sr\n"
	"}\n"
	"queue tier2 { tier 2 }\n"
	"queue tier3 { tier 3; strategy top-down }\n"
	"offices {\n"
	"  office vsc \"Vermont Service Center\" { receipt \"322\" }\n"
	"  office vsc2 \"Vermont Annex\" { receipt \"3221\" }\n"
	"  office nbc \"National Benefits Center\" { receipt \"622\" }\n"
	"  office intl \"International Operations\" { refer \"+1-202-555-0100\" }\n"
	"  default nbc\n"
	"}\n"
	"request case_sr { type \"case-inquiry\"; office by receipt; due 15d; next -> sr_confirm }\n"
	"request intl_sr { type \"intl\"; office intl; next -> sr_confirm }\n"
	"play sr_confirm { prompt sr_done; next -> hangup }\n"
	"play after_hours { prompt closed_msg }\n";

static flow *load_ok(const char *path, const char *text, diag_list *dl)
{
	flow *f = NULL;
	int r = flow_load_string(path, text, strlen(text), &f, dl);
	if (r != 0) {
		diag_print(dl, stderr);
		fail_msg("flow did not load");
	}
	return f;
}

static int64_t at(int y, int m, int d, int hh, int mm, int ss)
{
	return util_days_from_civil(y, m, d) * UTIL_MS_PER_DAY +
	       ((int64_t)hh * 3600 + mm * 60 + ss) * 1000;
}

static void test_every_construct(void **state)
{
	(void)state;
	diag_list dl;
	diag_init(&dl);
	flow *f = load_ok("mem/spec.flow", spec_flow, &dl);
	assert_string_equal(f->name, "uscis");
	assert_string_equal(f->timezone, "America/New_York");
	assert_int_equal(f->nlangs, 2);
	assert_int_equal(flow_find_lang(f, "es"), 1);
	assert_int_equal(f->nlines, 3);
	assert_int_equal(f->nqueues, 3);
	assert_int_equal(f->noffices, 4);

	int ls = flow_find_node(f, "language_select");
	const flow_line *tty = &f->lines[flow_find_line(f, "tty")];
	assert_int_equal(tty->start, ls);
	assert_string_equal(tty->channel, "tty");
	assert_string_equal(f->lines[0].channel, "voice");
	const flow_line *mil = &f->lines[flow_find_line(f, "military")];
	assert_int_equal(mil->closed, flow_find_node(f, "after_hours"));
	assert_int_equal(mil->hours, flow_find_hours(f, "military_hours"));

	const flow_node *m = &f->nodes[flow_find_node(f, "main")];
	assert_int_equal(m->kind, FLOW_MENU);
	assert_int_equal(m->u.menu.l.timeout_ms, 7000);
	assert_int_equal(m->u.menu.l.interdigit_ms, 2000);
	assert_int_equal(m->u.menu.l.tries, 4);
	assert_int_equal(m->u.menu.l.noinput_tries, 2);
	assert_int_equal(m->u.menu.l.nomatch_tries, 0);
	assert_false(m->u.menu.l.bargein);
	assert_int_equal(m->u.menu.noptions, 7);
	assert_int_equal(m->u.menu.max_keys, 2);
	assert_string_equal(m->u.menu.options[1].keys, "20");
	assert_int_equal(m->u.menu.options[4].target, FLOW_T_REPEAT);
	assert_int_equal(m->u.menu.options[5].target, FLOW_T_BACK);
	assert_string_equal(m->u.menu.options[6].keys, "#");
	assert_int_equal(m->u.menu.options[6].target, FLOW_T_TOP);
	assert_int_equal(m->u.menu.l.nnoinput, 2);
	assert_int_equal(m->u.menu.l.noinput[1].count, 3);
	assert_int_equal(m->u.menu.l.noinput[1].prompt, flow_find_prompt(f, "louder"));
	assert_int_equal(m->u.menu.l.nnomatch, 1);
	assert_int_equal(m->u.menu.l.failure_noinput, flow_find_node(f, "after_hours"));
	assert_int_equal(m->u.menu.l.failure_nomatch, FLOW_T_NONE);
	assert_int_equal(m->u.menu.l.failure, flow_find_node(f, "live_agent"));
	assert_int_equal(m->u.menu.l.nreprompts, 1);

	/* Defaults. */
	const flow_node *l = &f->nodes[ls];
	assert_int_equal(l->u.menu.l.timeout_ms, 5000);
	assert_int_equal(l->u.menu.l.interdigit_ms, 3000);
	assert_int_equal(l->u.menu.l.tries, 3);
	assert_true(l->u.menu.l.bargein);
	assert_int_equal(l->u.menu.l.failure, FLOW_T_HANGUP);
	assert_int_equal(l->u.menu.l.nreprompts, 0);

	const flow_node *in = &f->nodes[flow_find_node(f, "receipt")];
	assert_int_equal(in->kind, FLOW_INPUT);
	assert_int_equal(in->u.input.min_digits, 10);
	assert_int_equal(in->u.input.max_digits, 13);
	assert_int_equal(in->u.input.terminator, '*');
	assert_int_equal(in->u.input.store, flow_find_var(f, "receipt"));
	assert_int_equal(in->u.input.next, flow_find_node(f, "lookup"));

	const flow_node *sp = &f->nodes[flow_find_node(f, "spanish")];
	assert_int_equal(sp->u.set.lang, 1);
	assert_int_equal(sp->u.set.nassigns, 1);
	assert_int_equal(sp->u.set.assigns[0].var, flow_find_var(f, "intent"));
	assert_string_equal(sp->u.set.assigns[0].value, "case-status");

	const flow_node *la = &f->nodes[flow_find_node(f, "live_agent")];
	assert_int_equal(la->u.route.nconds, 4);
	assert_int_equal(la->u.route.conds[0].kind, FLOW_COND_OPEN);
	assert_int_equal(la->u.route.conds[0].arg, flow_find_hours(f, "live_help"));
	assert_int_equal(la->u.route.conds[1].kind, FLOW_COND_LANG);
	assert_int_equal(la->u.route.conds[1].arg, 1);
	assert_int_equal(la->u.route.conds[2].kind, FLOW_COND_LINE);
	assert_int_equal(la->u.route.conds[2].arg, flow_find_line(f, "military"));
	assert_true(la->u.route.conds[3].equals);
	assert_int_equal(la->u.route.otherwise, flow_find_node(f, "after_hours"));

	int q1 = flow_find_queue(f, "tier1");
	assert_int_equal(q1, 0);
	const flow_queue *q = &f->nodes[f->queue_nodes[q1]].u.queue;
	assert_int_equal(q->tier, 1);
	assert_int_equal(q->strategy, FLOW_STRAT_LEAST_TALK_TIME);
	assert_true(q->skill_lang);
	assert_int_equal(q->max_wait_ms, 20 * 60000);
	assert_int_equal(q->announce_ms, 60000);
	assert_int_equal(q->announce_prompt, flow_find_prompt(f, "still_waiting"));
	assert_int_equal(q->escalate, f->queue_nodes[1]);
	assert_int_equal(q->supervisor, f->queue_nodes[2]);
	assert_int_equal(q->request, flow_find_node(f, "case_sr"));
	const flow_queue *q2 = &f->nodes[f->queue_nodes[1]].u.queue;
	assert_int_equal(q2->strategy, FLOW_STRAT_LONGEST_IDLE);
	assert_int_equal(q2->hours, -1);
	assert_int_equal(q2->escalate, FLOW_T_NONE);
	assert_int_equal(flow_find_queue(f, "main"), -1);
	assert_string_equal(flow_strategy_name(FLOW_STRAT_LEAST_TALK_TIME), "least-talk-time");

	const flow_node *sr = &f->nodes[flow_find_node(f, "case_sr")];
	assert_int_equal(sr->u.request.mode, FLOW_OFFICE_BY_VAR);
	assert_int_equal(sr->u.request.arg, flow_find_var(f, "receipt"));
	assert_int_equal(sr->u.request.due_ms, 15ULL * 86400000);
	const flow_node *isr = &f->nodes[flow_find_node(f, "intl_sr")];
	assert_int_equal(isr->u.request.mode, FLOW_OFFICE_FIXED);
	assert_int_equal(isr->u.request.arg, flow_find_office(f, "intl"));
	assert_string_equal(f->offices[flow_find_office(f, "intl")].refer, "+1-202-555-0100");
	assert_int_equal(f->nodes[flow_find_node(f, "after_hours")].u.play.next, FLOW_T_HANGUP);

	/* Offices: longest receipt prefix, else the default. */
	assert_int_equal(flow_office_for(f, "3221234567"), flow_find_office(f, "vsc2"));
	assert_int_equal(flow_office_for(f, "3229999999"), flow_find_office(f, "vsc"));
	assert_int_equal(flow_office_for(f, "999"), flow_find_office(f, "nbc"));
	assert_int_equal(flow_office_for(f, NULL), flow_find_office(f, "nbc"));

	/* Variables mentioned anywhere are interned. */
	assert_true(flow_find_var(f, "receipt") >= 0);
	assert_true(flow_find_var(f, "intent") >= 0);
	assert_int_equal(f->nvars, 2);

	assert_string_equal(flow_target_name(f, FLOW_T_BACK), "back");
	assert_string_equal(flow_target_name(f, ls), "language_select");
	assert_string_equal(flow_kind_name(FLOW_REQUEST), "request");

	/* No prompt folder: every prompt lasts 1 s and is warned about. */
	assert_int_equal(flow_prompt_ms(f, flow_find_prompt(f, "sr_done"), 1), 1000);
	assert_true(dl.nwarnings >= f->nprompts);
	assert_int_equal(dl.nerrors, 0);
	flow_free(f);
	diag_free(&dl);
}

static void test_hours(void **state)
{
	(void)state;
	diag_list dl;
	diag_init(&dl);
	flow *f = load_ok("mem/spec.flow", spec_flow, &dl);
	const flow_hours *h = &f->hours[flow_find_hours(f, "live_help")];
	/* 2026-11-30 is a Monday. */
	assert_false(flow_hours_open(h, at(2026, 11, 30, 7, 59, 59)));
	assert_true(flow_hours_open(h, at(2026, 11, 30, 8, 0, 0)));
	assert_true(flow_hours_open(h, at(2026, 11, 30, 19, 59, 59)));
	assert_false(flow_hours_open(h, at(2026, 11, 30, 20, 0, 0)));   /* half-open */
	assert_true(flow_hours_open(h, at(2026, 12, 5, 13, 0, 0)));     /* Saturday */
	assert_false(flow_hours_open(h, at(2026, 12, 5, 14, 0, 0)));
	assert_false(flow_hours_open(h, at(2026, 12, 6, 10, 0, 0)));    /* Sunday */
	assert_false(flow_hours_open(h, at(2026, 12, 25, 10, 0, 0)));   /* closed date */
	assert_true(flow_hours_open(h, at(2026, 12, 24, 10, 0, 0)));
	assert_true(flow_hours_ever_open(h));
	const flow_hours *m = &f->hours[flow_find_hours(f, "military_hours")];
	assert_true(flow_hours_open(m, at(2026, 12, 2, 9, 0, 0)));      /* Wednesday */
	assert_false(flow_hours_open(m, at(2026, 12, 1, 9, 0, 0)));     /* Tuesday */
	/* sun 22:00-02:00 runs past midnight into Monday. */
	assert_true(flow_hours_open(m, at(2026, 12, 6, 23, 0, 0)));
	assert_true(flow_hours_open(m, at(2026, 12, 7, 1, 59, 0)));
	assert_false(flow_hours_open(m, at(2026, 12, 7, 2, 0, 0)));
	assert_false(flow_hours_open(m, at(2026, 12, 5, 23, 0, 0)));    /* Saturday */
	flow_free(f);
	diag_free(&dl);
}

/* The closed dates as bits (flow.h, closed_bits) answer as the search of
 * `closed` does, every day of 1969..2028 at 10:00 and at 23:59, dates out of
 * the bits' reach (1969, 9999) included. */
static void test_hours_closed_bits(void **state)
{
	(void)state;
	diag_list dl;
	diag_init(&dl);
	static const char text[] =
		"flow t { }\n"
		"line main \"1\" { start m; hours h; closed -> hangup }\n"
		"hours h { mon-sun 00:00-24:00\n"
		"  closed 2027-12-31, 2026-01-01, 2024-02-29, 1969-12-31, 1970-01-01, 9999-12-31\n"
		"  closed 2028-01-01 }\n"
		"hours far { mon-sun 00:00-24:00; closed 1970-01-01, 2100-01-01 }\n"
		"menu m { prompt p; option 1 -> hangup }\n";
	flow *f = load_ok("mem/bits.flow", text, &dl);
	const flow_hours *h = &f->hours[flow_find_hours(f, "h")];
	assert_non_null(h->closed_bits);
	assert_int_equal(h->closed_day0, 0);
	/* 1970-01-01 .. 2100-01-01 is wider than FLOW_HOURS_BITS_SPAN. */
	assert_null(f->hours[flow_find_hours(f, "far")].closed_bits);
	flow_hours plain = *h;
	plain.closed_bits = NULL;
	int nclosed = 0;
	for (int64_t d = util_days_from_civil(1969, 1, 1); d < util_days_from_civil(2029, 1, 1); d++) {
		int64_t t1 = d * UTIL_MS_PER_DAY + 10 * 3600000LL;
		int64_t t2 = d * UTIL_MS_PER_DAY + UTIL_MS_PER_DAY - 1;
		bool o = flow_hours_open(&plain, t1);
		assert_int_equal(flow_hours_open(h, t1), o);
		assert_int_equal(flow_hours_open(h, t2), flow_hours_open(&plain, t2));
		nclosed += !o;
	}
	assert_int_equal(nclosed, 6);
	assert_false(flow_hours_open(h, at(2024, 2, 29, 12, 0, 0)));
	assert_true(flow_hours_open(h, at(2024, 3, 1, 0, 0, 0)));
	flow_free(f);
	diag_free(&dl);
}

/* A menu's first-key table (flow.h, first_key) says what a scan of the
 * options says: take, wait for more, or no match. */
static void test_menu_first_key(void **state)
{
	(void)state;
	diag_list dl;
	diag_init(&dl);
	flow *f = load_ok("mem/spec.flow", spec_flow, &dl);
	const flow_menu *m = &f->nodes[flow_find_node(f, "main")].u.menu;
	assert_non_null(m->first_key);
	assert_int_equal(m->first_key['1' - FLOW_KEY_FIRST], 0);
	assert_int_equal(m->first_key['2' - FLOW_KEY_FIRST], FLOW_KEY_MORE);
	assert_int_equal(m->first_key['0' - FLOW_KEY_FIRST], 3);
	assert_int_equal(m->first_key['9' - FLOW_KEY_FIRST], 4);
	assert_int_equal(m->first_key['*' - FLOW_KEY_FIRST], 5);
	assert_int_equal(m->first_key['#' - FLOW_KEY_FIRST], 6);
	assert_int_equal(m->first_key['3' - FLOW_KEY_FIRST], FLOW_KEY_NOMATCH);
	assert_int_equal(m->first_key['A' - FLOW_KEY_FIRST], FLOW_KEY_NOMATCH);
	assert_int_equal(m->first_key['D' - FLOW_KEY_FIRST], FLOW_KEY_NOMATCH);
	const flow_menu *ls = &f->nodes[flow_find_node(f, "language_select")].u.menu;
	assert_int_equal(ls->first_key['2' - FLOW_KEY_FIRST], 1);
	assert_int_equal(ls->first_key['5' - FLOW_KEY_FIRST], FLOW_KEY_NOMATCH);
	flow_free(f);
	diag_free(&dl);
}

static char tmpdir[64];

static void write_file(const char *rel, const char *text)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", tmpdir, rel);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void write_wav(const char *rel, int frames)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", tmpdir, rel);
	SF_INFO info = { .samplerate = 8000, .channels = 1,
	                 .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16 };
	SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
	assert_non_null(sf);
	short *z = calloc((size_t)frames, sizeof *z);
	sf_write_short(sf, z, frames);
	free(z);
	sf_close(sf);
}

static void test_prompts_and_includes(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/tierline-test-flow-XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	char path[256];
	snprintf(path, sizeof path, "%s/p", tmpdir); mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/p/en", tmpdir); mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/p/es", tmpdir); mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/sub", tmpdir); mkdir(path, 0755);
	write_file("p/en/prompts.txt", "# comment\nhello: Hello and welcome to the line\n"
	           "bye:   Good bye  \n");
	write_file("p/es/prompts.txt", "hello: Hola\n");
	write_wav("p/es/bye.wav", 12000);          /* 1.5 s */
	write_file("main.flow",
	           "flow t { languages en es; prompts \"p\" }\n"
	           "include \"sub/nodes.flow\"\n"
	           "line main \"1\" { start m }\n");
	write_file("sub/nodes.flow",
	           "include \"more.flow\"\n"
	           "menu m { prompt hello; option 1 -> b }\n");
	write_file("sub/more.flow", "play b { prompt bye missing }\n");

	snprintf(path, sizeof path, "%s/main.flow", tmpdir);
	diag_list dl;
	diag_init(&dl);
	flow *f = NULL;
	assert_int_equal(flow_load(path, &f, &dl), 0);
	assert_non_null(f);
	assert_int_equal(f->nfiles, 3);
	int hello = flow_find_prompt(f, "hello"), bye = flow_find_prompt(f, "bye");
	int missing = flow_find_prompt(f, "missing");
	assert_int_equal(flow_prompt_ms(f, hello, 0), 6 * 400);
	assert_int_equal(flow_prompt_ms(f, hello, 1), 400);
	assert_int_equal(flow_prompt_ms(f, bye, 0), 800);
	assert_int_equal(flow_prompt_ms(f, bye, 1), 1500);
	assert_non_null(f->prompts[bye].wav[1]);
	assert_null(f->prompts[bye].wav[0]);
	assert_string_equal(f->prompts[hello].text[1], "Hola");
	assert_int_equal(flow_prompt_ms(f, missing, 0), 1000);
	/* one warning: 'missing' has neither text nor audio (en, es) */
	assert_int_equal(dl.nwarnings, 1);
	assert_string_equal(dl.items[0].code, "prompt-missing");
	assert_true(strstr(dl.items[0].file, "sub/more.flow") != NULL);
	flow_free(f);
	diag_free(&dl);

	/* A cycle: more.flow includes nodes.flow again. */
	write_file("sub/more.flow", "include \"nodes.flow\"\nplay b { prompt bye }\n");
	diag_init(&dl);
	assert_int_equal(flow_load(path, &f, &dl), 1);
	assert_null(f);
	int cyc = 0;
	for (int i = 0; i < dl.n; i++)
		cyc += strcmp(dl.items[i].code, "include-cycle") == 0;
	assert_int_equal(cyc, 1);
	diag_free(&dl);

	/* Unreadable main file. */
	diag_init(&dl);
	snprintf(path, sizeof path, "%s/none.flow", tmpdir);
	assert_int_equal(flow_load(path, &f, &dl), 2);
	diag_free(&dl);

	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	assert_int_equal(system(cmd), 0);
}

static void test_errors_are_values(void **state)
{
	(void)state;
	const char *bad = "flow x {}\nline l \"1\" { start m }\n"
	                  "menu m { prompt p; option 1 -> tier_one }\nqueue tier1 {}\n";
	diag_list dl;
	diag_init(&dl);
	flow *f = (flow *)1;
	assert_int_equal(flow_load_string("b.flow", bad, strlen(bad), &f, &dl), 1);
	assert_null(f);
	assert_int_equal(dl.nerrors, 1);
	assert_string_equal(dl.items[0].message, "unknown node 'tier_one' (did you mean 'tier1'?)");
	assert_int_equal(dl.items[0].line, 3);
	assert_int_equal(dl.items[0].col, 32);
	diag_free(&dl);

	/* Two loads in one process share nothing. */
	diag_init(&dl);
	flow *a = load_ok("a.flow", spec_flow, &dl);
	flow *b = load_ok("b.flow", spec_flow, &dl);
	assert_ptr_not_equal(a->nodes, b->nodes);
	flow_free(a);
	flow_free(b);
	diag_free(&dl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_construct),
		cmocka_unit_test(test_hours),
		cmocka_unit_test(test_hours_closed_bits),
		cmocka_unit_test(test_menu_first_key),
		cmocka_unit_test(test_prompts_and_includes),
		cmocka_unit_test(test_errors_are_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* fuzz_fixture.h — the fixed flow that the scenario and call-script
 * harnesses read their input against: two lines (one with hours and a
 * closed exit), menus with multi-key, '*' and '#' options, an input, queues
 * with escalation and a request, offices, three languages.  Included by one
 * harness per binary; libFuzzer calls LLVMFuzzerInitialize once. */
#ifndef TIERLINE_FUZZ_FIXTURE_H
#define TIERLINE_FUZZ_FIXTURE_H

#include <stdlib.h>
#include <string.h>
#include "tierline/flow.h"

static const char flow_text[] =
	"flow fz {\n  languages en es fr\n}\n"
	"line main \"1-555-0100\" { start lang_menu }\n"
	"line night \"1-555-0101\" { start main_menu; hours office; closed -> night_q }\n"
	"hours office { mon-fri 08:00-18:00 }\n"
	"menu lang_menu { prompt p_lang; option 1 -> main_menu; option 2 -> spanish }\n"
	"set spanish { lang es; next -> main_menu }\n"
	"menu main_menu { prompt p_main; option 1 -> receipt; option 0 -> desk;\n"
	"  option 42 -> info; option * -> lang_menu; option # -> back; failure -> desk }\n"
	"play info { prompt p_info; next -> hangup }\n"
	"input receipt { prompt p_receipt; digits 4..6; store receipt; next -> desk; failure -> desk }\n"
	"queue desk { tier 1; escalate -> desk2; request -> sr }\n"
	"queue desk2 { tier 2; max_wait 10m -> bye }\n"
	"queue night_q { tier 1 }\n"
	"request sr { type \"t\"; office main_office; due 1d; next -> bye }\n"
	"offices { office main_office \"Main\" { receipt \"1\" } }\n"
	"play bye { prompt p_bye; next -> hangup }\n";

static flow *the_flow;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	diag_list dl;
	diag_init(&dl);
	if (flow_load_string("/nonexistent-tierline-fuzz/fz.flow", flow_text, strlen(flow_text),
	                     &the_flow, &dl) != 0)
		abort();
	diag_free(&dl);
	return 0;
}

#endif

/*
 * cmd_serve.c — `tierline serve FLOW [--scenario S] [--listen HOST:PORT]
 * [--db DB] [--seed N]`: the live engine behind an HTTP API (src/live/serve.c,
 * docs/serve.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "cli.h"
#include "tierline/flow.h"
#include "tierline/scenario.h"
#include "tierline/serve.h"

static void on_listening(void *ctx, const char *host, int port)
{
	(void)ctx;
	/* Tests read the port from this line: flush at once. */
	if (strchr(host, ':'))
		printf("listening on [%s]:%d\n", host, port);
	else
		printf("listening on %s:%d\n", host, port);
	fflush(stdout);
}

static void on_warning(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "tierline serve: %s\n", msg);
}

int cmd_serve(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		cli_help("serve");
		return 0;
	}
	const char *flow_path = NULL, *scen_path = NULL, *listen = "127.0.0.1:8080", *db = NULL,
	           *seed_s = NULL;
	const cli_opt valued[] = {
		{ "--scenario", &scen_path }, { "--listen", &listen }, { "--db", &db },
		{ "--seed", &seed_s },
	};
	if (cli_parse_valued("serve", argc, argv, valued, 4, &flow_path))
		return 2;
	if (!flow_path)
		return cli_usage_err("serve", "missing FLOW", NULL);
	char host[256];
	int port;
	if (serve_parse_listen(listen, host, sizeof host, &port) != 0) {
		fprintf(stderr, "tierline serve: --listen '%s': expected HOST:PORT (port 0-65535)\n",
		        listen);
		return 2;
	}
	uint64_t seed = 0;
	bool has_seed = false;
	if (seed_s) {
		char *end;
		errno = 0;
		unsigned long long v = strtoull(seed_s, &end, 10);
		if (!*seed_s || *end || errno || seed_s[0] == '-') {
			fprintf(stderr, "tierline serve: --seed '%s': expected a non-negative integer\n",
			        seed_s);
			return 2;
		}
		seed = v;
		has_seed = true;
	}

	diag_list dl;
	diag_init(&dl);
	flow *f = NULL;
	int rc = flow_load(flow_path, &f, &dl);
	if (rc != 0) {
		diag_sort(&dl);
		diag_print(&dl, stderr);
		if (dl.nerrors == 0)
			fprintf(stderr, "tierline serve: cannot load %s\n", flow_path);
		diag_free(&dl);
		return 2;
	}
	diag_free(&dl);
	scenario *sc = NULL;
	if (scen_path) {
		diag_init(&dl);
		rc = scen_load(scen_path, f, &sc, &dl);
		if (rc != 0) {
			diag_sort(&dl);
			diag_print(&dl, stderr);
			if (dl.nerrors == 0)
				fprintf(stderr, "tierline serve: cannot load %s\n", scen_path);
			diag_free(&dl);
			flow_free(f);
			return 2;
		}
		diag_free(&dl);
		if (!has_seed)
			seed = sc->seed;
	}
	if (!has_seed && !sc)
		seed = 1;

	json_t *opts = json_pack("{s:s,s:s?,s:s?,s:I}", "listen", listen, "scenario", scen_path,
	                         "db", db, "seed", (json_int_t)seed);
	char *opts_txt = opts ? json_dumps(opts, JSON_COMPACT) : NULL;
	json_decref(opts);

	serve_opts o = { 0 };
	o.host = host;
	o.port = port;
	o.flow_path = flow_path;
	o.scen = sc;
	o.scenario_path = scen_path;
	o.seed = seed;
	o.db_path = db;
	o.options_json = opts_txt;
	o.on_listening = on_listening;
	o.on_warning = on_warning;
	char err[512];
	rc = serve_run(f, &o, err, sizeof err);
	if (rc != 0)
		fprintf(stderr, "tierline serve: %s\n", err);
	free(opts_txt);
	scen_free(sc);
	flow_free(f);
	return rc;
}

/*
 * cmd_dtmf.c — `tierline dtmf detect FILE.wav [--json]` and
 * `tierline dtmf gen KEYS FILE.wav [--tone 100ms] [--gap 100ms] [--level -10]
 * [--lead 500ms] [--noise -40] [--seed N]`.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "cli.h"
#include "tierline/dtmf.h"

/* "100ms", "0.1s", "1s" or a bare number of ms; -1 when malformed. */
static int parse_ms(const char *s)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || errno || !isfinite(v) || v < 0)
		return -1;
	if (strcmp(end, "s") == 0)
		v *= 1000.0;
	else if (*end && strcmp(end, "ms") != 0)
		return -1;
	if (v > 600000.0)
		return -1;
	return (int)lround(v);
}

static int parse_db(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || errno || !isfinite(v) ||
	    (*end && strcmp(end, "dBm0") != 0 && strcmp(end, "dB") != 0))
		return -1;
	*out = v;
	return 0;
}

static int usage_error(const char *msg, const char *arg)
{
	if (arg)
		fprintf(stderr, "tierline dtmf: %s '%s'\n", msg, arg);
	else
		fprintf(stderr, "tierline dtmf: %s\n", msg);
	cli_usage(stderr, "dtmf");
	return 2;
}

static int dtmf_detect_cmd(int argc, char **argv)
{
	const char *path = NULL;
	int json = 0;
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (argv[i][0] == '-' && argv[i][1])
			return usage_error("unknown option", argv[i]);
		else if (!path)
			path = argv[i];
		else
			return usage_error("unexpected argument", argv[i]);
	}
	if (!path)
		return usage_error("detect needs FILE.wav", NULL);
	dtmf_hit *h = NULL;
	int n = 0;
	char err[512] = "";
	if (dtmf_detect_file(path, &h, &n, err, sizeof err) < 0) {
		fprintf(stderr, "tierline dtmf: %s\n", err);
		return 2;
	}
	if (json) {
		json_t *arr = json_array();
		for (int i = 0; arr && i < n; i++) {
			char key[2] = { h[i].key, '\0' };
			json_array_append_new(arr, json_pack("{s:s, s:f, s:f}", "key", key,
			        "start", h[i].on_ms / 1000.0,
			        "duration", (h[i].off_ms - h[i].on_ms) / 1000.0));
		}
		char *s = arr ? json_dumps(arr, JSON_REAL_PRECISION(6)) : NULL;
		json_decref(arr);
		if (!s) {
			free(h);
			fprintf(stderr, "tierline dtmf: out of memory\n");
			return 2;
		}
		puts(s);
		free(s);
	} else {
		for (int i = 0; i < n; i++)
			printf("%.3f %c %.3f\n", h[i].on_ms / 1000.0, h[i].key,
			       (h[i].off_ms - h[i].on_ms) / 1000.0);
	}
	free(h);
	return 0;
}

static int dtmf_gen_cmd(int argc, char **argv)
{
	dtmf_gen_opts o;
	dtmf_gen_defaults(&o);
	const char *pos[2] = { NULL, NULL };
	int npos = 0;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		bool has_val = i + 1 < argc;
		if (strcmp(a, "--tone") == 0 || strcmp(a, "--gap") == 0 || strcmp(a, "--lead") == 0) {
			if (!has_val)
				return usage_error("missing value for", a);
			int ms = parse_ms(argv[++i]);
			if (ms < 0)
				return usage_error("bad duration", argv[i]);
			if (a[2] == 't')
				o.tone_ms = ms;
			else if (a[2] == 'g')
				o.gap_ms = ms;
			else
				o.lead_ms = ms;
		} else if (strcmp(a, "--level") == 0 || strcmp(a, "--noise") == 0) {
			if (!has_val)
				return usage_error("missing value for", a);
			double v;
			if (parse_db(argv[++i], &v) < 0)
				return usage_error("bad level", argv[i]);
			if (a[2] == 'l') {
				o.level_dbm0 = v;
			} else {
				o.noise = true;
				o.noise_dbm0 = v;
			}
		} else if (strcmp(a, "--seed") == 0) {
			if (!has_val)
				return usage_error("missing value for", a);
			char *end;
			unsigned long v = strtoul(argv[++i], &end, 10);
			if (!*argv[i] || *end || v > 0xFFFFFFFFul)
				return usage_error("bad seed", argv[i]);
			o.seed = (uint32_t)v;
		} else if (strncmp(a, "--", 2) == 0 && a[2]) {
			return usage_error("unknown option", a);
		} else if (npos < 2) {
			pos[npos++] = a;
		} else {
			return usage_error("unexpected argument", a);
		}
	}
	if (npos < 2)
		return usage_error("gen needs KEYS and FILE.wav", NULL);
	char err[512] = "";
	if (dtmf_generate_file(pos[0], pos[1], &o, err, sizeof err) < 0) {
		fprintf(stderr, "tierline dtmf: %s\n", err);
		return 2;
	}
	return 0;
}

int cmd_dtmf(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		cli_help("dtmf");
		return 0;
	}
	if (argc < 2)
		return usage_error("missing subcommand (detect or gen)", NULL);
	if (strcmp(argv[1], "detect") == 0)
		return dtmf_detect_cmd(argc, argv);
	if (strcmp(argv[1], "gen") == 0)
		return dtmf_gen_cmd(argc, argv);
	return usage_error("unknown subcommand", argv[1]);
}

/* cmd_graph.c — `tierline graph FLOW [-o out.dot|out.svg] [--coverage DB [--run ID]]`.
 *
 * DOT on stdout, or into a file; `-o x.svg` pipes the DOT through Graphviz
 * `dot -Tsvg` (exit 2 with a clear message when dot is not installed).
 * --coverage DB [--run ID] draws how many stored calls of a run (default:
 * the latest) visited each node and took each edge, from store_coverage().
 * Edge counts are node-to-node transitions, so two edges of one node that
 * lead to the same node show the same count; built-in targets (hangup,
 * back, top, repeat) have no node to count and show none.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tierline/flow.h"
#include "tierline/store.h"
#include "cli.h"

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcmp(s + n - k, suffix) == 0;
}

static bool dot_on_path(void)
{
	const char *path = getenv("PATH");
	if (!path)
		return false;
	char dir[4096];
	while (*path) {
		const char *colon = strchr(path, ':');
		size_t n = colon ? (size_t)(colon - path) : strlen(path);
		if (n > 0 && n < sizeof dir - 5) {
			memcpy(dir, path, n);
			memcpy(dir + n, "/dot", 5);
			if (access(dir, X_OK) == 0)
				return true;
		}
		path += n;
		if (*path == ':')
			path++;
	}
	return false;
}

/* Feed the DOT text to `dot -Tsvg -o OUT`. */
static int write_svg(const buf *dot, const char *out)
{
	int fd[2];
	if (pipe(fd) != 0) {
		fprintf(stderr, "tierline graph: pipe: %s\n", strerror(errno));
		return 2;
	}
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "tierline graph: fork: %s\n", strerror(errno));
		close(fd[0]);
		close(fd[1]);
		return 2;
	}
	if (pid == 0) {
		dup2(fd[0], 0);
		close(fd[0]);
		close(fd[1]);
		execlp("dot", "dot", "-Tsvg", "-o", out, (char *)NULL);
		_exit(127);
	}
	close(fd[0]);
	size_t off = 0;
	while (off < dot->len) {
		ssize_t w = write(fd[1], dot->p + off, dot->len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		off += (size_t)w;
	}
	close(fd[1]);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "tierline graph: dot -Tsvg failed writing '%s'\n", out);
		return 2;
	}
	return 0;
}

typedef struct cov_ctx {
	const flow *f;
	const store_cov *cv;
} cov_ctx;

static int cov_cmp_edge(const store_cov_edge *e, const char *from, const char *to)
{
	int c = strcmp(e->from, from);
	return c ? c : strcmp(e->to, to);
}

/* Transitions from node `from` along edge e (edges are sorted by from, to). */
static int64_t cov_edge_count(void *ctx, int from, const flow_edge *e)
{
	const cov_ctx *c = ctx;
	if (e->target < 0 || from < 0)
		return -1;
	const char *a = c->f->nodes[from].name, *b = c->f->nodes[e->target].name;
	int lo = 0, hi = c->cv->nedges - 1;
	while (lo <= hi) {
		int m = (lo + hi) / 2, k = cov_cmp_edge(&c->cv->edges[m], a, b);
		if (k == 0)
			return c->cv->edges[m].n;
		if (k < 0)
			lo = m + 1;
		else
			hi = m - 1;
	}
	return 0;
}

/* Load coverage of run `run` (NULL: latest) from db into visits[nnodes]. */
static int load_coverage(const flow *f, const char *db, const char *run, store_cov *cv,
                         int64_t *visits)
{
	char *end;
	int64_t run_id = 0;
	if (run) {
		run_id = strtoll(run, &end, 10);
		if (!*run || *end || run_id <= 0) {
			fprintf(stderr, "tierline graph: --run: '%s' is not a run id\n", run);
			return 2;
		}
	}
	store *s = NULL;
	char err[512];
	if (store_open_flags(db, STORE_READONLY_OPEN, 2000, &s, err, sizeof err) != 0) {
		fprintf(stderr, "tierline graph: %s\n", err);
		return 2;
	}
	store_run_info ri;
	if (store_run_get(s, run_id, &ri) != 0 || store_coverage(s, ri.id, cv) != 0) {
		fprintf(stderr, "tierline graph: %s\n", store_errmsg(s));
		store_close(s);
		return 2;
	}
	store_close(s);
	for (int i = 0; i < cv->nnodes; i++) {
		int v = flow_find_node(f, cv->nodes[i].node);
		if (v >= 0)
			visits[v] = cv->nodes[i].visits;
	}
	return 0;
}

int cmd_graph(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		cli_help("graph");
		return 0;
	}
	const char *path = NULL, *out = NULL, *coverage = NULL, *run = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-o") == 0 || strcmp(a, "--coverage") == 0 || strcmp(a, "--run") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "tierline graph: '%s' needs a value\n", a);
				cli_usage(stderr, "graph");
				return 2;
			}
			const char **slot = a[1] == 'o' ? &out : a[2] == 'c' ? &coverage : &run;
			*slot = argv[++i];
		} else if (a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "tierline graph: unknown option '%s'\n", a);
			cli_usage(stderr, "graph");
			return 2;
		} else if (!path) {
			path = a;
		} else {
			fprintf(stderr, "tierline graph: too many arguments ('%s')\n", a);
			cli_usage(stderr, "graph");
			return 2;
		}
	}
	if (!path) {
		cli_usage(stderr, "graph");
		return 2;
	}
	if (run && !coverage) {
		fprintf(stderr, "tierline graph: --run needs --coverage DB\n");
		return 2;
	}
	bool svg = out && ends_with(out, ".svg");
	if (out && !svg && !ends_with(out, ".dot") && !ends_with(out, ".gv")) {
		fprintf(stderr, "tierline graph: -o takes a .dot or .svg file, not '%s'\n", out);
		return 2;
	}
	if (svg && !dot_on_path()) {
		fprintf(stderr, "tierline graph: writing SVG needs Graphviz 'dot', which is not on "
		        "PATH; install graphviz or use -o %s.dot\n", "FILE");
		return 2;
	}

	diag_list dl;
	diag_init(&dl);
	flow *f = NULL;
	int r = flow_load(path, &f, &dl);
	diag_sort(&dl);
	diag_print(&dl, stderr);
	diag_free(&dl);
	if (r != 0)
		return r == 2 ? 2 : 1;

	buf dot;
	buf_init(&dot);
	if (coverage) {
		store_cov cv;
		memset(&cv, 0, sizeof cv);
		int64_t *visits = calloc((size_t)(f->nnodes ? f->nnodes : 1), sizeof *visits);
		int st = visits ? load_coverage(f, coverage, run, &cv, visits) : 2;
		if (st != 0) {
			free(visits);
			flow_free(f);
			buf_free(&dot);
			return st;
		}
		cov_ctx cc = { f, &cv };
		flow_graph_counts counts = { visits, cov_edge_count, &cc };
		flow_write_dot(f, &counts, &dot);
		store_coverage_free(&cv);
		free(visits);
	} else {
		flow_write_dot(f, NULL, &dot);
	}
	flow_free(f);
	int status = 0;
	if (svg) {
		status = write_svg(&dot, out);
	} else if (out) {
		FILE *fp = fopen(out, "w");
		if (!fp || fwrite(dot.p, 1, dot.len, fp) != dot.len) {
			fprintf(stderr, "tierline graph: cannot write '%s': %s\n", out, strerror(errno));
			status = 2;
		}
		if (fp && fclose(fp) != 0 && status == 0) {
			fprintf(stderr, "tierline graph: cannot write '%s': %s\n", out, strerror(errno));
			status = 2;
		}
	} else {
		fwrite(dot.p, 1, dot.len, stdout);
	}
	buf_free(&dot);
	return status;
}

/* cmd_graph.c — `tierline graph FLOW [-o out.dot|out.svg] [--coverage DB [--run ID]]`.
 *
 * DOT on stdout, or into a file; `-o x.svg` pipes the DOT through Graphviz
 * `dot -Tsvg` (exit 2 with a clear message when dot is not installed).
 * --coverage is parsed now and answered plainly until the stored records
 * can supply counts (flow_graph_counts is the hook for them).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tierline/flow.h"
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

int cmd_graph(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		cli_usage(stdout, "graph");
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
	if (coverage) {
		fprintf(stderr, "tierline graph: coverage needs the SQLite records (issue 6), "
		        "which this build does not have yet\n");
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
	flow_write_dot(f, NULL, &dot);
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

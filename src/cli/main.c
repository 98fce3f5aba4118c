/*
 * main.c — tierline's entry point: dispatch to a subcommand.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>
#include "cli.h"

static void usage(FILE *out)
{
	fputs("usage: tierline COMMAND [ARGS...]\n\n"
	      "tierline is an IVR call-flow engine with a tiered-escalation simulator.\n\n"
	      "commands:\n", out);
	for (const cli_command *c = cli_commands; c->name; c++)
		fprintf(out, "  %-9s %s\n", c->name, c->summary);
	fputs("\n'tierline COMMAND --help' describes a command; 'tierline --version' prints the version.\n",
	      out);
}

/* Started with standard input, output or error closed (`<&-`, `>&-`), the
 * next file opened would take that number: a call script or a report
 * would then receive what was printed to stdout, and epoll's own fd
 * would be taken for the keyboard.  Each closed one is held by /dev/null
 * opened read-only, which keeps every behaviour of a closed descriptor
 * (reads end at once, writes fail with EBADF and exit 2 as before) while
 * nothing else can land there.  SQLite guards its files the same way. */
static void hold_std_fds(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		int n = open("/dev/null", O_RDONLY);
		if (n >= 0 && n != fd)
			close(n);         /* cannot happen: the lowest free number is fd */
	}
}

int main(int argc, char **argv)
{
	hold_std_fds();
	/* SQLite's memory statistics take a process-wide mutex on every
	 * allocation; tierline never reads them.  Process-wide, so set here,
	 * before any database is opened. */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		const cli_command *c = argc > 2 ? cli_find(argv[2]) : NULL;
		if (c) {
			/* `help X` is `X --help`: the same text, options and all */
			char *hargv[] = { argv[2], "--help", NULL };
			return c->run(2, hargv);
		}
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("tierline %s\n", TIERLINE_VERSION);
		return 0;
	}
	const cli_command *c = cli_find(argv[1]);
	if (!c) {
		fprintf(stderr, "tierline: unknown command '%s'\n", argv[1]);
		usage(stderr);
		return 2;
	}
	int rc = c->run(argc - 1, argv + 1);
	/* Output for people and --json goes through stdio: a full disk or a
	 * closed descriptor shows only here, and a run whose figures never
	 * reached the file must not exit 0. */
	int e = fflush(stdout) != 0 ? errno : 0;
	if (ferror(stdout)) {
		fprintf(stderr, "tierline %s: cannot write the output: %s\n", argv[1],
		        e ? strerror(e) : "write error");
		if (rc == 0)
			rc = 2;
	}
	return rc;
}

/* cmd_check.c — `tierline check`. */
#include <stdio.h>
#include "cli.h"

int cmd_check(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		cli_usage(stdout, "check");
		return 0;
	}
	return cli_not_built("check", 2);
}

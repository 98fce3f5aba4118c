/* cmd_call.c — `tierline call`. */
#include <stdio.h>
#include "cli.h"

int cmd_call(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		cli_usage(stdout, "call");
		return 0;
	}
	return cli_not_built("call", 3);
}

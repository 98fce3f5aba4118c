/* cmd_erlang.c — `tierline erlang`. */
#include <stdio.h>
#include "cli.h"

int cmd_erlang(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		cli_usage(stdout, "erlang");
		return 0;
	}
	return cli_not_built("erlang", 5);
}

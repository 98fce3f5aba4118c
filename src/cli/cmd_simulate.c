/* cmd_simulate.c — `tierline simulate`. */
#include <stdio.h>
#include "cli.h"

int cmd_simulate(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		cli_usage(stdout, "simulate");
		return 0;
	}
	return cli_not_built("simulate", 5);
}

/* cmd_dtmf.c — `tierline dtmf`. */
#include <stdio.h>
#include "cli.h"

int cmd_dtmf(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		cli_usage(stdout, "dtmf");
		return 0;
	}
	return cli_not_built("dtmf", 3);
}

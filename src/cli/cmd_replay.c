/* cmd_replay.c — `tierline replay`. */
#include <stdio.h>
#include "cli.h"

int cmd_replay(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		cli_usage(stdout, "replay");
		return 0;
	}
	return cli_not_built("replay", 3);
}

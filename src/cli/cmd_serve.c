/* cmd_serve.c — `tierline serve`. */
#include <stdio.h>
#include "cli.h"

int cmd_serve(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		cli_usage(stdout, "serve");
		return 0;
	}
	return cli_not_built("serve", 3);
}

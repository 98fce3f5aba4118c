/* cmd_graph.c — `tierline graph`. */
#include <stdio.h>
#include "cli.h"

int cmd_graph(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		cli_usage(stdout, "graph");
		return 0;
	}
	return cli_not_built("graph", 2);
}

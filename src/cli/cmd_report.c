/* cmd_report.c — `tierline report`. */
#include <stdio.h>
#include "cli.h"

int cmd_report(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		cli_usage(stdout, "report");
		return 0;
	}
	return cli_not_built("report", 6);
}

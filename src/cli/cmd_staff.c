/* cmd_staff.c — `tierline staff`. */
#include <stdio.h>
#include "cli.h"

int cmd_staff(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		cli_usage(stdout, "staff");
		return 0;
	}
	return cli_not_built("staff", 5);
}

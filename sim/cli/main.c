/* main.c -- the dsim program: picks the subcommand named by argv[1].
 *
 * A placeholder until the command table arrives; it knows `dsim check` only, and keeps
 * the old behaviour (printing the program's name) for anything else.
 */
#include <stdio.h>
#include <string.h>
#include "cli/cmd_check.h"

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "check") == 0) return cmd_check(argc - 1, argv + 1);
    puts("dsim");
    return 0;
}

/* cmd_check.h -- `dsim check`: is a history file linearizable under a model?
 *
 * One entry point, called by the command table in main.c with argv[0] == "check".
 * Exit status: 0 linearizable, 1 not linearizable, 2 bad input (flags, file, history),
 * 3 unknown (the time or memory bound stopped the search).
 */
#ifndef SIM_CLI_CMD_CHECK_H
#define SIM_CLI_CMD_CHECK_H

enum {
    CHECK_EXIT_OK = 0,          /* linearizable */
    CHECK_EXIT_VIOLATED = 1,    /* not linearizable */
    CHECK_EXIT_INPUT = 2,       /* bad input: message on stderr, nothing on stdout */
    CHECK_EXIT_UNKNOWN = 3,     /* a bound stopped the search */
};

int cmd_check(int argc, char **argv);

#endif

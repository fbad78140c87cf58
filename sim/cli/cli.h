/* cli.h -- the dsim program's commands and the helpers they share.
 *
 * Each command is a function taking (argc, argv) with argv[0] its own name; it prints
 * its own errors and returns the exit status: 0 success, 2 bad input (a flag, a file),
 * and command-specific codes documented in its help.
 */
#ifndef DSIM_CLI_H
#define DSIM_CLI_H

#include <stdbool.h>
#include "core/base.h"

typedef struct cli_cmd {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;       /* one line for `dsim help` */
    const char *usage;         /* the full text for `dsim help NAME` */
} cli_cmd_t;

extern const cli_cmd_t cli_commands[];     /* terminated by {NULL} */

/* Flags: a table of names (with their leading dashes) and whether each takes a value.
 * cli_parse fills values[i] (or "" for a switch) for each flag given and collects the
 * other arguments in positional[]. On a mistake it prints a message naming the command
 * and returns SIM_EINPUT. */
typedef struct cli_flag { const char *name; bool takes_value; } cli_flag_t;
int cli_parse(const char *cmd, int argc, char **argv, const cli_flag_t *flags,
              const char **values, const char **positional, int *n_positional, int max_positional);
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
double cli_wall_seconds(void);             /* monotonic, for wall_seconds only */
uint64_t cli_peak_rss_bytes(void);

/* Plug-ins loaded by --plugin (main.c), and the flags that load them again, for the
 * replay commands that reports print (" --plugin x.so", or ""). */
struct proto;
extern const struct proto *cli_plugins[];
extern int cli_n_plugins;
extern char cli_plugin_args[];

int cmd_new(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_validate(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_help(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_swarm(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_lesson(int argc, char **argv);

#endif

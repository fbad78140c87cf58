/* override.h -- `--set PATH=VALUE`: changing a scenario's values before the loader sees them.
 *
 * An override edits the parsed JSON, not the loaded scn_t, so that everything the
 * loader checks (types, ranges, names, the relations between keys) is checked for
 * overridden values exactly as for written ones, and a mistake is reported with the
 * file, the JSON path, what was expected and what was found. PATH is dotted
 * ("protocol.params.r"), with [N] to index a list ("faults[0].at"); objects missing on
 * the way are created. VALUE is read as JSON when it is JSON (2, 0.05, true, {"a": 1})
 * and as a string otherwise (10s, lww), so no shell quoting of strings is needed.
 */
#ifndef SIM_SCENARIO_OVERRIDE_H
#define SIM_SCENARIO_OVERRIDE_H

#include "scenario/scenario.h"

#define SCN_SETS_MAX 64            /* --set flags on one command line */

/* Takes every "--set PATH=VALUE" (or "--set=PATH=VALUE") out of argv, shifting the
 * rest down and lowering *argc, and puts the PATH=VALUE strings into sets (at most
 * SCN_SETS_MAX). "--durable-dir DIR" is taken as the override of a Maelstrom run's
 * protocol.params.durable_dir, DIR read from the current folder. Returns SIM_OK, or
 * SIM_EINPUT with one sentence in err. */
int scn_take_sets(int *argc, char **argv, const char **sets, uint32_t *n_sets, char *err, size_t err_len);

/* Splits "PATH=VALUE" and checks PATH's spelling (not whether the scenario has it).
 * Returns SIM_OK, or SIM_EINPUT with one sentence in err. */
int scn_set_check(const char *spec, char *err, size_t err_len);

/* Reads the scenario file and returns its text with every override applied (malloc'd,
 * the caller frees), or NULL with one line in err. A file that is not valid JSON is
 * returned unchanged, so the loader reports its syntax error as usual. */
char *scn_text_with_sets(const char *path, const char *const *sets, uint32_t n_sets, char *err, size_t err_len);

/* The same from text already read: path is only used in messages. */
char *scn_text_apply_sets(const char *text, const char *path, const char *const *sets, uint32_t n_sets,
                          char *err, size_t err_len);

/* scn_load_file with overrides. With n_sets == 0 it is scn_load_file. A loader
 * message about an overridden value says which --set gave it. */
int scn_load_file_with_sets(const char *path, const char *const *sets, uint32_t n_sets, scn_t *out,
                            char *err, size_t err_len);

#endif

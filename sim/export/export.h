/* export.h -- `dsim run F --export DIR`: one run as a folder of tables, pictures and plots.
 *
 * The bundle is for coursework: files a student opens in a spreadsheet, pandas or R,
 * plots they can restyle, and formats other tools read (ShiViz, Jepsen's Knossos and
 * Elle). Its README.md says what every file and column is.
 *
 * Everything is collected while the run goes, by a trace listener (exp_trace, given to
 * sim_opts_t.trace so what nodes do while they initialize is seen too) and, at the end,
 * from the run's history and summary: never by reading back dsim's own output.
 *
 * Complete or nothing. The files are written into a temporary directory beside DIR,
 * which is renamed to DIR only when every file is complete:
 *
 *   exp_create ── checks DIR, makes DIR/../.DIR.tmp-XXXXXX
 *   (the run, with exp_trace listening)
 *   exp_commit ── writes the files, renders the plots, then
 *                 DIR absent:            rename(tmp, DIR)
 *                 DIR a previous bundle: swap the two (renameat2 RENAME_EXCHANGE), remove the old
 *   exp_destroy ─ removes the temporary directory if it is still there
 *
 * A previous bundle is recognised by the marker file EXP_MARKER inside it; anything else
 * at DIR (a file, a symbolic link, a directory dsim did not write, a device) is refused
 * before the run starts and is never touched.
 */
#ifndef SIM_EXPORT_EXPORT_H
#define SIM_EXPORT_EXPORT_H

#include "core/sim.h"

#define EXP_MARKER ".dsim-export"
#define EXP_INTERVAL_NS_DEFAULT (100 * SIM_MS)
#define EXP_INTERVALS_MAX 1000000          /* rows of timeseries.csv */
#define EXP_SHIVIZ_NODES_MAX 256           /* vector clocks beyond this are too wide to read */
#define EXP_SAMPLED_SERVERS_MAX 32         /* keys per node in timeseries.csv up to this many servers */

typedef struct exp_opts {
    const char *dir;                       /* the bundle to write */
    sim_time_t interval_ns;                /* timeseries.csv's step; 0: the default */
    bool trace;                            /* also write trace.jsonl */
    const char *command;                   /* the command line, for the README */
} exp_opts_t;

typedef struct exp exp_t;

/* Checks DIR and makes the temporary directory beside it. scn is the scenario the run
 * will use. Returns NULL with one line in err naming DIR when DIR exists and is not a
 * previous bundle, or the temporary directory cannot be made. */
exp_t *exp_create(const scn_t *scn, const exp_opts_t *o, char *err, size_t err_len);
/* The trace listener (a trace_fn, ud = the exp_t). */
void exp_trace(void *x, const trace_rec_t *r);
/* Another listener that exp_trace passes every record on to (dsim run's --trace). */
void exp_chain(exp_t *x, trace_fn fn, void *ud);
/* Call once the sim exists: opens trace.jsonl when asked. SIM_OK or SIM_EIO. */
int exp_attach(exp_t *x, const sim_t *s, char *err, size_t err_len);
/* The timeseries step. Whoever drives the run may call exp_sample at the end of each
 * interval (after sim_run_until(s, k * step), and at the run's end): it records what
 * each server holds (keys_held) for timeseries.csv. */
sim_time_t exp_interval(const exp_t *x);
void exp_sample(exp_t *x, sim_t *s);

/* Writes every file from what was collected, the finished sim s and its summary (the
 * --json object, one line), renders the plots and moves the bundle into place.
 * Returns SIM_OK, or SIM_EIO / SIM_EINPUT with one line in err, and then DIR is as it
 * was. Messages for people (gnuplot missing) go to note, "" when none. */
int exp_commit(exp_t *x, sim_t *s, const char *summary_json, char *err, size_t err_len, char *note, size_t note_len);
/* Frees x and removes the temporary directory if the bundle was not committed. */
void exp_destroy(exp_t *x);

/* Removes a directory tree without following symbolic links. Returns SIM_OK or SIM_EIO. */
int exp_remove_tree(const char *dir);

#endif

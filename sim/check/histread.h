/* histread.h -- reading histories from files: dsim JSON lines or Jepsen-style EDN lines.
 *
 * `dsim check` judges histories that come from dsim runs, from Jepsen tests and from
 * other checkers' test suites (Porcupine's kv histories), so the reader accepts both
 * one-JSON-object-per-line and one-EDN-map-per-line and tells them apart by the first
 * line. A history file is input from a person: every problem is reported as
 * "file:line: expected ..., found ..." and never crashes or is skipped silently.
 *
 *   {"process": 3, "type": "invoke", "f": "write", "key": "k1", "value": 7, "time_ns": 120}
 *   {:process 0, :type :invoke, :f :append, :key "0", :value "x 0 0 y"}
 *
 * Rules beyond the syntax (each a clear error when broken):
 *   - a process has at most one operation outstanding: a second invoke before the first
 *     completes is refused, and so is a completion (ok, fail, info) with none outstanding;
 *   - a completion repeats its invoke's "f" and "key";
 *   - JSON lines carry "time_ns" on every line or on none, and times never decrease;
 *     EDN lines carry no times: the line's index (0-based, blank lines included) is used.
 * Lines whose process is "nemesis" (Jepsen's fault injector) are skipped: they are
 * faults, not client operations. Fields the reader does not know (Jepsen's :time,
 * :index, :error) are parsed and ignored. Integers in JSON must be exact doubles
 * (magnitude at most 2^53), because that is what JSON parsers keep.
 */
#ifndef SIM_HISTREAD_H
#define SIM_HISTREAD_H

#include <stdio.h>
#include "core/history.h"

#define HIST_LINE_BYTES_MAX (1u << 20)  /* one line of a history file */
#define HIST_FNAME_BYTES_MAX 64         /* one function name, including the terminator */
#define HIST_KEY_BYTES_MAX   256        /* one key name, including the terminator */
#define HIST_EDN_DEPTH_MAX   8          /* nesting of EDN vectors and maps in one line */

/* Reads the file at path into h, which must be freshly initialized (hist_init).
 * Returns SIM_OK; or SIM_EINPUT, SIM_EIO or SIM_ELIMIT with a one-line message in err
 * naming the file and line. On error h may hold part of the file: hist_free it. */
int hist_read_file(const char *path, hist_t *h, char *err, size_t err_len);

/* The same for an open stream; name is used in messages ("-" for standard input). */
int hist_read_stream(FILE *f, const char *name, hist_t *h, char *err, size_t err_len);

#endif

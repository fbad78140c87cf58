/* fuzz_history.c -- libFuzzer harness: the history reader (JSON lines and EDN lines),
 * then every checker on what it read.
 *
 * A history file is input from a person, so the reader must answer any bytes with a
 * "file:line: expected ..." message or a history. The checkers then see histories no
 * simulation would produce (odd values, unpaired operations at the end, huge keys);
 * linearizability runs only on short ones, with a memory bound, because its search is
 * exponential by nature. Run by make fuzz.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "check/checks.h"
#include "check/histread.h"
#include "check/lincheck.h"
#include "check/visibility.h"

#define FUZZ_INPUT_MAX  (1u << 16)
#define FUZZ_LIN_EV_MAX 64          /* events the linearizability search is given */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_INPUT_MAX || size == 0) return 0;
    FILE *f = fmemopen((void *)data, size, "r");
    if (!f) return 0;
    hist_t h;
    hist_init(&h);
    char err[1024];
    if (hist_read_stream(f, "(fuzz)", &h, err, sizeof err) == SIM_OK) {
        chk_session_report_t se;
        chk_session(&h, &se, err, sizeof err);
        chk_set_report_t st;
        if (chk_set_full(&h, &st, err, sizeof err) == SIM_OK) chk_set_free(&st);
        chk_counter_report_t co;
        chk_counter(&h, &co, err, sizeof err);
        chk_stale_report_t sr;
        chk_stale_reads(&h, &sr, err, sizeof err);
        vis_result_t vr;
        sim_time_t t[2] = {0, SIM_MS};
        vis_compute(&h, t, 2, &vr);
        if (h.n_ev <= FUZZ_LIN_EV_MAX) {
            lin_limits_t lim = {0, 64u << 20, 2000000};     /* steps, not seconds: the same verdict every time */
            for (int m = 0; lin_model_names[m]; m++) {
                lin_result_t r;
                lin_check(&h, (lin_model_t)m, &lim, &r);
                lin_result_free(&r);
            }
        }
    }
    hist_free(&h);
    fclose(f);
    return 0;
}

/* plot.h -- plots as a student can restyle them: data, an editable gnuplot script, and
 * the SVG and PNG that script draws.
 *
 * dsim does not draw these plots itself: it writes each one's data as a whitespace
 * table (NAME.dat, columns named in a "#" line) and a gnuplot script (NAME.gp) that
 * draws NAME.svg and NAME.png from it, then runs gnuplot once over every script when
 * gnuplot is installed. Changing a colour or a label is then editing one line of a
 * script and running `gnuplot NAME.gp`, not learning dsim's code. Without gnuplot the
 * data and scripts are still written and the caller says how to render them.
 */
#ifndef SIM_EXPORT_PLOT_H
#define SIM_EXPORT_PLOT_H

#include <stdbool.h>
#include <stdio.h>

#define PLOT_W_PX 900
#define PLOT_H_PX 500

/* Opens DIR/NAME.gp and writes its head: a comment saying what it draws, the data
 * file's conventions, the title and the axis labels. The caller writes settings
 * (set object ..., set logscale ...) and then the plot command between
 * plot_script_begin_plot and plot_script_end, which repeats it for SVG and PNG.
 * Returns NULL when the file cannot be created. */
FILE *plot_script_open(const char *dir, const char *name, const char *what, const char *title,
                       const char *xlabel, const char *ylabel);
void plot_script_begin_plot(FILE *f, const char *name);   /* then write "plot ..." lines */
int plot_script_end(FILE *f);                             /* closes; SIM_OK or SIM_EIO */

/* The gnuplot program: $DSIM_GNUPLOT when set (empty: none), else "gnuplot" when it is
 * on PATH. NULL when there is none. */
const char *plot_gnuplot(void);

/* Runs gnuplot in dir over the scripts (names relative to dir). Returns SIM_OK, or
 * SIM_EIO with one sentence in err (gnuplot's own messages went to stderr). */
int plot_render(const char *dir, const char *const *scripts, int n, char *err, size_t err_len);

/* The message printed when gnuplot is missing: how to install it and how to render. */
void plot_how_to_render(FILE *out, const char *plots_dir);

#endif

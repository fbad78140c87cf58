#!/bin/sh
# lesson_pair_tmux.sh -- drives the two-scenario lesson `strong-against-eventual` end to
# end in an 80x24 terminal.
#
#   usage: lesson_pair_tmux.sh DSIM STATE_DIR
#
# Both runs must be on the screen in two columns, one partition typed once must reach
# both, and the numeric answers are read off the screen as a student reads them (the
# highlighted figures under the two columns, and B's stale reads in its column), so
# a number the screen does not show fails the test.
dsim=$1 state=$2 tag=lesson_pair_tmux
. "$(dirname "$0")/tmux_support.sh"
start_lesson strong-against-eventual
# The number after "LABEL = " on the screen.
read_number() { tmux capture-pane -p -t $s | sed -n "s/.*$1 = \([0-9.]*\).*/\1/p" | tail -1; }
narrow() {
    [ "$(tmux capture-pane -p -t $s | perl -CS -ne 'chomp; print "$_\n" if length > 80' | wc -l)" -eq 0 ] || { echo "wider than 80"; tmux capture-pane -p -t $s; exit 1; }
}

want "step 1 of 4: two stores"
want "A raft-side (raft)"
want "| B quorum-r1w1-side (quorum)"
narrow
type "answer a"
want "Right: this is the L against C"
type ""
want "step 2 of 4"
type "partition n1,n2 | n3,n4,n5"
type "run 2s"
want "Goal reached."
narrow
# The partition reached both sides (the roles line shows the groups apart), and the
# quorum side stays far more available than Raft.
want "| n3 "
want "0 refused"
f=$(read_number "A fraction ok in the partition")
g=$(read_number "B fraction ok in the partition")
[ -n "$f" ] && [ -n "$g" ] || { echo "no fractions on the screen"; tmux capture-pane -p -t $s; exit 1; }
awk "BEGIN { exit !($g > $f + 0.2) }" || { echo "the quorum side ($g) should stay far more available than Raft ($f)"; exit 1; }
type "answer a"
want "Right. That is CAP"
type ""
want "step 3 of 4"
# The count waits for the answer ("reveal": "after"): it is read off B's column.
tmux capture-pane -p -t $s | grep -q "B stale reads =" && { echo "B's stale reads shown before the answer"; tmux capture-pane -p -t $s; exit 1; }
n=$(tmux capture-pane -p -t $s | sed -n "s/.*| *stale reads: \([0-9]*\) of.*/\1/p" | tail -1)
[ -n "$n" ] && [ "$n" -gt 0 ] || { echo "no stale reads for B on the screen"; tmux capture-pane -p -t $s; exit 1; }
type "answer $n"
want "Every one of them a read that missed"
want "A stale reads = 0"
type ""
want "step 4 of 4: choosing"
type "heal"
type "run 1s"
want "Done. One leader again"
type "answer a"
want "Right: availability and latency for the cart"
type ""
want "Lesson finished: Strong against eventual"
want "EXITED"
echo "lesson_pair_tmux: the two-scenario lesson went through end to end"

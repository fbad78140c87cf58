#!/bin/sh
# lesson_tmux.sh -- drives `dsim lesson raft-election` end to end in an 80x24 terminal.
#
#   usage: lesson_tmux.sh DSIM STATE_DIR
#
# Types what a student types, waits for the screen to say what a student would wait
# for, and fails (exit 1, printing the screen) when it does not. The progress file
# must say the lesson is done at the end.
dsim=$1 state=$2 tag=lesson_tmux
export XDG_STATE_HOME=$state
. "$(dirname "$0")/tmux_support.sh"
start_lesson raft-election

want "step 1 of 7: followers"
want "Press Enter"
# Nothing on the screen may run past 80 columns or 24 lines.
[ "$(tmux capture-pane -p -t $s | perl -CS -ne 'chomp; print "$_\n" if length > 80' | wc -l)" -eq 0 ] || { echo "wider than 80"; exit 1; }
type ""
want "step 2 of 7: a leader"
want "Question: In which term"
type "answer 5"
want "Not quite"
type "answer 1"
want "Right."
type ""
want "step 3 of 7"
type "hint"
want "Hint: The leader is the node"
type "crash n3"
want "Goal reached."
type ""
want "step 4 of 7"
type "answer 2"
want "Right."
type "next"
want "step 5 of 7"
type "restart n3"
type "run 200ms"
want "Goal reached. Now the question."
type "answer b"
want "Not that one."
type "answer a"
want "Right: a message with a higher term"
type ""
want "step 6 of 7"
type "partition n1,n2 | n3,n4 | n5"
type "run 2s"
want "Goal reached."
type "back"
want "step 5 of 7"
type ""
want "step 6 of 7"
type "show"
want "That is one way to do it."
type "answer a"
want "Right: a vote and a commit both need a majority"
type ""
want "step 7 of 7: heal"
type "heal"
type "run 1s"
want "Enter finishes the lesson"
type ""
want "Lesson finished: Raft leader election"
want "EXITED"
grep -q "^raft-election 0 1$" "$state/dsim/lessons" || { echo "lesson_tmux: progress not recorded:"; cat "$state/dsim/lessons"; exit 1; }
echo "lesson_tmux: the lesson went through end to end"

#!/usr/bin/env bash
# Grading a class as docs/course.md shows it: grade-class.sh over two
# hand-outs of the lazy exercise, one as handed out (the starting code) and
# one solved, fanned out by GNU parallel and by the Slurm job array's task
# body; both must give the same scores, and the solved one full marks.
# Needs PVLAB (the binary) and SRC (the repository); prints TAP.
set -euo pipefail
ex=$SRC/sample-guests/exercises
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
fail() { n=$((n + 1)); echo "not ok $n - $1"; echo "# $2"; status=1; }
status=0

mkdir "$work/subs"
python3 "$ex/handout.py" lazy "$work/subs/alice" >/dev/null
python3 "$ex/handout.py" --solution lazy "$work/subs/bob" >/dev/null
# a student who "fixed" the test instead of the kernel gains nothing: the
# reference's lazytest is graded, and the starting code scores 0 with it
sed -i 's/^int main(void) {$/&\n  printf("lazytest: sbrk(8 MiB) gave\\nlazytest: OK\\n");\n  exit(0);/' \
  "$work/subs/alice/user/lazytest.c"
grep -q 'exit(0);' "$work/subs/alice/user/lazytest.c"

export PVLAB
"$ex/grade-class.sh" prepare lazy "$work/par" >/dev/null
"$ex/grade-class.sh" prepare lazy "$work/slurm" >/dev/null

ls -d "$work"/subs/*/ | parallel -j 2 "$ex/grade-class.sh" one "$work/par" {} >"$work/par.log" 2>&1 ||
  fail "GNU parallel grades every submission" "$(cat "$work/par.log")"
"$ex/grade-class.sh" scores "$work/par" >/dev/null
for i in 0 1; do
  SLURM_ARRAY_TASK_ID=$i OUT=$work/slurm SUBS=$work/subs GRADE_CLASS_DIR=$ex \
    bash "$ex/grade-class.slurm" >>"$work/slurm.log" 2>&1 ||
    fail "the Slurm task $i grades its submission" "$(cat "$work/slurm.log")"
done
"$ex/grade-class.sh" scores "$work/slurm" >/dev/null

max=$(awk '$1 == "test" {t++} $1 == "points" {p += $2 - 1} END {print p + t}' "$ex/lazy/tests.grade")
csv=$(cat "$work/par/scores.csv")
if grep -qx "bob,$max,$max,4,4" <<<"$csv"; then ok "the solved hand-out scores $max of $max"
else fail "the solved hand-out scores $max of $max" "$csv"; fi
if grep -qx "alice,0,$max,0,4" <<<"$csv"; then ok "the starting code with a doctored test scores 0"
else fail "the starting code with a doctored test scores 0" "$csv"; fi
if cmp -s "$work/par/scores.csv" "$work/slurm/scores.csv"; then ok "GNU parallel and Slurm give the same scores"
else fail "GNU parallel and Slurm give the same scores" "$(cat "$work/slurm/scores.csv")"; fi
if xmllint --noout "$work/par/alice/junit.xml" && ls "$work/par/alice/bundles/"*.pvrec >/dev/null; then
  ok "a student gets JUnit XML and the bundles of the failed tests"
else fail "a student gets JUnit XML and the bundles of the failed tests" "$(ls -R "$work/par/alice")"; fi
b=$(ls "$work/par/alice/bundles/"*.pvrec | head -1)
if "$PVLAB" replay --quiet "$b" >/dev/null 2>&1 || [ $? -ne 126 ]; then ok "a failed test's bundle replays without diverging"
else fail "a failed test's bundle replays without diverging" "$b"; fi
echo "1..$n"
exit $status

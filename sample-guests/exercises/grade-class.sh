#!/usr/bin/env bash
# grade-class.sh: grades a whole class's submissions of one pvos exercise.
#
#   grade-class.sh prepare EXERCISE OUT   once: OUT/reference, a fresh
#                                         hand-out of EXERCISE (the tests and
#                                         the files students may not change)
#   grade-class.sh one OUT SUBMISSION     grades one student's directory into
#                                         OUT/NAME/ (NAME: the directory's name)
#   grade-class.sh scores OUT             OUT/scores.csv from every graded one
#
# `one` is the unit to fan out, one process per submission, with whatever
# runs many commands: GNU parallel on one machine or over ssh, or a Slurm
# job array (grade-class.slurm).  Each `one` writes only under OUT/NAME/, so
# they can run in any order, anywhere OUT is the same shared directory.
#
# A submission is the student's hand-out directory (handout.py) as they
# handed it in.  It is graded from a copy, with the reference's tests.grade,
# build.py, mkfs.py and test programs put back over whatever the student
# left there, so editing a test cannot change a score.  Per student, OUT/NAME/
# gets build.log, report.txt (the grader's summary), junit.xml, the failed
# tests' bundles in bundles/, and score (POINTS MAX PASSED TESTS).
#
# pvlab is $PVLAB, else `pvlab` on PATH, else the repository's build.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
pvlab=${PVLAB:-$(command -v pvlab || echo "$here/../../build/cli/pvlab")}
# what a student may not change: the build and the tests
PROTECTED=(tests.grade build.py mkfs.py user/usertests.c user/lazytest.c
           user/schedtest.c user/copytest.c user/writetest.c user/racetest.c
           user/ppidtest.c)

die() { echo "grade-class.sh: $*" >&2; exit 2; }

prepare() { # EXERCISE OUT
  [ -e "$2/reference" ] && die "$2/reference exists: use a new OUT, or delete it"
  mkdir -p "$2"
  python3 "$here/handout.py" "$1" "$2/reference" >/dev/null
  echo "grade-class.sh: $2/reference: the tests of exercise $1"
}

one() { # OUT SUBMISSION
  local out=$1 sub=${2%/} name work
  [ -f "$out/reference/tests.grade" ] || die "$out/reference: run 'grade-class.sh prepare EXERCISE $out' first"
  [ -d "$sub" ] || die "$sub: no such submission directory"
  name=$(basename "$sub")
  work=$out/$name
  rm -rf "$work"
  mkdir -p "$work"
  cp -R "$sub" "$work/src"
  for f in "${PROTECTED[@]}"; do
    [ -e "$out/reference/$f" ] && cp "$out/reference/$f" "$work/src/$f"
  done
  rm -rf "$work/src/build"
  # the tests count, not their number: a failed build scores 0 of them all
  local max tests
  max=$(awk '$1 == "test" {t++} $1 == "points" {p += $2 - 1} END {print p + t}' \
        "$out/reference/tests.grade")
  tests=$(awk '$1 == "test" {t++} END {print t}' "$out/reference/tests.grade")
  if ! python3 "$work/src/build.py" --out "$work/build" >"$work/build.log" 2>&1; then
    echo "0 $max 0 $tests" >"$work/score"
    echo "$name: build failed (see $work/build.log)"
    return 0
  fi
  # one thread each: the fan-out is the parallelism
  local status=0
  "$pvlab" grade "$out/reference" --guest "$work/build/kernel.elf" -j 1 \
    --junit "$work/junit.xml" --bundles "$work/bundles" >"$work/report.txt" 2>&1 ||
    status=$?
  [ "$status" -le 1 ] || die "$name: pvlab grade failed with status $status (see $work/report.txt)"
  # "score: 7/10 points, 3 of 4 tests passed"
  sed -n 's/^score: \([0-9]*\)\/\([0-9]*\) points, \([0-9]*\) of \([0-9]*\) tests passed.*/\1 \2 \3 \4/p' \
    "$work/report.txt" >"$work/score"
  [ -s "$work/score" ] || die "$name: no score line in $work/report.txt"
  echo "$name: $(cut -d' ' -f1,2 --output-delimiter=/ "$work/score") points"
}

scores() { # OUT
  local out=$1
  {
    echo "student,points,max,passed,tests"
    for s in "$out"/*/score; do
      [ -e "$s" ] || continue
      echo "$(basename "$(dirname "$s")"),$(tr ' ' , <"$s")"
    done
  } >"$out/scores.csv"
  echo "grade-class.sh: $out/scores.csv: $(($(wc -l <"$out/scores.csv") - 1)) students"
}

case "${1:-}" in
  prepare) [ $# -eq 3 ] || die "usage: grade-class.sh prepare EXERCISE OUT"; prepare "$2" "$3" ;;
  one)     [ $# -eq 3 ] || die "usage: grade-class.sh one OUT SUBMISSION"; one "$2" "$3" ;;
  scores)  [ $# -eq 2 ] || die "usage: grade-class.sh scores OUT"; scores "$2" ;;
  *) die "usage: grade-class.sh prepare EXERCISE OUT | one OUT SUBMISSION | scores OUT" ;;
esac

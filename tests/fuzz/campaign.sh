#!/usr/bin/env bash
# A long fuzzing campaign (docs/fuzzing.md); not part of CI, which runs
# the corpus drivers only.  Sets up BUILD (default build-fuzz) with clang,
# -Dfuzz=true and ASan + UBSan if it is not set up yet, builds the
# libFuzzer targets, then runs each for SECONDS (default 600), JOBS at a
# time (default 2), under nice, from a working corpus seeded with the
# target's seeds.  Everything lands in BUILD/campaign/NAME/: corpus/ (what
# the fuzzer kept), crash-* / timeout-* / oom-* (its findings: add each to
# tests/fuzz/corpus/NAME/ once fixed) and log.  Ends with one line per
# target: executions, coverage, corpus size, findings.
#
#   tests/fuzz/campaign.sh [-t SECONDS] [-j JOBS] [-B BUILD] [TARGET...]
#
# TARGET is a name of tests/fuzz/fuzz_NAME.c; all of them by default.
set -uo pipefail
cd "$(dirname "$0")/../.."

seconds=600 jobs=2 build=build-fuzz
while getopts "t:j:B:" opt; do
  case $opt in
    t) seconds=$OPTARG ;;
    j) jobs=$OPTARG ;;
    B) build=$OPTARG ;;
    *) echo "usage: tests/fuzz/campaign.sh [-t SECONDS] [-j JOBS] [-B BUILD] [TARGET...]" >&2
       exit 2 ;;
  esac
done
shift $((OPTIND - 1))
all=(elf expr input_script monitor gdb_stub disk bundle snapshot grade_spec gdb_packet)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all[@]}")

if [ ! -f "$build/build.ninja" ]; then
  CC=clang meson setup "$build" -Dfuzz=true -Db_sanitize=address,undefined \
    -Db_lundef=false || exit 1
fi
exes=()
for t in "${targets[@]}"; do
  [ -f "tests/fuzz/fuzz_$t.c" ] || { echo "campaign: no target tests/fuzz/fuzz_$t.c" >&2; exit 2; }
  exes+=("tests/fuzz/fuzz_$t")
done
# the seeds that are made, not kept: snapshots and bundles in this tree's
# format, the sample guests and diskdemo's image
nice ninja -C "$build" "${exes[@]}" tests/fuzz/fuzz_snapshot_corpus \
  tests/fuzz/fuzz_grade_spec_corpus tests/fuzz/seed-echo.pvrec \
  sample-guests/echo.elf sample-guests/hello.elf sample-guests/diskdemo.img || exit 1
if [ ! -x "$build/tests/fuzz/fuzz_snapshot" ]; then
  echo "campaign: $build has no libFuzzer targets: set it up with CC=clang and -Dfuzz=true" >&2
  exit 1
fi

export GUESTS=$PWD/$build/sample-guests
export ASAN_OPTIONS=abort_on_error=1
export LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

run() { # run NAME: one target, SECONDS long
  local t=$1 dir=$build/campaign/$1
  mkdir -p "$dir/corpus" "$dir/seeds"
  case $t in
    snapshot) "$build/tests/fuzz/fuzz_snapshot_corpus" --write "$dir/seeds" >/dev/null ;;
    grade_spec) "$build/tests/fuzz/fuzz_grade_spec_corpus" --write "$dir/seeds" >/dev/null ;;
    bundle) cp "$build"/tests/fuzz/seed-*.pvrec "$dir/seeds/" ;;
    elf) cp "$GUESTS/echo.elf" "$GUESTS/hello.elf" "$dir/seeds/" ;;
    disk) cp "$GUESTS/diskdemo.img" "$dir/seeds/" ;;
  esac
  [ -d "tests/fuzz/corpus/$t" ] && cp "tests/fuzz/corpus/$t"/* "$dir/seeds/"
  local max_len=65536
  [ "$t" = snapshot ] && max_len=1000000
  [ "$t" = bundle ] && max_len=200000
  (cd "$dir" && nice "$OLDPWD/$build/tests/fuzz/fuzz_$t" corpus seeds \
     -max_total_time="$seconds" -max_len=$max_len -timeout=20 -rss_limit_mb=4096 \
     -print_final_stats=1 >log 2>&1)
}

for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
  echo "campaign: fuzz_$t for $seconds s"
  run "$t" &
done
wait

status=0
for t in "${targets[@]}"; do
  dir=$build/campaign/$t
  runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$dir/log" | grep -o '[0-9]*$')
  last=$(grep -E '^#[0-9]+' "$dir/log" | tail -1 | grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9a-zA-Z]+')
  found=$(find "$dir" -maxdepth 1 \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' \
            -o -name 'leak-*' \) | wc -l)
  [ "$found" -gt 0 ] && status=1
  printf 'fuzz_%-13s %10s runs  %s  findings: %s\n' "$t" "${runs:-?}" "${last:-(no status line: see $dir/log)}" "$found"
done
exit $status

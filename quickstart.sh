#!/usr/bin/env bash
# pvlab quick start for a fresh Debian 12 machine (run as root, or with sudo
# available).  Installs what is missing, builds, then:
#   ./quickstart.sh demo              runs the hello guest
#   ./quickstart.sh test [--sanitize] runs the whole test suite
#                                     (--sanitize: under ASan and UBSan)
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(meson ninja-build gcc pkg-config python3 libcriterion-dev zlib1g-dev libsdl2-dev
          libedit-dev gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf
          libxml2-utils perl parallel gdb-multiarch)
# libxml2-utils (xmllint) and perl (prove) read the grader's JUnit and TAP in
# the tests; GNU parallel grades a class there as docs/course.md shows

install_missing() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
      missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "quickstart: installing ${missing[*]}"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q \
    --no-install-recommends "${missing[@]}"
}

build() { # build DIR [meson options...]
  local dir=$1; shift
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" "$@"
  fi
  ninja -C "$dir"
}

case "${1:-}" in
  demo)
    install_missing
    build build
    echo "quickstart: running build/cli/pvlab run build/sample-guests/hello.elf"
    build/cli/pvlab run build/sample-guests/hello.elf
    ;;
  test)
    install_missing
    if [ "${2:-}" = "--sanitize" ]; then
      build build-sanitize -Db_sanitize=address,undefined -Db_lundef=false
      # leaks count too, but for the system libraries' own (tests/lsan.supp)
      export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
      export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
      export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
      dir=build-sanitize
    else
      build build
      dir=build
    fi
    # a sanitized build is slower: give each test more time
    meson test -C "$dir" --print-errorlogs --timeout-multiplier 4
    ;;
  *)
    echo "usage: ./quickstart.sh demo | test [--sanitize]" >&2
    exit 2
    ;;
esac

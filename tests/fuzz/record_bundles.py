#!/usr/bin/env python3
"""Records the seed bundles of fuzz_bundle with the pvlab just built, so that
they are always in the bundle format of this tree (a seed kept in the
repository would go stale at the next format version): a run reading
console lines, one with state hashes on the way, one with keys and a
click.  Crashers found by fuzzing are kept in tests/fuzz/corpus/bundle/.

usage: record_bundles.py PVLAB GUESTS_DIR ECHO.pvrec CALC.pvrec KEYS.pvrec"""
import subprocess
import sys

pvlab, guests, echo, calc, keys = sys.argv[1:]
runs = [
    (echo, ['echo.elf'], 'a recorded line\nand another\n'),
    (calc, ['calc.elf', '--hash-interval', '1000'], '6\n7\n*\np\n1\n2\n+\np\n'),
    (keys, ['fbdemo.elf', '--headless', '--display', '160x120', '--max-insns', '1M',
            '--hash-interval', '20000', '--keys', 'ab<up><click:10,20><quit>'], ''),
]
for out, args, stdin in runs:
    cmd = [pvlab, 'run', guests + '/' + args[0], '--mem', '1', '--record', out] + args[1:]
    r = subprocess.run(cmd, input=stdin.encode(), stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
    if r.returncode != 0:
        sys.exit('record_bundles.py: %s failed (%d): %s' %
                 (' '.join(cmd), r.returncode, r.stderr.decode(errors='replace')))

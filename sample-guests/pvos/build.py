#!/usr/bin/env python3
"""build.py: builds pvos, its kernel and its disk.

    python3 build.py [--exercise NAME] [--cc riscv64-unknown-elf-gcc] --out DIR

writes DIR/kernel.elf (the kernel), DIR/user/NAME.elf (each user program,
with debug information), DIR/root/ (the files for the disk: the programs
without debug information, and the text files in files/) and DIR/fs.img
(the disk, made by mkfs.py).  Then:

    pvlab run --disk DIR/fs.img DIR/kernel.elf

--exercise NAME builds an exercise's starting code: the kernel and the
programs are compiled with -DEXERCISE_NAME, which selects the `#else` side
of every `#ifndef EXERCISE_NAME` block (sample-guests/exercises/NAME).

It finds the guest SDK (sdk/pv.h) and the para-API header (pvabi/pvabi.h)
next to itself, as in a hand-out, or where they are in the pvlab
repository (../sdk, ../../pvabi).
"""
import argparse
import concurrent.futures
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
EXERCISES = ["syscall", "sched", "lazy", "copy", "fswrite", "race"]
PROGRAMS = ["sh", "ls", "cat", "echo", "spin", "usertests", "ppidtest",
            "schedtest", "lazytest", "copytest", "writetest", "racetest"]
ARCH = ["-march=rv32im", "-mabi=ilp32"]
WARN = ["-Wall", "-Wextra", "-Werror"]


def fail(msg):
    print(f"build.py: {msg}", file=sys.stderr)
    sys.exit(1)


def find_dir(what, candidates):
    for d in candidates:
        if os.path.exists(os.path.join(d, what)):
            return d
    fail(f"cannot find {what} in {' or '.join(candidates)}: build.py needs the "
         "pvlab guest SDK and pvabi/pvabi.h beside it (a hand-out) or in the "
         "pvlab repository")


def run(cmd):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        fail(f"this command failed:\n  {' '.join(cmd)}\n{r.stdout}")


def sources(folder, ext):
    return sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(ext))


def main():
    ap = argparse.ArgumentParser(description="Build the pvos kernel and its disk image.")
    ap.add_argument("--exercise", choices=EXERCISES,
                    help="build this exercise's starting code")
    ap.add_argument("--cc", default="riscv64-unknown-elf-gcc", help="the cross compiler")
    ap.add_argument("--out", required=True, help="the output directory")
    ap.add_argument("--kernel", help="write the kernel here instead of OUT/kernel.elf")
    ap.add_argument("--fs", help="write the disk image here instead of OUT/fs.img")
    ap.add_argument("--kernel-only", action="store_true",
                    help="build the kernel alone (no programs, no disk image)")
    args = ap.parse_args()
    if not shutil.which(args.cc):
        fail(f"no compiler {args.cc}: install gcc-riscv64-unknown-elf and "
             "picolibc-riscv64-unknown-elf, or name another with --cc")

    sdk = find_dir("pv.h", [os.path.join(HERE, "sdk"), os.path.join(HERE, "..", "sdk")])
    root = find_dir(os.path.join("pvabi", "pvabi.h"), [HERE, os.path.join(HERE, "..", "..")])
    inc = os.path.join(HERE, "include")
    kdir, udir = os.path.join(HERE, "kernel"), os.path.join(HERE, "user")
    defs = [f"-DEXERCISE_{args.exercise.upper()}"] if args.exercise else []
    out = os.path.abspath(args.out)
    os.makedirs(os.path.join(out, "user"), exist_ok=True)
    os.makedirs(os.path.join(out, "root"), exist_ok=True)

    kernel = args.kernel or os.path.join(out, "kernel.elf")
    jobs = [[args.cc, *ARCH, "-O2", "-g", "-fno-omit-frame-pointer", *WARN,
             "-specs=picolibc.specs", "-nostartfiles", f"-I{root}", f"-I{sdk}",
             f"-I{inc}", *defs, "-T", os.path.join(sdk, "pvlab.ld"),
             "-o", kernel, *sources(kdir, ".c"),
             os.path.join(sdk, "entry.S"), os.path.join(sdk, "stdio.c")]]
    if not args.kernel_only:
        common = [os.path.join(udir, "ulib.c"), os.path.join(udir, "usys.S")]
        for prog in PROGRAMS:
            jobs.append([args.cc, *ARCH, "-O2", "-g", *WARN, "-ffreestanding",
                         "-nostdlib", "-nostartfiles", f"-I{inc}", f"-I{udir}", *defs,
                         "-T", os.path.join(udir, "user.ld"),
                         "-o", os.path.join(out, "user", prog + ".elf"),
                         os.path.join(udir, prog + ".c"), *common, "-lgcc"])
    with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        list(pool.map(run, jobs))
    if args.kernel_only:
        return

    # The disk gets the programs without their debug information (the
    # kernel reads only the program headers' segments) and the text files.
    objcopy = args.cc[:-3] + "objcopy" if args.cc.endswith("gcc") else None
    files = []
    for prog in PROGRAMS:
        src, dst = os.path.join(out, "user", prog + ".elf"), os.path.join(out, "root", prog)
        if objcopy and shutil.which(objcopy):
            run([objcopy, "--strip-debug", src, dst])
        else:
            shutil.copyfile(src, dst)
        files.append(dst)
    for name in sorted(os.listdir(os.path.join(HERE, "files"))):
        shutil.copyfile(os.path.join(HERE, "files", name), os.path.join(out, "root", name))
        files.append(os.path.join(out, "root", name))
    run([sys.executable, os.path.join(HERE, "mkfs.py"), "-o",
         args.fs or os.path.join(out, "fs.img"), *files])


if __name__ == "__main__":
    main()

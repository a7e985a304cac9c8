#!/usr/bin/env python3
"""handout.py: makes a student's directory for one pvos exercise.

    handout.py [--solution] NAME DEST

writes DEST (which must not exist yet) with everything a student needs and
nothing they should not see:

    kernel/ include/ user/ files/   pvos's sources, with every exercise's
                                    `#ifndef EXERCISE_X ... #else ... #endif`
                                    block resolved: NAME's starting code (the
                                    #else side), every other exercise's
                                    solution (the #ifndef side)
    sdk/ pvabi/pvabi.h              the guest SDK and the para-API header
    build.py mkfs.py                the build (it finds sdk/ and pvabi/ beside it)
    docs/pvos.md docs/pvabi.md      the kernel's tour and the para-API
    README.md tests.grade           the exercise, its `build` line rewritten
                                    for this layout

so that in DEST, `python3 build.py --out build` builds the kernel and its
disk and `pvlab grade . --build` builds and grades it.

--solution writes the same directory with NAME's reference solution in
place of its starting code: the hand-out as a student who solved it would
hand it in, to check a hand-out and the class grading before they go out.
"""
import os
import re
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
PVOS = os.path.join(REPO, "sample-guests", "pvos")
EXERCISES = ["syscall", "sched", "lazy", "copy", "fswrite", "race"]
SOURCE_DIRS = ["kernel", "include", "user", "files"]
COPIES = [  # (from, in the repository; to, in DEST)
    ("sample-guests/pvos/build.py", "build.py"),
    ("sample-guests/pvos/mkfs.py", "mkfs.py"),
    ("sample-guests/sdk/entry.S", "sdk/entry.S"),
    ("sample-guests/sdk/pv.h", "sdk/pv.h"),
    ("sample-guests/sdk/pvlab.ld", "sdk/pvlab.ld"),
    ("sample-guests/sdk/stdio.c", "sdk/stdio.c"),
    ("pvabi/pvabi.h", "pvabi/pvabi.h"),
    ("docs/pvos.md", "docs/pvos.md"),
    ("docs/pvabi.md", "docs/pvabi.md"),
]
MARK = re.compile(r"^\s*#\s*(ifndef|ifdef|if|elif|else|endif)\b\s*(\w*)")


def fail(msg):
    print(f"handout.py: {msg}", file=sys.stderr)
    sys.exit(1)


def resolve(text, name, where):
    """The text with each EXERCISE_ block reduced to the side NAME gets."""
    out, stack = [], []  # stack: None for another #if, else [keep_then, in_else]
    for n, line in enumerate(text.splitlines(keepends=True), 1):
        m = MARK.match(line)
        kind, word = (m.group(1), m.group(2)) if m else (None, "")
        exercise = word.startswith("EXERCISE_")
        if kind in ("ifndef", "ifdef", "if"):
            if exercise:
                if kind != "ifndef" or word[len("EXERCISE_"):].lower() not in EXERCISES:
                    fail(f"{where}:{n}: write exercise blocks as #ifndef EXERCISE_NAME "
                         f"with NAME one of {', '.join(EXERCISES)}")
                stack.append([word != f"EXERCISE_{name.upper()}", False])
                continue
            stack.append(None)
        elif kind in ("else", "elif", "endif"):
            if not stack:
                fail(f"{where}:{n}: #{kind} without #if")
            top = stack[-1]
            if top is not None:
                if kind == "elif":
                    fail(f"{where}:{n}: no #elif in an exercise block")
                if kind == "else":
                    top[1] = True
                else:
                    stack.pop()
                continue
            if kind == "endif":
                stack.pop()
        if all(f is None or f[0] != f[1] for f in stack):
            out.append(line)
    if stack:
        fail(f"{where}: an #if is not closed")
    if "EXERCISE_" in "".join(out):
        fail(f"{where}: EXERCISE_ outside an #ifndef EXERCISE_NAME line")
    return "".join(out)


REPO_ONLY = re.compile(r"<!-- repository-only.*?<!-- /repository-only -->\n?", re.S)


def copy_doc(src, dst):
    """A Markdown file without its repository-only parts."""
    with open(src, encoding="utf-8") as fh:
        text = REPO_ONLY.sub("", fh.read())
    with open(dst, "w", encoding="utf-8") as fh:
        fh.write(text)


def grade_file(name):
    path = os.path.join(HERE, name, "tests.grade")
    with open(path) as f:
        text = f.read()
    new, count = re.subn(r'(?m)^(\s*build\s+)"[^"\n]*"', r'\1"python3 build.py --out build"', text)
    if count != 1:
        fail(f"{path}: expected one `build \"...\"` line, found {count}")
    return new


def make(name, dest, solution=False):
    for sub in SOURCE_DIRS:
        for root, _, files in os.walk(os.path.join(PVOS, sub)):
            for f in sorted(files):
                src = os.path.join(root, f)
                rel = os.path.relpath(src, PVOS)
                with open(src, encoding="utf-8") as fh:
                    text = fh.read()
                if f.endswith((".c", ".h", ".S")):
                    text = resolve(text, "" if solution else name, rel)
                os.makedirs(os.path.dirname(os.path.join(dest, rel)), exist_ok=True)
                with open(os.path.join(dest, rel), "w", encoding="utf-8") as fh:
                    fh.write(text)
    for src, dst in COPIES:
        os.makedirs(os.path.dirname(os.path.join(dest, dst)) or dest, exist_ok=True)
        if dst.endswith(".md"):
            copy_doc(os.path.join(REPO, src), os.path.join(dest, dst))
        else:
            shutil.copy2(os.path.join(REPO, src), os.path.join(dest, dst))
    copy_doc(os.path.join(HERE, name, "README.md"), os.path.join(dest, "README.md"))
    with open(os.path.join(dest, "tests.grade"), "w") as fh:
        fh.write(grade_file(name))


def main():
    args = sys.argv[1:]
    solution = args[:1] == ["--solution"]
    if solution:
        args = args[1:]
    if len(args) != 2 or args[0] not in EXERCISES:
        fail(f"usage: handout.py [--solution] NAME DEST, with NAME one of {', '.join(EXERCISES)}")
    name, dest = args[0], os.path.abspath(args[1])
    if os.path.lexists(dest):
        fail(f"{args[1]} already exists: name a new directory (nothing was changed)")
    parent = os.path.dirname(dest)
    if not os.path.isdir(parent):
        fail(f"{parent} is not a directory")
    # built beside DEST and renamed into place: DEST is whole or not there
    tmp = tempfile.mkdtemp(prefix=".handout-", dir=parent)
    try:
        make(name, tmp, solution)
        os.chmod(tmp, 0o755)
        os.rename(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    what = "the reference solution of exercise" if solution else "exercise"
    print(f"handout.py: {args[1]}: {what} {name}; in it: "
          f"'python3 build.py --out build', then 'pvlab grade . --build'")


if __name__ == "__main__":
    main()

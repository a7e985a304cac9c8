#!/usr/bin/env python3
"""mkdisk.py: builds a pvdisk image, the tiny file system the diskdemo guest
reads, from a few host files.

    mkdisk.py -o OUTPUT.img FILE...

The layout, in 512-byte sectors, every number a little-endian uint32:

    sector 0: the directory
        offset  0  magic    b"PVDISK01"
        offset  8  count    number of files, at most 15
        offset 12  sectors  size of the whole image in sectors
        offset 16  count entries of 32 bytes each:
                   +0   name      20 bytes, NUL-padded (at most 19 bytes)
                   +20  start     first sector of the file's data
                   +24  capacity  sectors reserved for it (at least 1)
                   +28  length    its size in bytes (at most capacity * 512)
        the rest of the sector is zero
    sector 1 on: each file's data in directory order, from its start sector,
        zero-padded to its capacity

A file is named by its host file's base name.  A file can be rewritten in
place with up to capacity * 512 bytes; the image never grows.
"""
import argparse
import os
import struct
import sys

SECTOR = 512
MAGIC = b"PVDISK01"
MAX_FILES = 15
NAME_MAX = 19


def fail(msg):
    print(f"mkdisk.py: {msg}", file=sys.stderr)
    sys.exit(1)


def build(paths):
    if not paths:
        fail("no files given; usage: mkdisk.py -o OUTPUT.img FILE...")
    if len(paths) > MAX_FILES:
        fail(f"{len(paths)} files, but a directory holds at most {MAX_FILES}")
    entries, data = [], b""
    start = 1
    for path in paths:
        name = os.path.basename(path).encode()
        if not name or len(name) > NAME_MAX or b"\0" in name:
            fail(f"{path}: the name must be 1 to {NAME_MAX} bytes")
        if any(e[0] == name for e in entries):
            fail(f"{path}: a file named {name.decode()} is already on the disk")
        try:
            with open(path, "rb") as f:
                body = f.read()
        except OSError as e:
            fail(f"cannot read {path}: {e.strerror}")
        capacity = max(1, -(-len(body) // SECTOR))
        entries.append((name, start, capacity, len(body)))
        data += body.ljust(capacity * SECTOR, b"\0")
        start += capacity
    header = MAGIC + struct.pack("<II", len(entries), start)
    for name, first, capacity, length in entries:
        header += name.ljust(20, b"\0") + struct.pack("<III", first, capacity, length)
    return header.ljust(SECTOR, b"\0") + data


def main():
    ap = argparse.ArgumentParser(description="Builds a pvdisk image for diskdemo.")
    ap.add_argument("-o", "--output", required=True, help="the image to write")
    ap.add_argument("files", nargs="*", help="the files to put on it")
    args = ap.parse_args()
    image = build(args.files)
    tmp = args.output + ".tmp"
    with open(tmp, "wb") as f:
        f.write(image)
    os.replace(tmp, args.output)


if __name__ == "__main__":
    main()

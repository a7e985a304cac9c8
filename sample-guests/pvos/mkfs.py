#!/usr/bin/env python3
"""mkfs.py: builds a pvos file system image from host files.

    mkfs.py -o fs.img [--blocks N] [--inodes N] FILE...

Each FILE goes into the root directory under its base name (at most 14
bytes).  The image is N blocks of 1024 bytes (default 2048: 2 MiB), so
there is room left for the kernel to create and grow files.

The layout (kernel/fs.h is the same in C); every number is little-endian:

    block 0      superblock: magic b"PVOSFS1\\0", then uint32 size (blocks
                 in the image), ninodes, inodestart (1), bmapstart,
                 datastart; the rest of the block is zero
    block 1..    the inode table: ninodes inodes of 64 bytes, 16 a block:
                   uint16 type (0 free, 1 directory, 2 file), uint16 nlink,
                   uint32 size in bytes, uint32 addrs[14]: 13 direct block
                   numbers, then the indirect block's (a block of 256 more
                   block numbers); 0 is "no block"
    bmapstart..  the free-block bitmap: bit b (byte b/8, bit b%8) set when
                 block b is in use; the blocks before datastart count as
                 used
    datastart..  data blocks

Inode 0 is never used; inode 1 is the root directory, the only one: a file
of 16-byte entries, uint16 inum (0: a free slot) and a 14-byte NUL-padded
name.  Files are written in the order given, each in consecutive blocks.
"""
import argparse
import os
import struct
import sys

BSIZE = 1024
MAGIC = b"PVOSFS1\0"
NDIRECT = 13
NINDIRECT = BSIZE // 4
INODE_SIZE = 64
DIRSIZ = 14
T_DIR, T_FILE = 1, 2
ROOTINO = 1


def fail(msg):
    print(f"mkfs.py: {msg}", file=sys.stderr)
    sys.exit(1)


class Image:
    def __init__(self, nblocks, ninodes):
        self.ninodes = ninodes
        inode_blocks = -(-ninodes * INODE_SIZE // BSIZE)
        bmap_blocks = -(-nblocks // (BSIZE * 8))
        self.inodestart = 1
        self.bmapstart = self.inodestart + inode_blocks
        self.datastart = self.bmapstart + bmap_blocks
        if self.datastart >= nblocks:
            fail(f"{nblocks} blocks leave no room for data")
        self.size = nblocks
        self.blocks = bytearray(nblocks * BSIZE)
        self.next_free = self.datastart
        self.inodes = {}  # inum -> [type, nlink, size, addrs]

    def alloc(self):
        if self.next_free >= self.size:
            fail(f"the files do not fit in {self.size} blocks; use a larger --blocks")
        b = self.next_free
        self.next_free += 1
        return b

    def write_file(self, inum, kind, data):
        nblocks = -(-len(data) // BSIZE)
        if nblocks > NDIRECT + NINDIRECT:
            fail(f"a file of {len(data)} bytes is larger than the "
                 f"{(NDIRECT + NINDIRECT) * BSIZE} bytes a file can hold")
        addrs = [0] * (NDIRECT + 1)
        indirect = []
        for i in range(nblocks):
            b = self.alloc()
            chunk = data[i * BSIZE:(i + 1) * BSIZE]
            self.blocks[b * BSIZE:b * BSIZE + len(chunk)] = chunk
            if i < NDIRECT:
                addrs[i] = b
            else:
                indirect.append(b)
        if indirect:
            addrs[NDIRECT] = self.alloc()
            raw = struct.pack(f"<{len(indirect)}I", *indirect)
            at = addrs[NDIRECT] * BSIZE
            self.blocks[at:at + len(raw)] = raw
        self.inodes[inum] = (kind, 1, len(data), addrs)

    def finish(self):
        sb = MAGIC + struct.pack("<5I", self.size, self.ninodes, self.inodestart,
                                 self.bmapstart, self.datastart)
        self.blocks[0:len(sb)] = sb
        for inum, (kind, nlink, size, addrs) in self.inodes.items():
            raw = struct.pack("<HHI14I", kind, nlink, size, *addrs)
            at = self.inodestart * BSIZE + inum * INODE_SIZE
            self.blocks[at:at + INODE_SIZE] = raw
        for b in range(self.next_free):  # every block so far is in use
            at = self.bmapstart * BSIZE + b // 8
            self.blocks[at] |= 1 << (b % 8)
        return bytes(self.blocks)


def build(paths, nblocks, ninodes):
    if len(paths) + 2 > ninodes:
        fail(f"{len(paths)} files need more than --inodes {ninodes}")
    img = Image(nblocks, ninodes)
    entries = b""
    seen = set()
    for inum, path in enumerate(paths, start=ROOTINO + 1):
        name = os.path.basename(path).encode()
        if not name or len(name) > DIRSIZ or b"/" in name or b"\0" in name:
            fail(f"{path}: a name must be 1 to {DIRSIZ} bytes")
        if name in seen:
            fail(f"{path}: a file named {name.decode()} is already on the disk")
        seen.add(name)
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            fail(f"cannot read {path}: {e.strerror}")
        img.write_file(inum, T_FILE, data)
        entries += struct.pack("<H14s", inum, name)
    img.write_file(ROOTINO, T_DIR, entries)
    return img.finish()


def main():
    ap = argparse.ArgumentParser(description="Build a pvos file system image.")
    ap.add_argument("-o", dest="output", required=True, help="the image to write")
    ap.add_argument("--blocks", type=int, default=2048, help="image size in 1 KiB blocks")
    ap.add_argument("--inodes", type=int, default=64, help="inodes in the table")
    ap.add_argument("files", nargs="+", help="files for the root directory")
    args = ap.parse_args()
    if not 16 <= args.blocks <= 65536:
        fail("--blocks must be 16 to 65536")
    if not 2 <= args.inodes <= 65535:
        fail("--inodes must be 2 to 65535")
    image = build(args.files, args.blocks, args.inodes)
    tmp = args.output + ".tmp"
    with open(tmp, "wb") as f:
        f.write(image)
    os.replace(tmp, args.output)


if __name__ == "__main__":
    main()

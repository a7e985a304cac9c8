/* The ELF loader.  Every field is read with explicit little-endian helpers
 * and every offset and size is checked against the file before use, so a
 * truncated or hostile file gets a sentence, never an out-of-bounds read. */
#include "elf_image.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EM_RISCV 243
#define ET_EXEC 2
#define PT_LOAD 1
#define SHT_SYMTAB 2
#define SHF_ALLOC 0x2u
#define STT_OBJECT 1
#define STT_FUNC 2
#define STT_SECTION 3
#define STT_FILE 4
#define STT_TLS 6
#define EF_RISCV_RVC 0x1u
#define EF_RISCV_FLOAT_ABI 0x6u
#define EF_RISCV_RVE 0x8u
#define PF_X 1u

#define EHDR_SIZE 52u
#define PHDR_SIZE 32u
#define SHDR_SIZE 40u
#define SYM_SIZE 16u
#define MAX_FILE_SIZE (1u << 30) /* no guest is larger than a GiB */

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}

/* True when [off, off+len) lies inside the file. */
static bool in_file(const elf_image *img, uint64_t off, uint64_t len) {
  return off <= img->size && len <= img->size - off;
}

static const char *machine_name(uint16_t m) {
  switch (m) {
  case 3: return "x86";
  case 40: return "ARM";
  case 62: return "x86-64";
  case 183: return "AArch64";
  case 8: return "MIPS";
  default: return "another architecture";
  }
}

/* e_flags: the code pvlab cannot run yet (compressed instructions) and
 * ABIs whose calling convention is not ilp32's (floating-point registers,
 * RV32E's 16 registers) are refused before anything is loaded, with the
 * flag named and the compiler options that build a guest pvlab runs. */
static bool check_flags(const char *f, uint32_t flags, host_error *err) {
  static const char *const abi[4] = {"soft", "single", "double", "quad"};
  static const char *const abi_flag[4] = {"SOFT", "SINGLE", "DOUBLE", "QUAD"};
  unsigned k = (flags & EF_RISCV_FLOAT_ABI) >> 1;
  if (flags & EF_RISCV_RVC) {
    return host_fail(err, "%s: built for compressed instructions (EF_RISCV_RVC); "
                    "pvlab runs RV32IM: build with -march=rv32im -mabi=ilp32", f);
  }
  if (k) {
    return host_fail(err, "%s: built for the %s-float ABI (EF_RISCV_FLOAT_ABI_%s); "
                    "pvlab runs RV32IM with no floating-point registers: build "
                    "with -march=rv32im -mabi=ilp32", f, abi[k], abi_flag[k]);
  }
  if (flags & EF_RISCV_RVE) {
    return host_fail(err, "%s: built for RV32E, 16 registers (EF_RISCV_RVE); "
                    "pvlab runs RV32IM: build with -march=rv32im -mabi=ilp32", f);
  }
  return true;
}

static bool check_header(const elf_image *img, host_error *err) {
  const uint8_t *d = img->data;
  const char *f = img->name;
  if (img->size == 0) {
    return host_fail(err, "%s: the file is empty; a guest must be an ELF "
                    "executable built for rv32im", f);
  }
  if (img->size < 4 || memcmp(d, "\x7f" "ELF", 4) != 0) {
    return host_fail(err, "%s: not an ELF file (a guest must be an ELF "
                    "executable built for rv32im)", f);
  }
  if (img->size < 6) return host_fail(err, "%s: truncated ELF header", f);
  if (d[4] == 2) {
    return host_fail(err, "%s: a 64-bit ELF file; pvlab runs 32-bit RISC-V: "
                    "build with -march=rv32im -mabi=ilp32", f);
  }
  if (d[4] != 1) return host_fail(err, "%s: unknown ELF class %u", f, d[4]);
  if (d[5] != 1) {
    return host_fail(err, "%s: a big-endian ELF file; RISC-V is "
                    "little-endian", f);
  }
  if (img->size < EHDR_SIZE) {
    return host_fail(err, "%s: truncated ELF header (%zu of %u bytes)", f,
                    img->size, EHDR_SIZE);
  }
  uint16_t machine = rd16(d + 18);
  if (machine != EM_RISCV) {
    return host_fail(err, "%s: built for %s (ELF machine %u), not RISC-V", f,
                    machine_name(machine), machine);
  }
  uint16_t type = rd16(d + 16);
  if (type != ET_EXEC) {
    return host_fail(err, "%s: ELF type %u is not an executable (%s); link "
                    "it into a static executable", f, type,
                    type == 1 ? "an object file" : type == 3 ? "a shared "
                    "object or PIE" : "core or unknown");
  }
  return check_flags(f, rd32(d + 36), err);
}

static bool read_segments(elf_image *img, host_error *err) {
  const uint8_t *d = img->data;
  const char *f = img->name;
  uint32_t phoff = rd32(d + 28);
  uint16_t phentsize = rd16(d + 42), phnum = rd16(d + 44);
  if (phnum == 0) return host_fail(err, "%s: no program headers: nothing to load", f);
  if (phentsize < PHDR_SIZE) {
    return host_fail(err, "%s: program header entries of %u bytes are too "
                    "small (%u expected)", f, phentsize, PHDR_SIZE);
  }
  if (!in_file(img, phoff, (uint64_t)phentsize * phnum)) {
    return host_fail(err, "%s: truncated: %u program headers at offset %u run "
                    "past the end of the file (%zu bytes)", f, phnum, phoff,
                    img->size);
  }
  img->segs = calloc(phnum, sizeof *img->segs);
  if (!img->segs) return host_fail(err, "%s: out of memory", f);
  for (unsigned i = 0; i < phnum; i++) {
    const uint8_t *ph = d + phoff + (size_t)i * phentsize;
    if (rd32(ph) != PT_LOAD) continue;
    elf_segment s = {.offset = rd32(ph + 4), .vaddr = rd32(ph + 8),
                     .filesz = rd32(ph + 16), .memsz = rd32(ph + 20),
                     .flags = rd32(ph + 24)};
    uint32_t paddr = rd32(ph + 12);
    if (s.memsz == 0) continue;
    if (s.filesz > s.memsz) {
      return host_fail(err, "%s: segment %u has more file bytes (%u) than "
                      "memory bytes (%u)", f, i, s.filesz, s.memsz);
    }
    if (!in_file(img, s.offset, s.filesz)) {
      return host_fail(err, "%s: truncated: segment %u needs file bytes "
                      "[%u, %llu) but the file has %zu", f, i, s.offset,
                      (unsigned long long)s.offset + s.filesz, img->size);
    }
    if (paddr != s.vaddr) {
      return host_fail(err, "%s: segment %u loads at 0x%08x but runs at "
                      "0x%08x; pvlab has no ROM to copy from: link with "
                      "the same load and run address", f, i, paddr, s.vaddr);
    }
    img->segs[img->nsegs++] = s;
  }
  if (img->nsegs == 0) return host_fail(err, "%s: no loadable segment", f);
  img->entry = rd32(d + 24);
  return true;
}

static bool keep_symbol(const char *name, uint8_t type, uint16_t shndx) {
  if (!name[0] || shndx == 0 || shndx >= 0xff00u) return false;
  /* a TLS symbol's value is an offset in a thread's block, not an address */
  if (type == STT_SECTION || type == STT_FILE || type == STT_TLS) return false;
  /* assembler-internal labels: mapping symbols and .L locals */
  return name[0] != '$' && strncmp(name, ".L", 2) != 0;
}

/* The symbol table is optional: a stripped or damaged one just means no
 * names, but a damaged one is still reported rather than half read. */
static bool read_symbols(elf_image *img, host_error *err) {
  const uint8_t *d = img->data;
  const char *f = img->name;
  uint32_t shoff = rd32(d + 32);
  uint16_t shentsize = rd16(d + 46), shnum = rd16(d + 48);
  if (shoff == 0 || shnum == 0) return true;
  if (shentsize < SHDR_SIZE || !in_file(img, shoff, (uint64_t)shentsize * shnum)) {
    return host_fail(err, "%s: truncated or malformed section headers", f);
  }
  for (unsigned i = 0; i < shnum; i++) {
    const uint8_t *sh = d + shoff + (size_t)i * shentsize;
    if (rd32(sh + 4) != SHT_SYMTAB) continue;
    uint32_t off = rd32(sh + 16), size = rd32(sh + 20), link = rd32(sh + 24);
    if (link >= shnum || !in_file(img, off, size)) {
      return host_fail(err, "%s: symbol table lies outside the file", f);
    }
    const uint8_t *str = d + shoff + (size_t)link * shentsize;
    uint32_t stroff = rd32(str + 16), strsize = rd32(str + 20);
    if (!in_file(img, stroff, strsize) || strsize == 0 ||
        d[stroff + strsize - 1] != 0) {
      return host_fail(err, "%s: symbol name table is malformed", f);
    }
    for (uint32_t k = 0; k + SYM_SIZE <= size; k += SYM_SIZE) {
      const uint8_t *s = d + off + k;
      uint32_t name = rd32(s);
      if (name >= strsize) {
        return host_fail(err, "%s: symbol %u names a string outside the "
                        "name table", f, k / SYM_SIZE);
      }
      const char *text = (const char *)d + stroff + name;
      uint8_t type = s[12] & 0xf;
      if (!keep_symbol(text, type, rd16(s + 14))) continue;
      if (!elf_symtab_add(&img->syms, text, rd32(s + 4), rd32(s + 8),
                      type == STT_FUNC)) {
        return host_fail(err, "%s: out of memory reading symbols", f);
      }
    }
    break; /* one SHT_SYMTAB per executable */
  }
  if (!elf_symtab_finish(&img->syms)) return host_fail(err, "%s: out of memory", f);
  return true;
}

bool elf_parse(elf_image *img, const uint8_t *data, size_t size,
               const char *name, host_error *err) {
  memset(img, 0, sizeof *img);
  img->name = strdup(name);
  img->data = malloc(size ? size : 1);
  if (!img->name || !img->data) {
    elf_free(img);
    return host_fail(err, "%s: out of memory", name);
  }
  if (size) memcpy(img->data, data, size); /* data may be NULL when empty */
  img->size = size;
  if (!check_header(img, err) || !read_segments(img, err) ||
      !read_symbols(img, err)) {
    elf_free(img);
    return false;
  }
  return true;
}

bool elf_open(elf_image *img, const char *path, host_error *err) {
  memset(img, 0, sizeof *img);
  FILE *fp = fopen(path, "rb");
  if (!fp) return host_fail(err, "%s: cannot open: %s", path, strerror(errno));
  uint8_t *buf = NULL;
  size_t len = 0, cap = 0;
  for (;;) {
    if (len == cap) {
      cap = cap ? cap * 2 : 65536;
      uint8_t *grown = cap <= MAX_FILE_SIZE ? realloc(buf, cap) : NULL;
      if (!grown) {
        free(buf);
        fclose(fp);
        return host_fail(err, "%s: too large to be a guest (over %u MiB) or "
                        "out of memory", path, MAX_FILE_SIZE >> 20);
      }
      buf = grown;
    }
    size_t n = fread(buf + len, 1, cap - len, fp);
    len += n;
    if (n == 0) break;
  }
  bool failed = ferror(fp);
  int saved = errno;
  fclose(fp);
  if (failed) {
    free(buf);
    return host_fail(err, "%s: cannot read: %s", path, strerror(saved));
  }
  bool ok = elf_parse(img, buf, len, path, err);
  free(buf);
  return ok;
}

/* Segments by start address, ties in program header order. */
static int by_start(const void *a, const void *b) {
  const elf_segment *x = *(const elf_segment *const *)a;
  const elf_segment *y = *(const elf_segment *const *)b;
  if (x->vaddr != y->vaddr) return x->vaddr < y->vaddr ? -1 : 1;
  return x < y ? -1 : x > y;
}

/* No two segments may share memory.  Sorted by start, any overlap shows
 * between neighbours (a segment that overlaps a later one overlaps the
 * next one too), so a file with 65,535 program headers costs one sort,
 * not two billion comparisons.  The pair is named in header order. */
static bool check_overlap(const elf_image *img, host_error *err) {
  if (img->nsegs < 2) return true;
  const elf_segment **order = malloc(img->nsegs * sizeof *order);
  if (!order) return host_fail(err, "%s: out of memory", img->name);
  for (size_t i = 0; i < img->nsegs; i++) order[i] = &img->segs[i];
  qsort(order, img->nsegs, sizeof *order, by_start);
  const elf_segment *first = NULL, *second = NULL;
  for (size_t k = 1; k < img->nsegs && !first; k++) {
    const elf_segment *lo = order[k - 1], *hi = order[k];
    if (hi->vaddr < (uint64_t)lo->vaddr + lo->memsz) {
      first = lo < hi ? lo : hi;
      second = lo < hi ? hi : lo;
    }
  }
  free(order);
  if (!first) return true;
  return host_fail(err, "%s: segments at 0x%08x and 0x%08x overlap; every "
                  "segment needs memory of its own: check the linker script "
                  "(sample-guests/sdk/pvlab.ld is one that works)", img->name,
                  first->vaddr, second->vaddr);
}

bool elf_load(const elf_image *img, uint8_t *ram, uint32_t ram_base,
              uint32_t ram_size, bool clear_ram, host_error *err) {
  const char *f = img->name;
  uint64_t end_ram = (uint64_t)ram_base + ram_size;
  bool entry_ok = false;
  for (size_t i = 0; i < img->nsegs; i++) {
    const elf_segment *s = &img->segs[i];
    uint64_t end = (uint64_t)s->vaddr + s->memsz;
    if (s->vaddr < ram_base || end > end_ram) {
      return host_fail(err, "%s: segment [0x%08x, 0x%08llx) lies outside guest "
                      "RAM [0x%08x, 0x%08llx): link with sample-guests/sdk/"
                      "pvlab.ld, or give the machine more --mem", f, s->vaddr,
                      (unsigned long long)end, ram_base,
                      (unsigned long long)end_ram);
    }
    if ((s->flags & PF_X) && img->entry - s->vaddr < s->memsz) entry_ok = true;
  }
  if (!check_overlap(img, err)) return false;
  if (!entry_ok) {
    return host_fail(err, "%s: entry point 0x%08x is not inside an executable "
                    "segment", f, img->entry);
  }
  if (img->entry & 3u) {
    return host_fail(err, "%s: entry point 0x%08x is not 4-byte aligned", f,
                    img->entry);
  }
  if (clear_ram) memset(ram, 0, ram_size);
  for (size_t i = 0; i < img->nsegs; i++) {
    const elf_segment *s = &img->segs[i];
    uint8_t *dst = ram + (s->vaddr - ram_base);
    memcpy(dst, img->data + s->offset, s->filesz);
    memset(dst + s->filesz, 0, s->memsz - s->filesz);
  }
  return true;
}

bool elf_section_at(const elf_image *img, uint32_t addr, char *name,
                    size_t size) {
  const uint8_t *d = img->data;
  if (!d || img->size < EHDR_SIZE) return false;
  uint32_t shoff = rd32(d + 32);
  uint16_t shentsize = rd16(d + 46), shnum = rd16(d + 48), shstrndx = rd16(d + 50);
  if (shoff == 0 || shentsize < SHDR_SIZE || shstrndx >= shnum ||
      !in_file(img, shoff, (uint64_t)shentsize * shnum)) {
    return false;
  }
  const uint8_t *strsh = d + shoff + (size_t)shstrndx * shentsize;
  uint32_t stroff = rd32(strsh + 16), strsize = rd32(strsh + 20);
  if (!in_file(img, stroff, strsize)) return false;
  for (unsigned i = 0; i < shnum; i++) {
    const uint8_t *sh = d + shoff + (size_t)i * shentsize;
    uint32_t sh_name = rd32(sh), start = rd32(sh + 12), len = rd32(sh + 20);
    if (!(rd32(sh + 8) & SHF_ALLOC) || addr - start >= len) continue;
    /* the name must end inside the string table */
    if (sh_name >= strsize || !memchr(d + stroff + sh_name, 0, strsize - sh_name)) {
      return false;
    }
    snprintf(name, size, "%s", (const char *)d + stroff + sh_name);
    return true;
  }
  return false;
}

void elf_free(elf_image *img) {
  free(img->name);
  free(img->data);
  free(img->segs);
  elf_symtab_free(&img->syms);
  memset(img, 0, sizeof *img);
}

/* The ELF loader on files built byte by byte in the test: a valid minimal
 * executable, then one broken field at a time, then every bit flipped and
 * every length cut.  Each refusal must name the file and the problem, leave
 * the image empty and leave guest RAM exactly as it was. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elf_image.h"

#define NAME "guest.elf"
#define BASE 0x80000000u
#define RAM_SIZE 0x4000u /* 16 KiB: both segments fit, and more */
#define PATTERN 0xa5u

/* The file's layout; the offsets are arbitrary but fixed so tests can
 * break one field by offset. */
#define EHDR 52u
#define PH(i) (EHDR + 32u * (i))
#define TEXT_OFF 0x100u
#define DATA_OFF 0x180u
#define SYMTAB_OFF 0x200u
#define STRTAB_OFF 0x300u
#define SHDR_OFF 0x3c0u
#define SH(i) (SHDR_OFF + 40u * (i))
#define SYM(i) (SYMTAB_OFF + 16u * (i))
#define FILE_SIZE (SHDR_OFF + 3u * 40u)

/* ELF header field offsets */
#define E_TYPE 16
#define E_MACHINE 18
#define E_ENTRY 24
#define E_PHOFF 28
#define E_SHOFF 32
#define E_FLAGS 36
#define E_PHENTSIZE 42
#define E_PHNUM 44
#define E_SHENTSIZE 46
#define E_SHNUM 48
/* program header field offsets */
#define P_TYPE 0
#define P_OFFSET 4
#define P_VADDR 8
#define P_PADDR 12
#define P_FILESZ 16
#define P_MEMSZ 20
#define P_FLAGS 24
/* section header field offsets */
#define S_TYPE 4
#define S_OFFSET 16
#define S_SIZE 20
#define S_LINK 24

#define TEXT_ADDR BASE
#define TEXT_SIZE 16u
#define DATA_ADDR (BASE + 0x1000u)
#define DATA_FILESZ 8u
#define DATA_MEMSZ 0x40u

typedef struct elfb {
  uint8_t b[FILE_SIZE];
  size_t size;
  uint32_t strsize; /* bytes used in the string table */
  unsigned nsyms;
} elfb;

static void w8(elfb *e, uint32_t off, uint8_t v) { e->b[off] = v; }
static void w16(elfb *e, uint32_t off, uint16_t v) {
  e->b[off] = (uint8_t)v;
  e->b[off + 1] = (uint8_t)(v >> 8);
}
static void w32(elfb *e, uint32_t off, uint32_t v) {
  for (int i = 0; i < 4; i++) e->b[off + i] = (uint8_t)(v >> (8 * i));
}

static const uint32_t text_words[4] = {
  0x00100513u, /* li a0, 1 */
  0x0000000bu, /* hcall */
  0x00100073u, /* ebreak */
  0x00000013u, /* nop */
};
static const uint8_t data_bytes[DATA_FILESZ] = "DATA123";

static void phdr(elfb *e, unsigned i, uint32_t type, uint32_t off,
                 uint32_t addr, uint32_t filesz, uint32_t memsz,
                 uint32_t flags) {
  w32(e, PH(i) + P_TYPE, type);
  w32(e, PH(i) + P_OFFSET, off);
  w32(e, PH(i) + P_VADDR, addr);
  w32(e, PH(i) + P_PADDR, addr);
  w32(e, PH(i) + P_FILESZ, filesz);
  w32(e, PH(i) + P_MEMSZ, memsz);
  w32(e, PH(i) + P_FLAGS, flags);
  w32(e, PH(i) + 28, 4); /* p_align */
}

static void symbol(elfb *e, const char *name, uint32_t value, uint32_t size,
                   uint8_t type, uint16_t shndx) {
  uint32_t at = SYM(e->nsyms++);
  size_t len = strlen(name);
  cr_assert(STRTAB_OFF + e->strsize + len + 1 <= SHDR_OFF, "strtab full");
  cr_assert(at + 16 <= STRTAB_OFF, "symtab full");
  uint32_t name_off = 0;
  if (len) {
    name_off = e->strsize;
    memcpy(e->b + STRTAB_OFF + e->strsize, name, len + 1);
    e->strsize += (uint32_t)len + 1;
  }
  w32(e, at, name_off);
  w32(e, at + 4, value);
  w32(e, at + 8, size);
  w8(e, at + 12, (uint8_t)(1u << 4 | type)); /* STB_GLOBAL */
  w16(e, at + 14, shndx);
}

/* A valid executable: a text segment, a data segment with .bss after its
 * file bytes, and a symbol table with the kinds of entries real
 * toolchains emit. */
static void build(elfb *e) {
  memset(e, 0, sizeof *e);
  e->size = FILE_SIZE;
  memcpy(e->b, "\x7f" "ELF", 4);
  w8(e, 4, 1); /* ELFCLASS32 */
  w8(e, 5, 1); /* ELFDATA2LSB */
  w8(e, 6, 1); /* EV_CURRENT */
  w16(e, E_TYPE, 2);
  w16(e, E_MACHINE, 243);
  w32(e, 20, 1);
  w32(e, E_ENTRY, TEXT_ADDR);
  w32(e, E_PHOFF, PH(0));
  w32(e, E_SHOFF, SHDR_OFF);
  w32(e, E_FLAGS, 0); /* soft-float, no RVC */
  w16(e, 40, EHDR);
  w16(e, E_PHENTSIZE, 32);
  w16(e, E_PHNUM, 2);
  w16(e, E_SHENTSIZE, 40);
  w16(e, E_SHNUM, 3);
  w16(e, 50, 0);

  phdr(e, 0, 1, TEXT_OFF, TEXT_ADDR, TEXT_SIZE, TEXT_SIZE, 5 /* R+X */);
  phdr(e, 1, 1, DATA_OFF, DATA_ADDR, DATA_FILESZ, DATA_MEMSZ, 6 /* R+W */);
  for (unsigned i = 0; i < 4; i++) w32(e, TEXT_OFF + 4 * i, text_words[i]);
  memcpy(e->b + DATA_OFF, data_bytes, DATA_FILESZ);

  e->strsize = 1; /* the empty name */
  symbol(e, "", 0, 0, 0, 0);                           /* index 0 */
  symbol(e, "_start", TEXT_ADDR, TEXT_SIZE, 2, 1);     /* STT_FUNC */
  symbol(e, "counter", DATA_ADDR, 4, 1, 2);            /* STT_OBJECT */
  symbol(e, "buffer", DATA_ADDR + 8, 0x38, 1, 3);      /* in .bss */
  symbol(e, "loop", TEXT_ADDR + 8, 0, 0, 1);           /* a label */
  symbol(e, ".text", TEXT_ADDR, 0, 3, 1);              /* STT_SECTION */
  symbol(e, "crt0.c", 0, 0, 4, 0xfff1);                /* STT_FILE */
  symbol(e, "$x", TEXT_ADDR, 0, 0, 1);                 /* mapping symbol */
  symbol(e, ".L3", TEXT_ADDR + 4, 0, 0, 1);            /* local label */
  symbol(e, "undefined_ext", 0, 0, 0, 0);              /* SHN_UNDEF */
  symbol(e, "absolute", 0x1234, 0, 0, 0xfff1);         /* SHN_ABS */

  /* [0] null, [1] .symtab -> [2] .strtab */
  w32(e, SH(1) + S_TYPE, 2);
  w32(e, SH(1) + S_OFFSET, SYMTAB_OFF);
  w32(e, SH(1) + S_SIZE, 16u * e->nsyms);
  w32(e, SH(1) + S_LINK, 2);
  w32(e, SH(1) + 28, 1);  /* sh_info */
  w32(e, SH(1) + 36, 16); /* sh_entsize */
  w32(e, SH(2) + S_TYPE, 3);
  w32(e, SH(2) + S_OFFSET, STRTAB_OFF);
  w32(e, SH(2) + S_SIZE, e->strsize);
}

static uint8_t ram[RAM_SIZE];

static void fill_ram(void) { memset(ram, PATTERN, sizeof ram); }

static bool ram_untouched(void) {
  for (size_t i = 0; i < sizeof ram; i++) {
    if (ram[i] != PATTERN) return false;
  }
  return true;
}

static bool image_empty(const elf_image *img) {
  return !img->name && !img->data && !img->segs && img->nsegs == 0 &&
         img->size == 0 && img->entry == 0 && img->syms.n == 0 &&
         !img->syms.syms && !img->syms.by_name;
}

static void expect_msg(const host_error *err, const char *name,
                       const char *what) {
  cr_expect(strstr(err->msg, name), "message does not name %s: \"%s\"", name,
            err->msg);
  cr_expect(strstr(err->msg, what), "message lacks \"%s\": \"%s\"", what,
            err->msg);
}

/* elf_parse refuses the bytes with a message containing what. */
static void expect_parse_fails(const uint8_t *data, size_t size,
                               const char *what) {
  elf_image img;
  memset(&img, 0x5a, sizeof img); /* parse must not rely on a clean struct */
  host_error err = {{0}};
  cr_assert(!elf_parse(&img, data, size, NAME, &err),
            "accepted; expected a refusal about \"%s\"", what);
  expect_msg(&err, NAME, what);
  cr_expect(image_empty(&img), "refused image is not left empty");
  elf_free(&img);
  elf_free(&img);
}

/* elf_parse accepts; elf_load refuses with what and leaves RAM alone. */
static void expect_load_fails(const elfb *e, const char *what) {
  elf_image img;
  host_error err = {{0}};
  cr_assert(elf_parse(&img, e->b, e->size, NAME, &err), "parse: %s", err.msg);
  fill_ram();
  cr_assert(!elf_load(&img, ram, BASE, RAM_SIZE, false, &err),
            "loaded; expected a refusal about \"%s\"", what);
  expect_msg(&err, NAME, what);
  cr_expect(ram_untouched(), "a refused load changed RAM");
  elf_free(&img);
  elf_free(&img);
}

/* ------------------------------------------------------------------ */

Test(elf, valid_executable_loads) {
  elfb e;
  build(&e);
  elf_image img;
  host_error err = {{0}};
  cr_assert(elf_parse(&img, e.b, e.size, NAME, &err), "%s", err.msg);
  cr_expect_str_eq(img.name, NAME);
  cr_expect_eq(img.size, FILE_SIZE);
  cr_expect_eq(img.entry, TEXT_ADDR);
  cr_assert_eq(img.nsegs, 2);
  cr_expect_eq(img.segs[0].vaddr, TEXT_ADDR);
  cr_expect_eq(img.segs[0].filesz, TEXT_SIZE);
  cr_expect_eq(img.segs[1].vaddr, DATA_ADDR);
  cr_expect_eq(img.segs[1].filesz, DATA_FILESZ);
  cr_expect_eq(img.segs[1].memsz, DATA_MEMSZ);
  cr_expect_eq(img.segs[1].offset, DATA_OFF);

  fill_ram();
  cr_assert(elf_load(&img, ram, BASE, RAM_SIZE, false, &err), "%s", err.msg);
  for (unsigned i = 0; i < 4; i++) {
    uint32_t w;
    memcpy(&w, ram + 4 * i, 4);
    cr_expect_eq(w, text_words[i], "text word %u: 0x%08x", i, w);
  }
  cr_expect_arr_eq(ram + 0x1000, data_bytes, DATA_FILESZ);
  for (uint32_t i = DATA_FILESZ; i < DATA_MEMSZ; i++) {
    cr_expect_eq(ram[0x1000 + i], 0, ".bss byte %u not zeroed", i);
  }
  /* everything outside the two segments is as it was */
  for (uint32_t i = 0; i < RAM_SIZE; i++) {
    bool in_text = i < TEXT_SIZE;
    bool in_data = i >= 0x1000 && i < 0x1000 + DATA_MEMSZ;
    if (!in_text && !in_data) {
      cr_assert_eq(ram[i], PATTERN, "byte 0x%x outside the segments changed",
                   i);
    }
  }
  elf_free(&img);
  cr_expect(image_empty(&img));
}

Test(elf, clear_ram_zeroes_everything_else) {
  elfb e;
  build(&e);
  elf_image img;
  host_error err = {{0}};
  cr_assert(elf_parse(&img, e.b, e.size, NAME, &err), "%s", err.msg);
  fill_ram();
  cr_assert(elf_load(&img, ram, BASE, RAM_SIZE, true, &err), "%s", err.msg);
  cr_expect_eq(ram[4], 0x0b, "the hcall word's low byte");
  cr_expect_arr_eq(ram + 0x1000, data_bytes, DATA_FILESZ);
  for (uint32_t i = 0; i < RAM_SIZE; i++) {
    bool in_text = i < TEXT_SIZE;
    bool in_data = i >= 0x1000 && i < 0x1000 + DATA_FILESZ;
    if (!in_text && !in_data) {
      cr_assert_eq(ram[i], 0, "byte 0x%x not cleared", i);
    }
  }
  elf_free(&img);
  /* a refused load clears nothing either */
  w32(&e, E_ENTRY, TEXT_ADDR + 2);
  cr_assert(elf_parse(&img, e.b, e.size, NAME, &err), "%s", err.msg);
  fill_ram();
  cr_assert(!elf_load(&img, ram, BASE, RAM_SIZE, true, &err));
  cr_expect(ram_untouched(), "a refused load with clear_ram changed RAM");
  elf_free(&img);
}

Test(elf, symbols_are_readable) {
  elfb e;
  build(&e);
  elf_image img;
  host_error err = {{0}};
  cr_assert(elf_parse(&img, e.b, e.size, NAME, &err), "%s", err.msg);
  const elf_symtab *t = &img.syms;
  cr_expect_eq(t->n, 4, "kept %zu symbols, want _start counter buffer loop",
               t->n);
  char buf[64];
  cr_expect(elf_symtab_format(t, TEXT_ADDR, buf, sizeof buf));
  cr_expect_str_eq(buf, "_start");
  cr_expect(elf_symtab_format(t, TEXT_ADDR + 4, buf, sizeof buf));
  cr_expect_str_eq(buf, "_start+4");
  cr_expect(elf_symtab_format(t, DATA_ADDR + 2, buf, sizeof buf));
  cr_expect_str_eq(buf, "counter+2");
  cr_expect(elf_symtab_format(t, DATA_ADDR + 0x10, buf, sizeof buf));
  cr_expect_str_eq(buf, "buffer+8");
  cr_expect(!elf_symtab_format(t, DATA_ADDR + 4, buf, sizeof buf),
            "gap between counter and buffer: \"%s\"", buf);
  const elf_sym *s = elf_symtab_find(t, TEXT_ADDR);
  cr_assert_not_null(s);
  cr_expect(s->is_func);
  cr_expect_eq(s->size, TEXT_SIZE);
  s = elf_symtab_find(t, DATA_ADDR);
  cr_assert_not_null(s);
  cr_expect(!s->is_func);

  uint32_t addr = 0;
  cr_expect(elf_symtab_lookup(t, "_start", &addr));
  cr_expect_eq(addr, TEXT_ADDR);
  cr_expect(elf_symtab_lookup(t, "counter", &addr));
  cr_expect_eq(addr, DATA_ADDR);
  cr_expect(elf_symtab_lookup(t, "buffer", &addr));
  cr_expect_eq(addr, DATA_ADDR + 8);
  cr_expect(elf_symtab_lookup(t, "loop", &addr));
  cr_expect_eq(addr, TEXT_ADDR + 8);
  /* section, file, mapping, .L, undefined and absolute symbols are not
   * code or data locations and are dropped */
  const char *dropped[] = {".text", "crt0.c", "$x", ".L3", "undefined_ext",
                           "absolute", ""};
  for (size_t i = 0; i < sizeof dropped / sizeof dropped[0]; i++) {
    cr_expect(!elf_symtab_lookup(t, dropped[i], &addr), "kept %s", dropped[i]);
  }
  elf_free(&img);
}

Test(elf, stripped_file_loads_without_symbols) {
  elfb e;
  build(&e);
  w32(&e, E_SHOFF, 0);
  w16(&e, E_SHNUM, 0);
  e.size = SYMTAB_OFF; /* and the tables are cut off too */
  elf_image img;
  host_error err = {{0}};
  cr_assert(elf_parse(&img, e.b, e.size, NAME, &err), "%s", err.msg);
  cr_expect_eq(img.syms.n, 0);
  char buf[16];
  cr_expect(!elf_symtab_format(&img.syms, TEXT_ADDR, buf, sizeof buf));
  fill_ram();
  cr_expect(elf_load(&img, ram, BASE, RAM_SIZE, false, &err), "%s", err.msg);
  elf_free(&img);
}

Test(elf, non_load_and_empty_segments_are_skipped) {
  elfb e;
  build(&e);
  w16(&e, E_PHNUM, 4);
  phdr(&e, 2, 4 /* PT_NOTE */, 0, 0, 0x10, 0x10, 4);
  phdr(&e, 3, 1, 0, BASE + 0x3000, 0, 0, 6); /* PT_LOAD with memsz 0 */
  elf_image img;
  host_error err = {{0}};
  cr_assert(elf_parse(&img, e.b, e.size, NAME, &err), "%s", err.msg);
  cr_expect_eq(img.nsegs, 2);
  fill_ram();
  cr_expect(elf_load(&img, ram, BASE, RAM_SIZE, false, &err), "%s", err.msg);
  cr_expect_eq(ram[0x3000], PATTERN);
  elf_free(&img);
}

Test(elf, segment_may_fill_ram_exactly) {
  elfb e;
  build(&e);
  w32(&e, PH(1) + P_MEMSZ, BASE + RAM_SIZE - DATA_ADDR);
  elf_image img;
  host_error err = {{0}};
  cr_assert(elf_parse(&img, e.b, e.size, NAME, &err), "%s", err.msg);
  fill_ram();
  cr_expect(elf_load(&img, ram, BASE, RAM_SIZE, false, &err), "%s", err.msg);
  cr_expect_eq(ram[RAM_SIZE - 1], 0);
  elf_free(&img);
}

/* ---------------------------------------------------------- refusals */

Test(elf, shell_script_is_not_an_elf) {
  static const char script[] = "#!/bin/sh\necho hello\n";
  expect_parse_fails((const uint8_t *)script, sizeof script - 1,
                     "not an ELF file");
}

Test(elf, empty_file_is_refused) {
  static const uint8_t none[1];
  expect_parse_fails(none, 0, "the file is empty");
}

Test(elf, sixty_four_bit_class) {
  elfb e;
  build(&e);
  w8(&e, 4, 2);
  expect_parse_fails(e.b, e.size, "64-bit");
  expect_parse_fails(e.b, e.size, "-march=rv32im");
}

Test(elf, unknown_class) {
  elfb e;
  build(&e);
  w8(&e, 4, 0);
  expect_parse_fails(e.b, e.size, "unknown ELF class 0");
}

Test(elf, big_endian) {
  elfb e;
  build(&e);
  w8(&e, 5, 2);
  expect_parse_fails(e.b, e.size, "big-endian");
}

Test(elf, wrong_machine) {
  elfb e;
  build(&e);
  w16(&e, E_MACHINE, 62);
  expect_parse_fails(e.b, e.size, "built for x86-64");
  expect_parse_fails(e.b, e.size, "not RISC-V");
  w16(&e, E_MACHINE, 0x1234);
  expect_parse_fails(e.b, e.size, "ELF machine 4660");
}

Test(elf, relocatable_object) {
  elfb e;
  build(&e);
  w16(&e, E_TYPE, 1);
  expect_parse_fails(e.b, e.size, "an object file");
  expect_parse_fails(e.b, e.size, "not an executable");
}

Test(elf, shared_object_or_pie) {
  elfb e;
  build(&e);
  w16(&e, E_TYPE, 3);
  expect_parse_fails(e.b, e.size, "shared object or PIE");
  expect_parse_fails(e.b, e.size, "static executable");
}

/* Each refusal names the flag and the options that build a guest pvlab
 * runs, whatever other flags are set beside it (TSO, 0x10, is harmless). */
Test(elf, compressed_instructions_flag) {
  elfb e;
  build(&e);
  const uint32_t with_rvc[] = {0x1, 0x1 | 0x10, 0x1 | 0x4 | 0x8};
  for (size_t i = 0; i < sizeof with_rvc / sizeof with_rvc[0]; i++) {
    w32(&e, E_FLAGS, with_rvc[i]);
    expect_parse_fails(e.b, e.size, NAME ": built for compressed instructions "
                       "(EF_RISCV_RVC); pvlab runs RV32IM: build with "
                       "-march=rv32im -mabi=ilp32");
  }
}

Test(elf, float_abi_flags) {
  elfb e;
  build(&e);
  static const char *const abi[] = {"single-float ABI (EF_RISCV_FLOAT_ABI_SINGLE)",
                                    "double-float ABI (EF_RISCV_FLOAT_ABI_DOUBLE)",
                                    "quad-float ABI (EF_RISCV_FLOAT_ABI_QUAD)"};
  for (uint32_t k = 1; k <= 3; k++) {
    w32(&e, E_FLAGS, k << 1);
    char want[256];
    snprintf(want, sizeof want, NAME ": built for the %s; pvlab runs RV32IM with "
             "no floating-point registers: build with -march=rv32im -mabi=ilp32",
             abi[k - 1]);
    expect_parse_fails(e.b, e.size, want);
  }
}

Test(elf, rve_flag) {
  elfb e;
  build(&e);
  w32(&e, E_FLAGS, 0x8);
  expect_parse_fails(e.b, e.size, NAME ": built for RV32E, 16 registers "
                     "(EF_RISCV_RVE); pvlab runs RV32IM: build with "
                     "-march=rv32im -mabi=ilp32");
}

Test(elf, harmless_flags_load) {
  elfb e;
  build(&e);
  w32(&e, E_FLAGS, 0x10); /* EF_RISCV_TSO: RV32IM code is correct under it */
  elf_image img;
  host_error err;
  cr_assert(elf_parse(&img, e.b, e.size, NAME, &err), "%s", err.msg);
  elf_free(&img);
}

Test(elf, truncated_header_at_every_length) {
  elfb e;
  build(&e);
  for (size_t n = 0; n < EHDR; n++) {
    /* a heap copy of exactly n bytes, so ASan sees any read past them */
    uint8_t *cut = malloc(n ? n : 1);
    cr_assert_not_null(cut);
    memcpy(cut, e.b, n);
    expect_parse_fails(cut, n, n == 0 ? "the file is empty" : n < 4 ? "not an ELF file" : "truncated");
    free(cut);
  }
}

Test(elf, truncated_header_says_how_much_is_there) {
  elfb e;
  build(&e);
  expect_parse_fails(e.b, 40, "40 of 52 bytes");
}

Test(elf, no_program_headers) {
  elfb e;
  build(&e);
  w16(&e, E_PHNUM, 0);
  expect_parse_fails(e.b, e.size, "no program headers");
}

Test(elf, program_header_entries_too_small) {
  elfb e;
  build(&e);
  w16(&e, E_PHENTSIZE, 16);
  expect_parse_fails(e.b, e.size, "too small");
}

Test(elf, program_headers_past_end_of_file) {
  elfb e;
  build(&e);
  w32(&e, E_PHOFF, FILE_SIZE - 40); /* the second entry runs off the end */
  expect_parse_fails(e.b, e.size, "program headers");
  expect_parse_fails(e.b, e.size, "past the end of the file");
  w32(&e, E_PHOFF, 0xffffffe0u); /* offset + size wraps 32 bits */
  expect_parse_fails(e.b, e.size, "past the end of the file");
  build(&e);
  w16(&e, E_PHNUM, 0xffff);
  expect_parse_fails(e.b, e.size, "past the end of the file");
}

Test(elf, segment_bytes_past_end_of_file) {
  elfb e;
  build(&e);
  w32(&e, PH(1) + P_OFFSET, FILE_SIZE - 4); /* 8 bytes from 4 before the end */
  expect_parse_fails(e.b, e.size, "segment 1");
  expect_parse_fails(e.b, e.size, "truncated");
  w32(&e, PH(1) + P_OFFSET, 0xfffffffcu); /* offset + filesz wraps */
  expect_parse_fails(e.b, e.size, "truncated");
  /* a segment ending exactly at the end of the file is fine */
  w32(&e, PH(1) + P_OFFSET, FILE_SIZE - DATA_FILESZ);
  elf_image img;
  host_error err = {{0}};
  cr_expect(elf_parse(&img, e.b, e.size, NAME, &err), "%s", err.msg);
  elf_free(&img);
}

Test(elf, filesz_larger_than_memsz) {
  elfb e;
  build(&e);
  w32(&e, PH(1) + P_MEMSZ, DATA_FILESZ - 1);
  expect_parse_fails(e.b, e.size, "more file bytes (8) than memory bytes (7)");
}

Test(elf, paddr_differs_from_vaddr) {
  elfb e;
  build(&e);
  w32(&e, PH(1) + P_PADDR, BASE + 0x2000);
  expect_parse_fails(e.b, e.size, "loads at 0x80002000 but runs at 0x80001000");
}

Test(elf, no_loadable_segment) {
  elfb e;
  build(&e);
  w32(&e, PH(0) + P_TYPE, 4);
  w32(&e, PH(1) + P_TYPE, 6);
  expect_parse_fails(e.b, e.size, "no loadable segment");
}

Test(elf, segment_below_ram) {
  elfb e;
  build(&e);
  w32(&e, PH(1) + P_VADDR, BASE - 0x1000);
  w32(&e, PH(1) + P_PADDR, BASE - 0x1000);
  expect_load_fails(&e, "outside guest RAM");
  /* straddling the base is just as bad */
  w32(&e, PH(1) + P_VADDR, BASE - 8);
  w32(&e, PH(1) + P_PADDR, BASE - 8);
  expect_load_fails(&e, "[0x7ffffff8, 0x80000038) lies outside guest RAM "
                        "[0x80000000, 0x80004000)");
}

Test(elf, segment_past_end_of_ram) {
  elfb e;
  build(&e);
  uint32_t at = BASE + RAM_SIZE - DATA_MEMSZ + 4; /* 4 bytes too far */
  w32(&e, PH(1) + P_VADDR, at);
  w32(&e, PH(1) + P_PADDR, at);
  expect_load_fails(&e, "outside guest RAM");
  expect_load_fails(&e, "--mem");
  w32(&e, PH(1) + P_VADDR, BASE + RAM_SIZE);
  w32(&e, PH(1) + P_PADDR, BASE + RAM_SIZE);
  expect_load_fails(&e, "outside guest RAM");
}

Test(elf, segment_wrapping_around_4_gib) {
  elfb e;
  build(&e);
  w32(&e, PH(1) + P_VADDR, 0xfffffff0u);
  w32(&e, PH(1) + P_PADDR, 0xfffffff0u);
  expect_load_fails(&e, "outside guest RAM");
  /* a huge memsz from inside RAM that wraps back to RAM */
  build(&e);
  w32(&e, PH(1) + P_MEMSZ, 0xffffffffu);
  expect_load_fails(&e, "outside guest RAM");
}

Test(elf, overlapping_segments) {
  elfb e;
  build(&e);
  w32(&e, PH(1) + P_VADDR, TEXT_ADDR + 8);
  w32(&e, PH(1) + P_PADDR, TEXT_ADDR + 8);
  expect_load_fails(&e, "segments at 0x80000000 and 0x80000008 overlap");
  /* the text inside the data, listed before it */
  build(&e);
  w32(&e, PH(0) + P_VADDR, DATA_ADDR + 0x10);
  w32(&e, PH(0) + P_PADDR, DATA_ADDR + 0x10);
  w32(&e, E_ENTRY, DATA_ADDR + 0x10);
  expect_load_fails(&e, "segments at 0x80001010 and 0x80001000 overlap");
  /* touching but not overlapping is fine */
  build(&e);
  w32(&e, PH(1) + P_VADDR, TEXT_ADDR + TEXT_SIZE);
  w32(&e, PH(1) + P_PADDR, TEXT_ADDR + TEXT_SIZE);
  elf_image img;
  host_error err = {{0}};
  cr_assert(elf_parse(&img, e.b, e.size, NAME, &err), "%s", err.msg);
  fill_ram();
  cr_expect(elf_load(&img, ram, BASE, RAM_SIZE, false, &err), "%s", err.msg);
  elf_free(&img);
}

/* The most program headers a file can have (65,535), each a 4-byte
 * segment in an 8-byte slot, the slots in a scrambled order so that
 * neighbours in memory are far apart in the file: slot (i * STRIDE) mod
 * n for header i.  Only an ELF header and the program headers. */
#define MANY 65535u
#define STRIDE 7919u /* a prime: i * STRIDE mod MANY visits every slot */
#define MANY_RAM (8u * MANY + 0x1000u)

static uint32_t many_addr(uint32_t i) { return BASE + 8u * (uint32_t)((uint64_t)i * STRIDE % MANY); }

static uint8_t *build_many(size_t *size) {
  *size = EHDR + 32u * MANY;
  uint8_t *b = calloc(1, *size);
  cr_assert(b);
  elfb *hdr = malloc(sizeof *hdr); /* the builder's ELF header, copied */
  cr_assert(hdr);
  build(hdr);
  memcpy(b, hdr->b, EHDR);
  free(hdr);
  b[E_SHOFF] = b[E_SHOFF + 1] = b[E_SHOFF + 2] = b[E_SHOFF + 3] = 0;
  b[E_SHNUM] = b[E_SHNUM + 1] = 0;
  b[E_PHNUM] = (uint8_t)MANY;
  b[E_PHNUM + 1] = (uint8_t)(MANY >> 8);
  for (uint32_t i = 0; i < MANY; i++) {
    uint8_t *ph = b + EHDR + 32u * i;
    uint32_t f[8] = {1, 0, many_addr(i), many_addr(i), 0, 4, 5 /* R+X */, 4};
    for (int k = 0; k < 8; k++) {
      for (int j = 0; j < 4; j++) ph[4 * k + j] = (uint8_t)(f[k] >> (8 * j));
    }
  }
  return b;
}

static bool load_many(const uint8_t *b, size_t size, host_error *err) {
  elf_image img;
  cr_assert(elf_parse(&img, b, size, NAME, err), "parse: %s", err->msg);
  cr_assert_eq(img.nsegs, MANY);
  uint8_t *mem = malloc(MANY_RAM);
  cr_assert(mem);
  bool ok = elf_load(&img, mem, BASE, MANY_RAM, true, err);
  free(mem);
  elf_free(&img);
  return ok;
}

/* With every header a segment, the overlap check still finds the one
 * pair that overlaps, however far apart in the file (the check sorts by
 * address: a check of file neighbours only would miss it). */
Test(elf, overlap_among_65535_segments) {
  size_t size;
  uint8_t *b = build_many(&size);
  host_error err = {{0}};
  cr_expect(load_many(b, size, &err), "no overlap, but: %s", err.msg);
  /* header 1000's segment grows into the next slot: whose is it? */
  uint32_t grown = 1000, next = 0;
  while (many_addr(next) != many_addr(grown) + 8) next++;
  cr_assert(next > grown + 1 || next + 1 < grown, "the pair is far apart in the file");
  uint8_t *ph = b + EHDR + 32u * grown;
  ph[20] = 12; /* p_memsz: 4 bytes into the next slot's segment */
  cr_assert_not(load_many(b, size, &err), "an overlap among %u segments was not found", MANY);
  char want[96];
  uint32_t a1 = many_addr(grown < next ? grown : next), a2 = many_addr(grown < next ? next : grown);
  snprintf(want, sizeof want, "segments at 0x%08x and 0x%08x overlap", a1, a2);
  expect_msg(&err, NAME, want);
  free(b);
}

Test(elf, entry_outside_any_executable_segment) {
  elfb e;
  build(&e);
  w32(&e, E_ENTRY, DATA_ADDR); /* inside a segment, but not executable */
  expect_load_fails(&e, "entry point 0x80001000 is not inside an executable "
                        "segment");
  w32(&e, E_ENTRY, TEXT_ADDR + TEXT_SIZE); /* one past the end of text */
  expect_load_fails(&e, "not inside an executable segment");
  w32(&e, E_ENTRY, 0);
  expect_load_fails(&e, "not inside an executable segment");
  w32(&e, E_ENTRY, TEXT_ADDR - 4);
  expect_load_fails(&e, "not inside an executable segment");
}

Test(elf, misaligned_entry) {
  elfb e;
  build(&e);
  w32(&e, E_ENTRY, TEXT_ADDR + 2);
  expect_load_fails(&e, "entry point 0x80000002 is not 4-byte aligned");
}

Test(elf, section_headers_past_end_of_file) {
  elfb e;
  build(&e);
  w32(&e, E_SHOFF, FILE_SIZE - 40);
  expect_parse_fails(e.b, e.size, "section headers");
  build(&e);
  w16(&e, E_SHENTSIZE, 20);
  expect_parse_fails(e.b, e.size, "section headers");
}

Test(elf, symbol_table_out_of_bounds) {
  elfb e;
  build(&e);
  w32(&e, SH(1) + S_OFFSET, FILE_SIZE - 16);
  expect_parse_fails(e.b, e.size, "symbol table lies outside the file");
  build(&e);
  w32(&e, SH(1) + S_SIZE, 0xfffffff0u);
  expect_parse_fails(e.b, e.size, "symbol table lies outside the file");
  build(&e);
  w32(&e, SH(1) + S_LINK, 3); /* no section 3 */
  expect_parse_fails(e.b, e.size, "symbol table lies outside the file");
}

Test(elf, string_table_out_of_bounds) {
  elfb e;
  build(&e);
  w32(&e, SH(2) + S_OFFSET, FILE_SIZE - 4);
  expect_parse_fails(e.b, e.size, "symbol name table is malformed");
  build(&e);
  w32(&e, SH(2) + S_SIZE, 0xffffff00u);
  expect_parse_fails(e.b, e.size, "symbol name table is malformed");
  build(&e);
  w32(&e, SH(2) + S_SIZE, 0);
  expect_parse_fails(e.b, e.size, "symbol name table is malformed");
}

Test(elf, symbol_name_offset_out_of_range) {
  elfb e;
  build(&e);
  w32(&e, SYM(2), e.strsize); /* one past the last byte */
  expect_parse_fails(e.b, e.size, "symbol 2 names a string outside");
  w32(&e, SYM(2), 0xffffffffu);
  expect_parse_fails(e.b, e.size, "symbol 2 names a string outside");
}

Test(elf, string_table_not_nul_terminated) {
  elfb e;
  build(&e);
  e.b[STRTAB_OFF + e.strsize - 1] = 'x';
  expect_parse_fails(e.b, e.size, "symbol name table is malformed");
}

/* --------------------------------------------------------- elf_open */

static char tmpdir[64];

static void make_tmpdir(void) {
  strcpy(tmpdir, "/tmp/pvlab-test-elf-XXXXXX");
  cr_assert_not_null(mkdtemp(tmpdir), "mkdtemp: %s", strerror(errno));
}

static void remove_tmpdir(void) {
  DIR *dir = opendir(tmpdir);
  cr_assert_not_null(dir, "%s: %s", tmpdir, strerror(errno));
  for (struct dirent *ent; (ent = readdir(dir));) {
    if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0) {
      continue;
    }
    char path[400];
    snprintf(path, sizeof path, "%s/%s", tmpdir, ent->d_name);
    cr_expect_eq(unlink(path), 0, "%s: %s", path, strerror(errno));
  }
  closedir(dir);
  cr_expect_eq(rmdir(tmpdir), 0, "%s: %s", tmpdir, strerror(errno));
}

static void write_file(const char *path, const void *data, size_t size) {
  FILE *fp = fopen(path, "wb");
  cr_assert_not_null(fp, "%s: %s", path, strerror(errno));
  cr_assert_eq(fwrite(data, 1, size, fp), size);
  cr_assert_eq(fclose(fp), 0);
}

Test(elf_open, missing_file_names_path_and_reason,
     .init = make_tmpdir, .fini = remove_tmpdir) {
  char path[128];
  snprintf(path, sizeof path, "%s/no-such-guest.elf", tmpdir);
  elf_image img;
  host_error err = {{0}};
  cr_assert(!elf_open(&img, path, &err));
  expect_msg(&err, path, strerror(ENOENT));
  cr_expect(image_empty(&img));
  elf_free(&img);
}

Test(elf_open, reads_a_file_from_disk, .init = make_tmpdir,
     .fini = remove_tmpdir) {
  elfb e;
  build(&e);
  char path[128];
  snprintf(path, sizeof path, "%s/guest.elf", tmpdir);
  write_file(path, e.b, e.size);
  elf_image img;
  host_error err = {{0}};
  cr_assert(elf_open(&img, path, &err), "%s", err.msg);
  cr_expect_str_eq(img.name, path);
  cr_expect_eq(img.size, e.size);
  cr_expect_arr_eq(img.data, e.b, e.size);
  cr_expect_eq(img.entry, TEXT_ADDR);
  uint32_t addr = 0;
  cr_expect(elf_symtab_lookup(&img.syms, "counter", &addr));
  cr_expect_eq(addr, DATA_ADDR);
  elf_free(&img);
}

Test(elf_open, large_file_is_read_whole, .init = make_tmpdir,
     .fini = remove_tmpdir) {
  /* bigger than the first read buffer: the reader must grow it */
  size_t size = 200000;
  uint8_t *big = calloc(size, 1);
  cr_assert_not_null(big);
  elfb e;
  build(&e);
  memcpy(big, e.b, e.size);
  big[size - 1] = 0x77;
  /* a data segment at the very end of the file */
  uint32_t ph1 = PH(1);
  big[ph1 + P_OFFSET] = (uint8_t)(size - DATA_FILESZ);
  big[ph1 + P_OFFSET + 1] = (uint8_t)((size - DATA_FILESZ) >> 8);
  big[ph1 + P_OFFSET + 2] = (uint8_t)((size - DATA_FILESZ) >> 16);
  char path[128];
  snprintf(path, sizeof path, "%s/big.elf", tmpdir);
  write_file(path, big, size);
  elf_image img;
  host_error err = {{0}};
  cr_assert(elf_open(&img, path, &err), "%s", err.msg);
  cr_expect_eq(img.size, size);
  fill_ram();
  cr_assert(elf_load(&img, ram, BASE, RAM_SIZE, false, &err), "%s", err.msg);
  cr_expect_eq(ram[0x1000 + DATA_FILESZ - 1], 0x77);
  elf_free(&img);
  free(big);
}

Test(elf_open, empty_file_is_refused, .init = make_tmpdir,
     .fini = remove_tmpdir) {
  char path[128];
  snprintf(path, sizeof path, "%s/empty.elf", tmpdir);
  write_file(path, "", 0);
  elf_image img;
  host_error err = {{0}};
  cr_assert(!elf_open(&img, path, &err));
  expect_msg(&err, path, "the file is empty");
  cr_expect(image_empty(&img));
  elf_free(&img);
}

Test(elf_open, directory_is_refused, .init = make_tmpdir,
     .fini = remove_tmpdir) {
  elf_image img;
  host_error err = {{0}};
  cr_assert(!elf_open(&img, tmpdir, &err));
  cr_expect(strstr(err.msg, tmpdir), "%s", err.msg);
  cr_expect(image_empty(&img));
  elf_free(&img);
}

/* ------------------------------------------------------------ fuzzing */

static unsigned fuzz_loaded, fuzz_refused;

/* Parse and load whatever the bytes are: success, or a refusal with a
 * message, an empty image and untouched RAM. */
static void parse_and_load(const uint8_t *data, size_t size) {
  uint8_t *copy = malloc(size ? size : 1); /* exact size for ASan */
  cr_assert_not_null(copy);
  memcpy(copy, data, size);
  elf_image img;
  host_error err = {{0}};
  if (!elf_parse(&img, copy, size, NAME, &err)) {
    cr_assert(err.msg[0], "refused without a message");
    cr_assert(strstr(err.msg, NAME), "message does not name the file: %s",
              err.msg);
    cr_assert(image_empty(&img));
    elf_free(&img);
    fuzz_refused++;
    free(copy);
    return;
  }
  err.msg[0] = 0;
  if (elf_load(&img, ram, BASE, RAM_SIZE, false, &err)) {
    cr_assert(img.entry >= BASE && img.entry - BASE < RAM_SIZE &&
              (img.entry & 3) == 0, "loaded with entry 0x%08x", img.entry);
    fill_ram();
    fuzz_loaded++;
  } else {
    cr_assert(err.msg[0], "load refused without a message");
    cr_assert(strstr(err.msg, NAME), "%s", err.msg);
    cr_assert(ram_untouched(), "refused load changed RAM: %s", err.msg);
    fuzz_refused++;
  }
  /* whatever was parsed must be usable */
  char buf[64];
  (void)elf_symtab_format(&img.syms, img.entry, buf, sizeof buf);
  elf_free(&img);
  free(copy);
}

Test(elf_fuzz, every_bit_of_every_byte_flipped) {
  elfb e;
  build(&e);
  fill_ram();
  fuzz_loaded = fuzz_refused = 0;
  for (size_t off = 0; off < e.size; off++) {
    for (unsigned bit = 0; bit < 8; bit++) {
      e.b[off] ^= (uint8_t)(1u << bit);
      parse_and_load(e.b, e.size);
      e.b[off] ^= (uint8_t)(1u << bit);
    }
  }
  /* both outcomes happen, so the loop exercised something */
  cr_expect_gt(fuzz_loaded, 1000);
  cr_expect_gt(fuzz_refused, 100);
}

Test(elf_fuzz, every_header_byte_set_to_extremes) {
  static const uint8_t values[] = {0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff};
  elfb e;
  build(&e);
  fill_ram();
  /* the ELF header, program headers and section headers */
  for (size_t off = 0; off < e.size; off++) {
    bool header = off < PH(2) || off >= SHDR_OFF;
    if (!header) continue;
    uint8_t saved = e.b[off];
    for (size_t v = 0; v < sizeof values; v++) {
      e.b[off] = values[v];
      parse_and_load(e.b, e.size);
    }
    e.b[off] = saved;
  }
}

Test(elf_fuzz, header_words_set_to_extremes) {
  /* whole 32-bit fields at once reach values single bytes cannot */
  static const uint32_t values[] = {0, 1, 0x7fffffffu, 0x80000000u,
                                    0xfffffff0u, 0xffffffffu};
  elfb e;
  build(&e);
  fill_ram();
  for (size_t off = 0; off + 4 <= e.size; off += 2) {
    bool header = off < PH(2) || off >= SHDR_OFF;
    if (!header) continue;
    uint8_t saved[4];
    memcpy(saved, e.b + off, 4);
    for (size_t v = 0; v < sizeof values / sizeof values[0]; v++) {
      w32(&e, (uint32_t)off, values[v]);
      parse_and_load(e.b, e.size);
    }
    memcpy(e.b + off, saved, 4);
  }
}

Test(elf_fuzz, truncated_at_every_length) {
  elfb e;
  build(&e);
  fill_ram();
  fuzz_loaded = fuzz_refused = 0;
  for (size_t n = 0; n <= e.size; n++) parse_and_load(e.b, n);
  /* only the whole file has its section headers */
  cr_expect_eq(fuzz_loaded, 1);
  cr_expect_eq(fuzz_refused, e.size);
}

Test(elf_fuzz, null_data_with_zero_size) {
  elf_image img;
  host_error err = {{0}};
  cr_assert(!elf_parse(&img, NULL, 0, NAME, &err));
  expect_msg(&err, NAME, "the file is empty");
  elf_free(&img);
}

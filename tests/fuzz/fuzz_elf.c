/* The ELF loader under fire (elf/elf.c, elf/symtab.c): any bytes as a
 * guest executable.  They are parsed, or refused with a message naming
 * the file and an image left empty; a parsed image is loaded into a small
 * RAM, or refused with RAM untouched; a loaded one is asked what the
 * monitor asks (symbols by address and by name, sections).  Anything else
 * aborts, and the sanitizers see every bad access on the way.
 *
 * Built with -Dfuzz=true (clang) it is the libFuzzer target fuzz_elf;
 * otherwise, with tests/fuzz/fuzz_driver.c, the test fuzz_elf_corpus over
 * tests/fuzz/corpus/elf. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf_image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NAME "fuzz.elf"
#define RAM_BASE 0x80000000u
#define RAM_SIZE (64u * 1024u)
#define PATTERN 0x5a

static uint8_t ram[RAM_SIZE];

static bool untouched(void) {
  for (size_t i = 0; i < RAM_SIZE; i++) {
    if (ram[i] != PATTERN) return false;
  }
  return true;
}

static void check_refusal(const host_error *err, const elf_image *img) {
  if (strncmp(err->msg, NAME ": ", strlen(NAME) + 2) != 0) abort();
  if (img->name || img->data || img->segs || img->nsegs || img->syms.n) abort();
}

/* What the monitor and the disassembler ask of a loaded guest. */
static void ask(const elf_image *img) {
  char buf[128];
  const elf_symtab *t = &img->syms;
  for (size_t i = 0; i < t->n; i++) {
    const elf_sym *s = &t->syms[i];
    uint32_t addr;
    if (!s->name || !elf_symtab_lookup(t, s->name, &addr)) abort();
    if (i > 0 && t->syms[i - 1].addr > s->addr) abort(); /* sorted */
    const elf_sym *found = elf_symtab_find(t, s->addr);
    if (found && found->addr > s->addr) abort();
    if (elf_symtab_format(t, s->addr + s->size / 2, buf, sizeof buf) && !memchr(buf, 0, sizeof buf)) {
      abort();
    }
    elf_section_at(img, s->addr, buf, sizeof buf);
  }
  for (size_t i = 0; i < img->nsegs; i++) {
    elf_section_at(img, img->segs[i].vaddr, buf, sizeof buf);
    elf_symtab_format(t, img->segs[i].vaddr, buf, sizeof buf);
  }
  elf_section_at(img, img->entry, buf, sizeof buf);
  uint32_t addr;
  (void)elf_symtab_lookup(t, "main", &addr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  elf_image img;
  host_error err = {{0}};
  if (!elf_parse(&img, data, size, NAME, &err)) {
    check_refusal(&err, &img);
    return 0;
  }
  if (img.size != size || memcmp(img.data, data, size) != 0) abort();
  memset(ram, PATTERN, sizeof ram);
  err.msg[0] = 0;
  if (!elf_load(&img, ram, RAM_BASE, RAM_SIZE, false, &err)) {
    if (strncmp(err.msg, NAME ": ", strlen(NAME) + 2) != 0 || !untouched()) abort();
  } else {
    /* every segment's file bytes are where it said */
    for (size_t i = 0; i < img.nsegs; i++) {
      const elf_segment *s = &img.segs[i];
      if (memcmp(ram + (s->vaddr - RAM_BASE), data + s->offset, s->filesz) != 0) abort();
    }
  }
  ask(&img);
  elf_free(&img);
  elf_free(&img); /* twice is harmless */
  return 0;
}

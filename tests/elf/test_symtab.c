/* symtab: address -> "name+off" and name -> address, on tables built by
 * hand, including the awkward shapes real ELF files have (unsized labels,
 * aliases, objects nested in functions, gaps between sized symbols). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "elf_symtab.h"

static void add(elf_symtab *t, const char *name, uint32_t addr, uint32_t size,
                bool is_func) {
  cr_assert(elf_symtab_add(t, name, addr, size, is_func), "symtab_add(%s)", name);
}

static void finish(elf_symtab *t) { cr_assert(elf_symtab_finish(t)); }

/* elf_symtab_format as a string; "" when nothing contains addr. */
static const char *fmt(const elf_symtab *t, uint32_t addr) {
  static char buf[128];
  memset(buf, 'X', sizeof buf);
  bool found = elf_symtab_format(t, addr, buf, sizeof buf);
  cr_assert(memchr(buf, 0, sizeof buf), "format left buf unterminated");
  cr_assert_eq(found, buf[0] != 0, "format at 0x%08x returned %d with \"%s\"",
               addr, found, buf);
  return buf;
}

static void expect_fmt(const elf_symtab *t, uint32_t addr, const char *want) {
  cr_expect_str_eq(fmt(t, addr), want, "0x%08x: \"%s\", want \"%s\"", addr,
                   fmt(t, addr), want);
}

static void expect_lookup(const elf_symtab *t, const char *name, uint32_t want) {
  uint32_t addr = 0xdeadbeefu;
  cr_expect(elf_symtab_lookup(t, name, &addr), "lookup(%s) failed", name);
  cr_expect_eq(addr, want, "lookup(%s) = 0x%08x, want 0x%08x", name, addr,
               want);
}

static void expect_no_lookup(const elf_symtab *t, const char *name) {
  uint32_t addr = 0x12345678u;
  cr_expect(!elf_symtab_lookup(t, name, &addr), "lookup(%s) found something",
            name);
  cr_expect_eq(addr, 0x12345678u, "failed lookup(%s) wrote addr", name);
}

Test(symtab, empty_table_finds_nothing) {
  elf_symtab t = {0};
  finish(&t);
  cr_expect_null(elf_symtab_find(&t, 0));
  cr_expect_null(elf_symtab_find(&t, 0x80000000u));
  cr_expect_null(elf_symtab_find(&t, 0xffffffffu));
  expect_fmt(&t, 0x80000000u, "");
  expect_no_lookup(&t, "main");
  expect_no_lookup(&t, "");
  elf_symtab_free(&t);
  elf_symtab_free(&t); /* freeing twice is harmless: free zeroes the table */
}

Test(symtab, format_with_zero_size_buffer_is_safe) {
  elf_symtab t = {0};
  add(&t, "main", 0x100, 0x10, true);
  finish(&t);
  char guard = 'G';
  cr_expect(elf_symtab_format(&t, 0x104, &guard, 0));
  cr_expect_eq(guard, 'G', "wrote into a zero-size buffer");
  cr_expect(!elf_symtab_format(&t, 0x200, &guard, 0));
  cr_expect_eq(guard, 'G');
  elf_symtab_free(&t);
}

Test(symtab, sized_function_and_offsets) {
  elf_symtab t = {0};
  /* added out of order, as ELF files list them */
  add(&t, "helper", 0x80000100u, 0x20, true);
  add(&t, "main", 0x80000000u, 0x100, true);
  finish(&t);
  const elf_sym *s = elf_symtab_find(&t, 0x80000000u);
  cr_assert_not_null(s);
  cr_expect_str_eq(s->name, "main");
  cr_expect_eq(s->addr, 0x80000000u);
  cr_expect_eq(s->size, 0x100u);
  cr_expect(s->is_func);
  expect_fmt(&t, 0x80000000u, "main");
  expect_fmt(&t, 0x80000004u, "main+4");
  expect_fmt(&t, 0x800000ffu, "main+255");
  expect_fmt(&t, 0x80000100u, "helper");
  expect_fmt(&t, 0x8000011cu, "helper+28");
  /* below the first symbol and past the last sized one: nothing */
  expect_fmt(&t, 0x7ffffffcu, "");
  expect_fmt(&t, 0x80000120u, "");
  expect_fmt(&t, 0xffffffffu, "");
  expect_fmt(&t, 0, "");
  expect_lookup(&t, "main", 0x80000000u);
  expect_lookup(&t, "helper", 0x80000100u);
  elf_symtab_free(&t);
}

Test(symtab, zero_size_label_covers_up_to_the_next_symbol) {
  elf_symtab t = {0};
  add(&t, "_start", 0x80000000u, 0, false);
  add(&t, "next", 0x80000040u, 0, false);
  finish(&t);
  expect_fmt(&t, 0x80000000u, "_start");
  expect_fmt(&t, 0x8000003cu, "_start+60");
  expect_fmt(&t, 0x80000040u, "next");
  /* the last unsized label has nothing after it to end it */
  expect_fmt(&t, 0x80100000u, "next+1048512");
  expect_fmt(&t, 0x7fffffffu, "");
  elf_symtab_free(&t);
}

Test(symtab, several_symbols_at_one_address_prefer_the_function) {
  elf_symtab t = {0};
  /* names chosen so that alphabetical order alone would pick a label */
  add(&t, "aaa_label", 0x1000, 0, false);
  add(&t, "zz_func", 0x1000, 0x40, true);
  add(&t, "bbb_object", 0x1000, 0x40, false);
  finish(&t);
  const elf_sym *s = elf_symtab_find(&t, 0x1000);
  cr_assert_not_null(s);
  cr_expect_str_eq(s->name, "zz_func");
  expect_fmt(&t, 0x1010, "zz_func+16");
  /* every alias is still reachable by name */
  expect_lookup(&t, "aaa_label", 0x1000);
  expect_lookup(&t, "zz_func", 0x1000);
  expect_lookup(&t, "bbb_object", 0x1000);
  elf_symtab_free(&t);
}

Test(symtab, sized_symbol_preferred_over_label_at_one_address) {
  elf_symtab t = {0};
  add(&t, "a_label", 0x2000, 0, false);
  add(&t, "z_object", 0x2000, 8, false);
  finish(&t);
  expect_fmt(&t, 0x2004, "z_object+4");
  /* past the object, only the label still covers the address */
  expect_fmt(&t, 0x2010, "a_label+16");
  elf_symtab_free(&t);
}

Test(symtab, gap_after_a_sized_symbol_has_no_name) {
  elf_symtab t = {0};
  add(&t, "f", 0x100, 0x10, true);
  add(&t, "g", 0x200, 0x10, true);
  finish(&t);
  expect_fmt(&t, 0x10c, "f+12");
  expect_fmt(&t, 0x110, "");
  expect_fmt(&t, 0x1fc, "");
  expect_fmt(&t, 0x200, "g");
  expect_fmt(&t, 0x210, "");
  cr_expect_null(elf_symtab_find(&t, 0x150));
  elf_symtab_free(&t);
}

Test(symtab, unsized_label_does_not_reach_past_a_later_sized_symbol) {
  /* _start in entry.S usually has no .size; the C function after it has
   * one.  Padding after that function belongs to neither. */
  elf_symtab t = {0};
  add(&t, "_start", 0x80000000u, 0, false);
  add(&t, "main", 0x80000010u, 0x20, true);
  finish(&t);
  expect_fmt(&t, 0x80000008u, "_start+8");
  expect_fmt(&t, 0x80000014u, "main+4");
  expect_fmt(&t, 0x80000030u, "");
  expect_fmt(&t, 0x80000100u, "");
  elf_symtab_free(&t);
}

Test(symtab, gap_answer_does_not_depend_on_how_many_symbols_lie_between) {
  /* a label far below, then many small sized symbols: an address past the
   * last of them is in a gap however many there are */
  for (unsigned count = 1; count <= 200; count += 33) {
    elf_symtab t = {0};
    add(&t, "_start", 0x1000, 0, false);
    char name[32];
    for (unsigned i = 0; i < count; i++) {
      snprintf(name, sizeof name, "obj%u", i);
      add(&t, name, 0x2000 + 16 * i, 4, false);
    }
    finish(&t);
    uint32_t past = 0x2000 + 16 * (count - 1) + 8;
    cr_expect_str_eq(fmt(&t, past), "", "%u symbols: 0x%x is \"%s\"", count,
                     past, fmt(&t, past));
    expect_fmt(&t, 0x1004, "_start+4");
    expect_fmt(&t, 0x2008, ""); /* between the first two objects */
    snprintf(name, sizeof name, "obj%u+2", count - 1);
    expect_fmt(&t, 0x2000 + 16 * (count - 1) + 2, name);
    elf_symtab_free(&t);
  }
}

Test(symtab, small_object_inside_a_function) {
  /* a constant pool or jump table inside a function's range */
  elf_symtab t = {0};
  add(&t, "func", 0x400, 0x100, true);
  add(&t, "table", 0x440, 0x10, false);
  finish(&t);
  expect_fmt(&t, 0x43c, "func+60");
  expect_fmt(&t, 0x440, "table");
  expect_fmt(&t, 0x44c, "table+12");
  /* after the object the function is found again */
  expect_fmt(&t, 0x450, "func+80");
  expect_fmt(&t, 0x4fc, "func+252");
  expect_fmt(&t, 0x500, "");
  elf_symtab_free(&t);
}

Test(symtab, label_inside_a_function_names_its_own_stretch) {
  elf_symtab t = {0};
  add(&t, "func", 0x400, 0x100, true);
  add(&t, "loop", 0x420, 0, false);
  finish(&t);
  expect_fmt(&t, 0x41c, "func+28");
  expect_fmt(&t, 0x424, "loop+4");
  elf_symtab_free(&t);
}

Test(symtab, symbol_at_top_of_address_space) {
  elf_symtab t = {0};
  add(&t, "top", 0xfffffff0u, 0x10, true);
  add(&t, "zero", 0, 4, false);
  finish(&t);
  expect_fmt(&t, 0xffffffffu, "top+15");
  expect_fmt(&t, 0, "zero");
  expect_fmt(&t, 3, "zero+3");
  expect_fmt(&t, 4, "");
  elf_symtab_free(&t);
}

Test(symtab, lookup_of_unknown_names) {
  elf_symtab t = {0};
  add(&t, "main", 0x100, 4, true);
  add(&t, "mainloop", 0x104, 4, true);
  add(&t, "_start", 0x0, 0, false);
  finish(&t);
  expect_lookup(&t, "main", 0x100);
  expect_lookup(&t, "mainloop", 0x104);
  expect_lookup(&t, "_start", 0);
  expect_no_lookup(&t, "mai");
  expect_no_lookup(&t, "main ");
  expect_no_lookup(&t, "MAIN");
  expect_no_lookup(&t, "start");
  expect_no_lookup(&t, "");
  expect_no_lookup(&t, "zzz");
  elf_symtab_free(&t);
}

Test(symtab, many_symbols_sorted_both_ways) {
  /* more than the initial allocation, added in a scrambled order */
  elf_symtab t = {0};
  const unsigned n = 1000;
  char name[32];
  for (unsigned k = 0; k < n; k++) {
    unsigned i = (k * 617) % n; /* 617 is prime to 1000: a permutation */
    snprintf(name, sizeof name, "fn_%04u", i);
    add(&t, name, 0x10000 + 0x40 * i, 0x20, true);
  }
  finish(&t);
  cr_assert_eq(t.n, n);
  for (unsigned i = 0; i < n; i++) {
    snprintf(name, sizeof name, "fn_%04u", i);
    expect_lookup(&t, name, 0x10000 + 0x40 * i);
    char want[40];
    snprintf(want, sizeof want, "fn_%04u+8", i);
    expect_fmt(&t, 0x10000 + 0x40 * i + 8, want);
    expect_fmt(&t, 0x10000 + 0x40 * i + 0x20, ""); /* the gap after it */
  }
  for (size_t i = 1; i < t.n; i++) {
    cr_expect(t.syms[i - 1].addr <= t.syms[i].addr, "by address at %zu", i);
    cr_expect(strcmp(t.by_name[i - 1]->name, t.by_name[i]->name) <= 0,
              "by name at %zu", i);
  }
  elf_symtab_free(&t);
}

Test(symtab, names_are_copied) {
  elf_symtab t = {0};
  char name[16] = "volatile";
  add(&t, name, 0x10, 4, false);
  strcpy(name, "changed!");
  finish(&t);
  expect_lookup(&t, "volatile", 0x10);
  expect_no_lookup(&t, "changed!");
  elf_symtab_free(&t);
}

Test(symtab, format_truncates_to_the_buffer) {
  elf_symtab t = {0};
  add(&t, "a_rather_long_function_name", 0x100, 0x100, true);
  finish(&t);
  char buf[8];
  cr_expect(elf_symtab_format(&t, 0x110, buf, sizeof buf));
  cr_expect_str_eq(buf, "a_rathe");
  elf_symtab_free(&t);
}

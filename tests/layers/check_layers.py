#!/usr/bin/env python3
"""Holds the tree to docs/architecture.md: every include of a product file
names a header of its own folder or of one its row may use, private headers
stay in their folder, and SDL, libedit and sockets stay in the one room
each belongs to.  Prints TAP; exits 1 on any breach.

usage: check_layers.py SOURCE_ROOT"""
import os
import re
import sys

root = sys.argv[1]
doc = open(os.path.join(root, 'docs', 'architecture.md'), encoding='utf-8').read()

# | `cpu/` | `cpu_` | what | may use |
rows = re.findall(r'^\| `([a-z]+)/` \| `[a-z]+_` \| .* \| ([^|]+) \|\s*$', doc, re.M)
order = [name for name, _ in rows]
allowed, only = {}, {}
for name, use in rows:
    use = use.strip()
    names = set()
    if use == 'everything':
        names = set(order[:order.index(name)])
    elif use != 'nothing':
        for part in use.split(','):
            part = part.strip()
            m = re.match(r'([a-z]+)(?: \(([^)]*) only\))?( and below)?$', part)
            if not m or m.group(1) not in order:
                sys.exit('docs/architecture.md: cannot read "%s" in the row of %s/' % (part, name))
            dep = m.group(1)
            names.add(dep)
            if m.group(3):
                names |= allowed[dep]
            if m.group(2):
                only[(name, dep)] = set(re.findall(r'`([^`]+)`', m.group(2)))
    for dep in names:
        if dep not in allowed:
            sys.exit('docs/architecture.md: %s/ may use %s/, which is not a row above it' % (name, dep))
    allowed[name] = names

headers = {}  # header name -> folder
private = set()
for folder in order:
    for f in os.listdir(os.path.join(root, folder)):
        if f.endswith('.h'):
            if f in headers:
                sys.exit('%s/%s and %s/%s: two headers of one name cannot both be '
                         'included bare' % (folder, f, headers[f], f))
            headers[f] = folder
            text = open(os.path.join(root, folder, f), encoding='utf-8').read()
            if re.search(r'#error ".* is private to', text):
                private.add(f)

# system headers that belong to one room
rooms_of = {r'SDL': ('window/sdl.c',), r'histedit\.h|editline': ('cli/repl.c',),
            r'sys/socket\.h|netinet/|arpa/inet\.h': ('gdb/net.c',)}

problems, checked = [], 0
for folder in order:
    for f in sorted(os.listdir(os.path.join(root, folder))):
        if not f.endswith(('.c', '.h')):
            continue
        path = '%s/%s' % (folder, f)
        text = open(os.path.join(root, path), encoding='utf-8').read()
        for inc in re.findall(r'^\s*#\s*include\s+"([^"]+)"', text, re.M):
            checked += 1
            owner = headers.get(inc)
            if owner is None:
                problems.append('%s includes "%s", which is no product header' % (path, inc))
            elif owner != folder and owner not in allowed[folder]:
                problems.append('%s includes "%s" of %s/, which %s/ may not use '
                                '(docs/architecture.md)' % (path, inc, owner, folder))
            elif owner != folder and inc in private:
                problems.append('%s includes "%s", private to %s/' % (path, inc, owner))
            elif (folder, owner) in only and inc not in only[(folder, owner)]:
                problems.append('%s includes "%s": %s/ may use only %s of %s/' % (
                    path, inc, folder, ', '.join(sorted(only[(folder, owner)])), owner))
        for inc in re.findall(r'^\s*#\s*include\s+<([^>]+)>', text, re.M):
            for pattern, homes in rooms_of.items():
                if re.match(pattern, inc) and path not in homes:
                    problems.append('%s includes <%s>, which only %s may' % (path, inc, ' '.join(homes)))
        if re.search(r'^int main\s*\(', text, re.M) and path != 'cli/main.c':
            problems.append('%s defines main(): only cli/main.c does' % path)

print('TAP version 13')
print('1..2')
print('%s 1 - %d folders in docs/architecture.md, their "may use" a layering'
      % ('ok' if order else 'not ok', len(order)))
for p in problems:
    print('# ' + p)
print('%s 2 - %d includes of product files keep to it' % ('not ok' if problems else 'ok', checked))
sys.exit(1 if problems else 0)

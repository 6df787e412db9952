#!/usr/bin/env python3
"""Reads a line profile of the engine's Lua (scripts/engine_line_profile.sh) and prints, per order, the
cycles and VM instructions of each function and of the costliest lines, named by their lua/ file.

Usage: engine_line_profile.py LIBRARY PROFILE ORDERS [LINES]
  LIBRARY  the library as Redis loaded it (scripts/engine_ab.sh --dump)
  PROFILE  what the patched Redis wrote: a header '# calls C min M', then 'line cycles instructions'
  ORDERS   the orders of the profiled flow (figures are per order)
  LINES    how many lines to list (default 60)

Each VM instruction's cycles include the profiler's own floor (the smallest any instruction took,
`min` in the header), which is subtracted; what is left still carries some of the hook's cache
disturbance, so compare lines and functions with each other, and confirm a change with
scripts/engine_profile.sh (instructions, exact) or scripts/engine_ab.sh (time)."""
import pathlib
import re
import sys

LUA = pathlib.Path(__file__).resolve().parent.parent / 'lua'


def line_map(library):
    """Each line of the library as Redis numbers it (line 1: the shebang) -> (file, line)."""
    chunk = library
    where = [None] * (chunk.count('\n') + 2)
    for path in sorted(LUA.glob('*.lua')):
        text = path.read_text()
        at = chunk.find(text)
        while at >= 0:
            first = chunk.count('\n', 0, at) + 1
            for i in range(text.count('\n') + 1):
                where[first + i] = (path.stem, i + 1)
            at = chunk.find(text, at + 1)
    return where


def function_of(source, line):
    """The name of the function a line of `source` (its lines) belongs to: the nearest definition above."""
    for i in range(line - 1, -1, -1):
        m = re.match(r'\s{0,4}(?:local\s+)?function\s+([\w.:]+)', source[i])
        if m:
            return m.group(1)
    return '(main chunk)'


def main():
    library, profile, orders = sys.argv[1], sys.argv[2], float(sys.argv[3])
    shown = int(sys.argv[4]) if len(sys.argv) > 4 else 60
    where = line_map(pathlib.Path(library).read_text())
    sources = {p.stem: p.read_text().split('\n') for p in LUA.glob('*.lua')}
    rows, header = [], None
    for raw in open(profile):
        if raw.startswith('#'):
            header = raw.split()
            continue
        line, cycles, count = raw.split()
        rows.append((int(line), float(cycles), int(count)))
    floor = float(header[header.index('min') + 1])
    total_cycles = sum(c - floor * n for _, c, n in rows)
    total_count = sum(n for _, _, n in rows)
    print(f'{header[2]} calls; per order: {total_cycles / orders:.0f} cycles, {total_count / orders:.0f} Lua VM '
          f'instructions (the profiler\'s floor of {floor:.0f} cycles an instruction taken off)')
    functions, lines = {}, []
    for line, cycles, count in rows:
        file, at = where[line] if 0 < line < len(where) and where[line] else ('(library)', line)
        name = function_of(sources[file], at) if file in sources else '?'
        cycles -= floor * count
        f = functions.setdefault(f'{file}: {name}', [0, 0])
        f[0] += cycles
        f[1] += count
        text = sources[file][at - 1].strip() if file in sources else ''
        lines.append((cycles, count, f'{file}:{at}', text))
    print('\ncycles/order   share  instr/order  function')
    for name, (cycles, count) in sorted(functions.items(), key=lambda f: -f[1][0])[:40]:
        print(f'{cycles / orders:12.0f} {100 * cycles / total_cycles:6.1f}% {count / orders:11.1f}  {name}')
    print('\ncycles/order   share  instr/order  line')
    for cycles, count, at, text in sorted(lines, key=lambda r: -r[0])[:shown]:
        print(f'{cycles / orders:12.0f} {100 * cycles / total_cycles:6.1f}% {count / orders:11.1f}  {at}  {text[:80]}')


if __name__ == '__main__':
    main()

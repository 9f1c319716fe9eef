#!/usr/bin/env python3
"""Module cycles in the workspace's crates: exits 1 and names them when a crate has one.

A module uses another when its code names an item defined there: `use crate::...`,
`use super::...`, or a path `crate::x::Y` / `super::x::Y` in the code (doc comments and unit
tests left out). A name re-exported by `pub use` counts as a use of the module that defines
it, so `use crate::TrainError` in a crate whose root re-exports `error::TrainError` is a use
of `error`. A module's uses of its own descendants, and of the crate root itself, are not
counted. `python3 scripts/module-cycles.py crates/*` checks every crate.
"""

import os
import re
import sys
from collections import defaultdict


def modules(src):
    """Module path ('' for the root, 'a::b') -> file."""
    found = {}
    for root, _, files in os.walk(src):
        for name in files:
            if not name.endswith(".rs"):
                continue
            path = os.path.join(root, name)
            parts = os.path.relpath(path, src)[:-3].split(os.sep)
            if parts[-1] in ("mod", "lib", "main"):
                parts = parts[:-1]
            found["::".join(parts)] = path
    return found


def code(path):
    """The file's code: comments and the unit tests at its end removed."""
    text = open(path, encoding="utf-8").read()
    cut = text.find("#[cfg(test)]\nmod tests")
    if cut >= 0:
        text = text[:cut]
    return re.sub(r"//[^\n]*", "", text)


def split_top(inner):
    """Splits `a, b::{c, d}, e` at its top-level commas."""
    parts, depth, current = [], 0, ""
    for ch in inner:
        depth += ch == "{"
        depth -= ch == "}"
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return [p.strip() for p in parts if p.strip()]


def use_paths(prefix, tree):
    """Every path a use tree names, as lists of segments after `prefix`."""
    tree = tree.strip()
    if tree.startswith("{"):
        for part in split_top(tree[1 : tree.rindex("}")]):
            yield from use_paths(prefix, part)
    elif "::" in tree:
        head, rest = tree.split("::", 1)
        yield from use_paths(prefix + [head.strip()], rest)
    else:
        yield prefix + [tree.split(" as ")[0].strip()], tree.split(" as ")[-1].strip()


def absolute(module, path):
    """A path written in `module`, made relative to the crate root (None if external)."""
    base = module.split("::") if module else []
    if path[0] == "crate":
        return path[1:]
    if path[0] in ("super", "self"):
        while path and path[0] == "super":
            base, path = base[:-1], path[1:]
        if path and path[0] == "self":
            path = path[1:]
        return base + path
    return None


def reexports(mods):
    """(module, name) -> the absolute path it re-exports."""
    table = {}
    for module, path in mods.items():
        for m in re.finditer(r"pub(?:\([^)]*\))?\s+use\s+([^;]+);", code(path)):
            for target, name in use_paths([], m.group(1)):
                if name in ("self", "*"):
                    continue
                full = absolute(module, target)
                if full is None:
                    base = module.split("::") if module else []
                    if "::".join(base + target[:1]) in mods:
                        full = base + target
                if full is not None:
                    table[(module, name)] = full
    return table


def defining(path, mods, table, depth=0):
    """The module that defines the item at the absolute `path`."""
    if depth > 16 or not path:
        return None
    for k in range(len(path), -1, -1):
        candidate = "::".join(path[:k])
        if candidate in mods:
            if k < len(path) and (candidate, path[k]) in table:
                found = defining(table[(candidate, path[k])] + path[k + 1 :], mods, table, depth + 1)
                return found if found is not None else candidate
            return candidate
    return None


def edges(src):
    mods = modules(src)
    table = reexports(mods)
    uses = defaultdict(set)
    for module, path in mods.items():
        text = code(path)
        written = []
        for m in re.finditer(r"\buse\s+((?:crate|super|self)\b[^;]*);", text):
            written.extend(p for p, _ in use_paths([], m.group(1)))
        for m in re.finditer(r"(?<![\w:])((?:crate|super)(?:::\w+)+)", text):
            written.append(m.group(1).split("::"))
        for path in written:
            full = absolute(module, [s for s in path if s])
            if full is None:
                continue
            target = defining(full, mods, table)
            if target is None or target == module or target == "":
                continue
            if module.startswith(target + "::"):
                continue  # an ancestor: its items reached through the module tree
            uses[module].add(target)
    return mods, uses


def cycles(nodes, uses):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in uses.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in nodes:
        if v not in index:
            visit(v)
    return found


def main(crates):
    bad = 0
    for crate in crates:
        src = os.path.join(crate, "src")
        if not os.path.isdir(src):
            continue
        mods, uses = edges(src)
        for component in cycles(list(mods), uses):
            bad += 1
            print(f"{crate}: a cycle among {', '.join(component)}")
            for m in component:
                print(f"    {m} uses {', '.join(sorted(u for u in uses[m] if u in component))}")
    print(f"{bad} module cycles in {len(crates)} crates")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

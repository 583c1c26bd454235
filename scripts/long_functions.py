#!/usr/bin/env python3
"""Lists C++ function definitions longer than a limit (default 80 lines), longest first.

Usage: scripts/long_functions.py [--max-lines N] [DIR ...]   (default: the library folders)
Counts lines from the start of the signature to the closing brace; lambdas count towards the
function that holds them. Exits 0; prints one line per function and a total.
"""
import argparse
import os
import re
import sys

NOT_FUNCTIONS = re.compile(r"\b(namespace|class|struct|enum|union|extern)\b[^()]*$")
SIGNATURE_END = re.compile(r"\)\s*(const|override|final|noexcept|->[^{]*)*\s*(:[\s\S]*)?$")
CONTROL = re.compile(r"^\s*(if|for|while|switch|catch|do|else|return)\b")


def strip(text):
    """Blanks comments, string and char literals, keeping newlines."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i)); i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j])); i = j
        elif c == 'R' and text.startswith('R"', i):
            m = re.match(r'R"([^(]*)\(', text[i:])
            end = text.find(")" + m.group(1) + '"', i) if m else -1
            j = n if end < 0 else end + len(m.group(1)) + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j])); i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(" " * (j + 1 - i)); i = j + 1
        else:
            out.append(c); i += 1
    return "".join(out)


def functions(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        text = strip(f.read())
    found, stack, start = [], [], 0  # stack: (kind, open offset, signature start)
    for i, c in enumerate(text):
        if c in ";}{":
            if c == "{":
                head = text[start:i]
                in_function = any(k == "f" for k, _, _ in stack)
                sig = head.strip()
                is_fn = (not in_function and SIGNATURE_END.search(sig) is not None
                         and not NOT_FUNCTIONS.search(sig) and not CONTROL.match(sig)
                         and "=" not in sig.split("(")[0])
                lead = len(head) - len(head.lstrip())
                stack.append(("f" if is_fn else "b", i, start + lead))
            elif c == "}" and stack:
                kind, _, sig_start = stack.pop()
                if kind == "f":
                    first = text.count("\n", 0, sig_start) + 1
                    last = text.count("\n", 0, i) + 1
                    name = re.sub(r"\s+", " ", text[sig_start:text.find("(", sig_start)]).split(" ")[-1]
                    found.append((last - first + 1, path, first, name))
            start = i + 1
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-lines", type=int, default=80)
    ap.add_argument("dirs", nargs="*")
    args = ap.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    dirs = args.dirs or [os.path.join(root, d) for d in ("common", "hw", "actors", "policy", "learner", "cli")]
    rows = []
    for d in dirs:
        for base, _, files in os.walk(d):
            for name in sorted(files):
                if name.endswith((".cc", ".h")):
                    rows += functions(os.path.join(base, name))
    long_rows = sorted((r for r in rows if r[0] > args.max_lines), reverse=True)
    for lines, path, first, name in long_rows:
        print(f"{lines:5d}  {os.path.relpath(path, root)}:{first}  {name}")
    print(f"{len(long_rows)} of {len(rows)} functions over {args.max_lines} lines")
    return 0


if __name__ == "__main__":
    sys.exit(main())

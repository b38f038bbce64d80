"""Compare the committed translation template with one exported from the code:
``python tools/pot_check.py COMMITTED.pot FRESH.pot``. Exit 1, naming the
differences, when a translatable text was added, changed or removed without
``tools/pot.sh`` being run."""

import ast
import re
import sys


def msgids(path):
    """The msgid texts of a .pot file (continued lines joined)."""
    ids, current = set(), None
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.rstrip("\n")
            if line.startswith("msgid "):
                current = [line[6:]]
            elif current is not None and line.startswith('"'):
                current.append(line)
            else:
                if current is not None:
                    ids.add("".join(ast.literal_eval(part) for part in current))
                current = None
    if current is not None:
        ids.add("".join(ast.literal_eval(part) for part in current))
    ids.discard("")
    return ids


def _short(text):
    return re.sub(r"\s+", " ", text)[:100]


def main(committed, fresh):
    old, new = msgids(committed), msgids(fresh)
    missing, stale = sorted(new - old), sorted(old - new)
    for text in missing[:10]:
        print("  not in the template:", _short(text))
    for text in stale[:10]:
        print("  no longer in the code:", _short(text))
    print(f"translation template: {len(new)} texts, {len(missing)} missing, {len(stale)} stale")
    return 1 if missing or stale else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))

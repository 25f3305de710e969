"""Copy the shared RETURN blocks of docs/shared_return.yml into every module, between its markers.

ansible-core has no doc fragments for RETURN, so each module carries its own copy of the record and
outcome keys; this keeps the copies the same as the one text. A module marks where a section goes:

    # from docs/shared_return.yml "record" (python tools/sync_return_docs.py); edit it there
    ...
    # end of docs/shared_return.yml "record"

python tools/sync_return_docs.py            rewrite the modules whose copy differs
python tools/sync_return_docs.py --check    only name them (exit 1 if any)
"""
import argparse
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
SOURCE = ROOT / "docs" / "shared_return.yml"
MODULES = ROOT / "plugins" / "modules"
MARKED = re.compile(r'^( *)# from docs/shared_return\.yml "(\w+)"[^\n]*\n(.*?)^\1# end of docs/shared_return\.yml "\2"\n',
                    re.MULTILINE | re.DOTALL)


def sections(text):
    """Each top-level key of the source -> the text under it, dedented to column 0."""
    found, name = {}, None
    for line in text.splitlines():
        key = re.match(r"^(\w+):\s*$", line)
        if key:
            name = key.group(1)
            found[name] = []
        elif name and line.startswith("  "):
            found[name].append(line[2:])
        elif line.strip() and not line.startswith("#"):
            name = None
    return dict((k, "\n".join(v) + "\n") for k, v in found.items())


def synced(module_text, shared):
    """The module's text with every marked section replaced by the source's, at the marker's indentation."""
    def copy(match):
        indent, name = match.group(1), match.group(2)
        if name not in shared:
            raise KeyError("no section %r in %s" % (name, SOURCE))
        body = "".join(indent + line if line.strip() else line for line in shared[name].splitlines(True))
        return match.group(0).split("\n", 1)[0] + "\n" + body + indent + '# end of docs/shared_return.yml "%s"\n' % name
    return MARKED.sub(copy, module_text)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a module is not in sync")
    args = parser.parse_args(argv)
    shared = sections(SOURCE.read_text())
    stale = []
    for path in sorted(MODULES.glob("*.py")):
        text = path.read_text()
        new = synced(text, shared)
        if new != text:
            stale.append(path.relative_to(ROOT))
            if not args.check:
                path.write_text(new)
    for path in stale:
        print("%s %s" % ("out of sync:" if args.check else "rewrote", path))
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Writes the README's file blocks into a directory: every fenced code block right after a line
`<!-- file: PATH -->` becomes DIR/PATH, verbatim. Used by check-fresh-project.sh, so that the
project it builds is exactly what the README tells a new user to write."""
import pathlib
import re
import sys

readme, target = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
blocks = re.findall(r"<!-- file: (\S+) -->\n```[a-z]*\n(.*?)```", readme.read_text(), re.S)
if not blocks:
    sys.exit(f"no <!-- file: … --> blocks in {readme}")
for path, text in blocks:
    if path.startswith("/") or ".." in pathlib.PurePosixPath(path).parts:
        sys.exit(f"unsafe file path in {readme}: {path}")
    out = target / path
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(f"readme-files: {path}")

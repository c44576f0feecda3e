# SPDX-License-Identifier: GPL-2.0
"""A real-heap workload (Documentation/snapshot.rst): docutils renders
every reStructuredText file named on the command line to HTML, in one
process, keeping each document tree (parents and children point at each
other: cycles) until the end, as a build tool's cache would."""
import sys

import docutils.core

trees = []
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    parts = docutils.core.publish_parts(
        text, source_path=path, writer_name="html",
        settings_overrides={"report_level": 5, "halt_level": 5})
    trees.append(docutils.core.publish_doctree(
        text, source_path=path,
        settings_overrides={"report_level": 5, "halt_level": 5}))
    sys.stdout.write("%s: %d bytes of HTML\n" % (path, len(parts["whole"])))

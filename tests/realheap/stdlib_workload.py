# SPDX-License-Identifier: GPL-2.0
"""A real-heap workload (Documentation/snapshot.rst), stdlib only: parse
the Python sources of a few standard library packages with ast, keep the
trees, write each tree's outline as JSON and read it back, and build and
parse a mailbox of generated messages with email. Deterministic: no
clock, no randomness, no network."""
import ast
import email
import email.policy
import json
import os
import sys

trees = {}
for pkg in ("json", "email", "asyncio", "unittest", "xml"):
    root = os.path.join(os.path.dirname(os.__file__), pkg)
    for dirpath, _, files in sorted(os.walk(root)):
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(dirpath, name)
                with open(path, encoding="utf-8") as f:
                    trees[path] = ast.parse(f.read(), path)


def outline(node):
    return {"type": type(node).__name__,
            "children": [outline(c) for c in ast.iter_child_nodes(node)
                         if isinstance(c, (ast.FunctionDef, ast.ClassDef,
                                           ast.AsyncFunctionDef))]}


outlines = json.loads(json.dumps({p: outline(t) for p, t in trees.items()}))

messages = []
for i in range(300):
    raw = ("From: user%d@example.org\nTo: list@example.org\n"
           "Subject: message %d\nMessage-ID: <%d@example.org>\n"
           "Content-Type: text/plain; charset=utf-8\n\n%s\n" %
           (i, i, i, "line of text\n" * (i % 20 + 1)))
    messages.append(email.message_from_string(raw, policy=email.policy.default))
sys.stdout.write("%d modules, %d outlines, %d messages\n" %
                 (len(trees), len(outlines), len(messages)))

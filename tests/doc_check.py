#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Checks that the documentation covers what the code has.

Each check prints "ok NAME" or "not ok NAME" with the reasons:

  kerneldoc-coverage  every non-static function of module/*.c and
                      module/core/*.c has a
                      kernel-doc comment right above it;
  kerneldoc-clean     scripts/kernel-doc -Wall finds nothing to say about
                      module/ and the uapi header;
  uapi-coverage       Documentation/uapi.rst names every ioctl and every
                      errno of uapi/linux/mheap.h, and every structure there
                      has kernel-doc;
  man-coverage        libmheap.3 documents every function of mheap.h, and
                      mheapctl.1 every command of mheapctl.

doc_check.py LINUX_SRC
"""
import glob
import os
import re
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read(path):
    with open(os.path.join(TOP, path), encoding='utf-8') as f:
        return f.read()


def module_sources():
    return sorted(p for p in glob.glob(os.path.join(TOP, 'module', '*.[ch]')) +
                  glob.glob(os.path.join(TOP, 'module', 'core', '*.[ch]'))
                  if not p.endswith('.mod.c'))


# A function definition at column 0: type and name, "(", then "{" alone on
# the line after the parameters.
DEFINITION = re.compile(
    r'^(?!static\b)(?!#)(?:[A-Za-z_][\w \t\*]*?[\s\*])'
    r'(?P<name>[A-Za-z_]\w*)\((?P<params>[^;{]*?)\)\n\{', re.M)


def kerneldoc_coverage():
    errors = []
    for path in module_sources():
        if not path.endswith('.c'):
            continue
        text = open(path, encoding='utf-8').read()
        for m in DEFINITION.finditer(text):
            name = m.group('name')
            before = text[:m.start()].rstrip('\n')
            # the nearest comment must end right above, and be kernel-doc
            # for this function
            start = before.rfind('/**')
            end = before.rfind('*/')
            doc = before[start:] if start >= 0 else ''
            ok = (end >= 0 and before.endswith('*/') and start >= 0 and
                  start < end and
                  re.match(r'/\*\*\n \* ' + re.escape(name) + r'\(\) - ', doc))
            # VISIBLE_IF_KUNIT or other annotations on the line above
            if not ok:
                prev = before.rsplit('\n', 1)[-1]
                if prev.strip() == 'VISIBLE_IF_KUNIT':
                    rest = before[:-len(prev)].rstrip('\n')
                    start = rest.rfind('/**')
                    ok = (rest.endswith('*/') and start >= 0 and
                          re.match(r'/\*\*\n \* ' + re.escape(name) +
                                   r'\(\) - ', rest[start:]))
            if not ok:
                line = text[:m.start()].count('\n') + 1
                errors.append('%s:%d: %s() has no kernel-doc comment' %
                              (os.path.relpath(path, TOP), line, name))
    return errors


def kerneldoc_clean(src):
    files = module_sources() + [os.path.join(TOP, 'uapi/linux/mheap.h')]
    res = subprocess.run(['perl', os.path.join(src, 'scripts/kernel-doc'),
                          '-none', '-Wall'] + files,
                         capture_output=True, text=True)
    out = (res.stdout + res.stderr).strip()
    return out.splitlines() if out or res.returncode else []


def uapi_coverage():
    header = read('uapi/linux/mheap.h')
    doc = read('Documentation/uapi.rst')
    errors = []
    for ioc in re.findall(r'^#define (MHEAP_IOC_\w+)\s+_IO', header, re.M):
        if '``%s``' % ioc not in doc:
            errors.append('uapi.rst: ioctl %s is not described' % ioc)
    table = doc[doc.index('Errors\n======'):]
    for err in sorted(set(re.findall(r'\bE(?:[A-Z]{3,}|2BIG)\b', header))):
        if err.startswith('EPOLL') or err in ('EXPORT', 'ESCAPE'):
            continue
        if '``%s``' % err not in table:
            errors.append('uapi.rst: errno %s of the header is not in the '
                          'errors table' % err)
    for struct in re.findall(r'^struct (\w+) \{', header, re.M):
        if not re.search(r'/\*\*\n \* struct %s - ' % struct, header):
            errors.append('mheap.h: struct %s has no kernel-doc' % struct)
    return errors


def man_coverage():
    errors = []
    lib = read('userspace/man/libmheap.3')
    # the library's functions: what mheap.h declares (libmheap.map exports
    # mheap_* and adds names by version node)
    exported = re.findall(r'^[a-z][\w ]*?[\s\*](mheap_\w+)\(',
                          read('userspace/lib/mheap.h'), re.M)
    if not exported:
        errors.append('mheap.h: no functions found')
    for fn in exported:
        if not re.search(r'^\.BI? "[^"\n]*\b%s\(' % fn, lib, re.M):
            errors.append('libmheap.3: %s() has no synopsis line' % fn)
    tool = read('userspace/man/mheapctl.1')
    commands = re.findall(r'^\t\{ "(\w+)", cmd_\w+,',
                          read('userspace/tools/mheapctl.c'), re.M)
    if not commands:
        errors.append('mheapctl.c: no commands found')
    for cmd in commands:
        if not re.search(r'^\.SS "?%s\b' % cmd, tool, re.M):
            errors.append('mheapctl.1: command %s has no section' % cmd)
    return errors


def main():
    src = sys.argv[1]
    checks = [
        ('kerneldoc-coverage', kerneldoc_coverage),
        ('kerneldoc-clean', lambda: kerneldoc_clean(src)),
        ('uapi-coverage', uapi_coverage),
        ('man-coverage', man_coverage),
    ]
    passed = failed = 0
    for name, fn in checks:
        errors = fn()
        if errors:
            print('not ok %s' % name)
            for e in errors:
                print('    ' + e)
            failed += 1
        else:
            print('ok %s' % name)
            passed += 1
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())

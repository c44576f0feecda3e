#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Judge one VM run from its logs.

The run directory holds console.log (the kernel console, ttyS0) and
results.log (what init wrote to ttyS1, in "@@mheap begin/end NAME"
sections). KTAP and TAP sections are parsed by the kernel's own parser,
tools/testing/kunit/kunit.py, and judged by its JSON and its [ERROR] lines,
never by its exit status (it exits 0 on parse errors).

Every problem is printed as "FAIL <cause>: <detail>"; the harness
self-check (check-harness.sh) matches on <cause>. Exit status 1 on any
failure. With --tally, "label passed failed" is appended to that file.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

SPLATS = [
    ('KCSAN', re.compile(r'\bBUG: KCSAN: ')),
    ('BUG', re.compile(r'\bBUG: (?!KCSAN: )')),
    ('WARNING', re.compile(r'\bWARNING: ')),
    ('KASAN', re.compile(r'\bKASAN: ')),
    ('UBSAN', re.compile(r'\bUBSAN: ')),
    ('lockdep', re.compile(r'possible circular locking|'
                           r'possible recursive locking|'
                           r'inconsistent lock state')),
    ('hung task', re.compile(r'INFO: task .* blocked for more than')),
    ('kmemleak', re.compile(r'unreferenced object 0x|'
                            r'kmemleak: \d+ new suspected memory leaks')),
    ('Oops', re.compile(r'\bOops\b|general protection fault')),
    ('panic', re.compile(r'Kernel panic - not syncing')),
    ('call trace', re.compile(r'Call Trace:')),
]


def read(path):
    try:
        with open(path, encoding='utf-8', errors='replace') as f:
            return f.read().replace('\r', '')
    except FileNotFoundError:
        return ''


def sections(results):
    """Map section name -> text, and list init's error lines."""
    found, errors, name, lines = {}, [], None, []
    for line in results.splitlines():
        m = re.match(r'@@mheap (begin|end|error|done)\s*(.*)', line)
        if not m:
            if name is not None:
                lines.append(line)
            continue
        what, arg = m.groups()
        if what == 'begin':
            name, lines = arg, []
        elif what == 'end' and name is not None:
            found[name] = '\n'.join(lines) + '\n'
            name = None
        elif what == 'error':
            errors.append(arg)
    return found, errors


def walk_cases(group, prefix=''):
    """Yield (name, status) for every test case in a kunit.py JSON group."""
    name = group.get('name', '')
    here = prefix + name + '.' if name and name != 'KUnit Test Group' else prefix
    for case in group.get('test_cases', []):
        yield here + case['name'], case['status']
    for sub in group.get('sub_groups', []):
        yield from walk_cases(sub, here)


def parse_ktap(kunit_py, text):
    """Run kunit.py parse on text; return (cases, parser error lines)."""
    with tempfile.TemporaryDirectory() as tmp:
        src, out = os.path.join(tmp, 'in.ktap'), os.path.join(tmp, 'out.json')
        with open(src, 'w') as f:
            f.write(text)
        proc = subprocess.run([sys.executable, kunit_py, 'parse',
                               '--json=' + out, src],
                              capture_output=True, text=True)
        # its exit status says nothing reliable (0 on parse errors, 1 on
        # failed tests): judge by [ERROR] lines and the JSON only
        errors = [l for l in proc.stdout.splitlines() if '[ERROR]' in l]
        try:
            with open(out) as f:
                cases = list(walk_cases(json.load(f)))
        except (OSError, ValueError) as e:
            cases = []
            errors.append('no JSON from kunit.py (%s): %s' %
                          (e, proc.stderr.strip()[-300:]))
    return cases, errors


def case_log(text, case, most=12):
    """The diagnostic lines a failed case printed before its result line
    (its last most), so that a CI log says why without the VM's files."""
    last = re.escape(case.rsplit('.', 1)[-1])
    result = re.compile(r'^\s*(not )?ok \d+ ')
    mine = re.compile(r'^\s*not ok \d+ (\S*\.)?%s\b' % last)
    lines = []
    for line in text.splitlines():
        if mine.match(line):
            return lines[-most:]
        if result.match(line):
            lines = []
        elif line.strip():
            lines.append(line.strip()[:200])
    return []


class Verdict:
    def __init__(self, label):
        self.label, self.passed, self.failed, self.notes = label, 0, 0, []

    def fail(self, cause, detail):
        self.failed += 1
        print('FAIL %s: %s' % (cause, detail))

    def suite(self, kind, name, cases, errors, text=''):
        ok = [c for c in cases if c[1] == 'PASS']
        bad = [c for c in cases if c[1] != 'PASS']
        self.passed += len(ok)
        for case, status in bad:
            self.fail('%s failure' % kind, '%s %s: %s' % (name, case, status))
            for line in case_log(text, case):
                print('    ' + line)
        for err in errors:
            self.fail('parse error', '%s: %s' % (name, err))
        if not cases and not errors:
            self.fail('missing tests', '%s ran no test' % name)
        self.notes.append('%s %s %d/%d' % (kind, name, len(ok), len(cases)))

    def finish(self, tally, where=''):
        """Print the summary line, append to the tally; return exit status."""
        print('%s: %s (%s)%s' % (self.label, 'ok' if not self.failed
                                 else 'FAILED', ', '.join(self.notes), where))
        if tally:
            with open(tally, 'a') as f:
                f.write('%s %d %d\n' % (self.label.replace(' ', '_'),
                                        self.passed, self.failed))
        return 1 if self.failed else 0


def check_machine(v, text, args):
    """The VM ran every CPU it was given, and preempted where asked."""
    if text is None:
        v.fail('machine', 'init never reported its CPUs')
        return
    m = re.search(r'^nproc (\d+)', text, re.M)
    online = int(m.group(1)) if m else 0
    if online < args.cpus:
        v.fail('machine', '%d CPU(s) online, %d requested (%s)' %
               (online, args.cpus, text.strip().replace('\n', '; ')))
    kernel = re.search(r'^kernel (.*)', text, re.M)
    if args.preempt and not (kernel and 'PREEMPT' in kernel.group(1)):
        v.fail('machine', 'the kernel does not preempt: %s' %
               (kernel.group(1) if kernel else 'no version'))
    v.notes.append('%d CPUs' % online)


def judge(args):
    v = Verdict(args.label)
    console = read(os.path.join(args.out, 'console.log'))
    found, init_errors = sections(read(os.path.join(args.out, 'results.log')))
    kunit_py = os.path.join(args.src, 'tools/testing/kunit/kunit.py')

    for err in init_errors:
        v.fail('init error', err)
    for cause, pattern in SPLATS:
        hits = [l for l in console.splitlines() if pattern.search(l)]
        if hits:
            v.fail('splat ' + cause, '%s (%d line(s))' %
                   (hits[0].strip()[:200], len(hits)))
    if not re.search(r'^@@mheap done', read(os.path.join(args.out,
                                                          'results.log')),
                     re.M):
        why = 'timed out' if os.path.exists(
            os.path.join(args.out, 'timed-out')) else 'VM stopped early'
        v.fail('no end marker', why)

    check_machine(v, found.get('machine'), args)

    expected = list(args.expect)
    for name in expected:
        if name not in found:
            v.fail('missing tests', 'section %s never ran' % name)
    for name, text in sorted(found.items()):
        kind = name.split(':')[0]
        if kind in ('kunit', 'selftest'):
            cases, errors = parse_ktap(kunit_py, text)
            v.suite(kind, name.split(':', 1)[1], cases, errors, text)
        elif kind == 'demo':
            v.notes.append('demo ran')
        elif kind == 'kmemleak' and 'unreferenced object' in text:
            n = text.count('unreferenced object')
            v.fail('kmemleak', '%d unreferenced object(s): %s' %
                   (n, text.strip().splitlines()[0][:200]))

    return v.finish(args.tally, '; logs: ' + args.out)


def judge_ktap(args):
    """Judge one KTAP/TAP file (host tests) as one suite."""
    v = Verdict(args.label)
    cases, errors = parse_ktap(os.path.join(
        args.src, 'tools/testing/kunit/kunit.py'), read(args.ktap))
    v.suite('host', os.path.basename(args.ktap), cases, errors,
            read(args.ktap))
    return v.finish(args.tally)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--out', help='the run directory')
    p.add_argument('--ktap', help='judge this KTAP/TAP file instead of a run')
    p.add_argument('--src', required=True, help='extracted linux-source')
    p.add_argument('--label', default='vm')
    p.add_argument('--expect', action='append', default=[],
                   help='a section that must be present (repeatable)')
    p.add_argument('--tally', help='append "label passed failed" here')
    p.add_argument('--cpus', type=int, default=1,
                   help='fail unless this many CPUs were online')
    p.add_argument('--preempt', action='store_true',
                   help='fail unless the kernel is preemptible')
    args = p.parse_args()
    if args.ktap:
        sys.exit(judge_ktap(args))
    if not args.out:
        p.error('--out or --ktap is required')
    sys.exit(judge(args))


if __name__ == '__main__':
    main()

# SPDX-License-Identifier: LGPL-2.1-or-later
"""pytest configuration of the mheap package's tests.

With MHEAP_TAP=FILE in the environment, the results are also written to
FILE as TAP version 13 when the session ends: one line per test, in the
order they ran ("ok", "not ok" with the failure as "# " lines, "ok ...
# SKIP reason" for a skip or an expected failure), then a "not ok" line per
collection error and one for an exit status no failed test explains. The
test VM (tests/qemu/init.sh) hands that file to tests/qemu/verdict.py.
"""
import os


class TapReport:
    def __init__(self, path):
        self.path = path
        self.lines = []     # (ok, name, directive, diagnostics)
        self.running = {}   # nodeid -> [ok, directive, diagnostics]

    def pytest_collectreport(self, report):
        if report.failed:
            self.lines.append((False, 'collect ' + (report.nodeid or '.'),
                               '', report.longreprtext))

    def pytest_runtest_logreport(self, report):
        state = self.running.setdefault(report.nodeid, [True, '', ''])
        if report.failed:
            state[0] = False
            state[2] += '%s: %s\n' % (report.when, report.longreprtext)
        elif report.skipped and state[0]:
            if hasattr(report, 'wasxfail'):
                reason = 'xfail ' + report.wasxfail
            else:
                reason = report.longrepr[2] if isinstance(
                    report.longrepr, tuple) else str(report.longrepr)
                reason = reason.replace('Skipped: ', '', 1)
            state[1] = ' # SKIP ' + reason.replace('\n', ' ')

    def pytest_runtest_logfinish(self, nodeid, location):
        ok, directive, diagnostics = self.running.pop(nodeid)
        self.lines.append((ok, nodeid, directive, diagnostics))

    def pytest_sessionfinish(self, session, exitstatus):
        failed = [line for line in self.lines if not line[0]]
        if exitstatus not in (0, 1) or (exitstatus == 1 and not failed):
            self.lines.append((False, 'pytest', '',
                               'exit status %d' % exitstatus))
        with open(self.path, 'w') as f:
            f.write('TAP version 13\n1..%d\n' % len(self.lines))
            for n, (ok, name, directive, diagnostics) in enumerate(
                    self.lines, 1):
                f.write('%s %d %s%s\n' % ('ok' if ok else 'not ok', n,
                                          name.replace('#', '_'), directive))
                for line in diagnostics.splitlines():
                    f.write('# %s\n' % line)


def pytest_configure(config):
    path = os.environ.get('MHEAP_TAP')
    if path:
        config.pluginmanager.register(TapReport(path), 'mheap-tap')

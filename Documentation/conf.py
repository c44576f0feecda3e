# SPDX-License-Identifier: GPL-2.0
# Sphinx configuration for make htmldocs: the kernel's own kernel-doc
# extension and script, from the extracted linux-source tree (LINUX_SRC,
# set by the Makefile; tests/qemu/linux-src.sh finds it).
import os
import sys

linux_src = os.environ.get('LINUX_SRC')
if not linux_src:
    sys.exit('LINUX_SRC is not set: build the documentation with make htmldocs')
sys.path.insert(0, os.path.join(linux_src, 'Documentation', 'sphinx'))

project = 'mheap'
copyright = 'The mheap developers'
extensions = ['kerneldoc']
kerneldoc_bin = os.path.join(linux_src, 'scripts', 'kernel-doc')
kerneldoc_srctree = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))

master_doc = 'index'
exclude_patterns = ['output']
primary_domain = 'c'
highlight_language = 'none'
html_theme = 'alabaster'
html_static_path = []

# kernel attributes the C domain should skip in declarations, as the
# kernel's own conf.py does
c_id_attributes = ['__user', '__iomem', '__rcu', '__must_check',
                   '__always_unused', '__maybe_unused', 'VISIBLE_IF_KUNIT']

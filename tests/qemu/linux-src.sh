#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Print the extracted linux-source tree (checkpatch, kselftest_harness.h,
# kunit.py), extracting it on first use.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
linux_src

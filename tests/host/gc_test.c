// SPDX-License-Identifier: GPL-2.0
/* Host tests of the collector: the shared cases of module/tests/gc_cases.h. */
#include "gc_cases.h"

TEST_HARNESS_MAIN

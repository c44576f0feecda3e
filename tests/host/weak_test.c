// SPDX-License-Identifier: GPL-2.0
/* Host tests of weak handles: the shared cases of module/tests/weak_cases.c. */
#include "weak_cases.c"

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/* Host tests of named roots: the shared cases of module/tests/names_cases.c. */
#include "names_cases.c"

TEST_HARNESS_MAIN

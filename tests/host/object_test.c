// SPDX-License-Identifier: GPL-2.0
/* Host tests of objects: the shared cases of module/tests/object_cases.c. */
#include "object_cases.c"

TEST_HARNESS_MAIN

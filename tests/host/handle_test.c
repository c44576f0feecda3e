// SPDX-License-Identifier: GPL-2.0
/* Host tests of handles: the shared cases of module/tests/handle_cases.c. */
#include "handle_cases.c"

TEST_HARNESS_MAIN

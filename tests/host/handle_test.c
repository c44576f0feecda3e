// SPDX-License-Identifier: GPL-2.0
/* Host tests of handles: the shared cases of module/tests/handle_cases.h. */
#include "handle_cases.h"

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/* Host tests of weak handles: the shared cases of module/tests/weak_cases.h. */
#include "weak_cases.h"

TEST_HARNESS_MAIN

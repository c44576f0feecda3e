// SPDX-License-Identifier: GPL-2.0
/* Host tests of named roots: the shared cases of module/tests/names_cases.h. */
#include "names_cases.h"

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/* Host tests of objects: the shared cases of module/tests/object_cases.h. */
#include "object_cases.h"

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/* Host tests of handle scopes: the shared cases of module/tests/scope_cases.h. */
#include "scope_cases.h"

TEST_HARNESS_MAIN

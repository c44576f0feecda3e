// SPDX-License-Identifier: GPL-2.0
/* Host tests of handle scopes: the shared cases of module/tests/scope_cases.c. */
#include "scope_cases.c"

TEST_HARNESS_MAIN

/* SPDX-License-Identifier: MIT */
/* Placeholder: filled by the work on this part. */
#include "vm_internal.h"

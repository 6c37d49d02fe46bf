/* SPDX-License-Identifier: MIT */
/* Placeholder: filled by the kernel engine work. */
static int engine_placeholder __attribute__((unused));

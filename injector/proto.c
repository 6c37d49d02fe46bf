/* SPDX-License-Identifier: MIT */
/* Placeholder: filled by the control-channel work. */
static int proto_placeholder __attribute__((unused));

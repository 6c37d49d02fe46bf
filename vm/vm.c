/* SPDX-License-Identifier: MIT */
/* Placeholder: filled by the VM core work. */
#include "vm_internal.h"

#include <stdio.h>

void vm_log(char *log, size_t log_size, const char *fmt, ...)
{
	va_list ap;

	if (!log || !log_size)
		return;
	va_start(ap, fmt);
	vsnprintf(log, log_size, fmt, ap);
	va_end(ap);
}

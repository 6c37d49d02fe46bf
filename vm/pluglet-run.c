/* SPDX-License-Identifier: MIT */
/* Placeholder: filled by the VM work. */
#include <stdio.h>
int main(void)
{
	fprintf(stderr, "pluglet-run: not built yet\n");
	return 1;
}

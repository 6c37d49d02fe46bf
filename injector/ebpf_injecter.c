/* SPDX-License-Identifier: MIT */
/* Placeholder: filled by the control-channel work. */
#include <stdio.h>
int main(void)
{
	fprintf(stderr, "ebpf_injecter: not built yet\n");
	return 1;
}

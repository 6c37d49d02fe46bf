/* Test pluglet for PRE/POST order: prints "say: TAG" (built with -DTAG=n). */
#include <pluglet/pluglet.h>

uint64_t say(const struct pluglet_args *args)
{
	ebpf_print("say: %d\n", TAG);
	return 0;
}

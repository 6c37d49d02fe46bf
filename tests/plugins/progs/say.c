/* Test pluglet: prints "say WORD" to the host's log and returns RET. */
#include <pluglet/pluglet.h>

#define STR2(x) #x
#define STR(x) STR2(x)

uint64_t say(const struct pluglet_args *args)
{
	ebpf_print("say " STR(WORD) "\n");
	return RET;
}

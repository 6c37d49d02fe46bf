/* Test pluglet: two global functions, so a manifest must name the entry. */
#include <pluglet/pluglet.h>

uint64_t first(const struct pluglet_args *args)
{
	return 501;
}

uint64_t second(const struct pluglet_args *args)
{
	return 502;
}

/* Test pluglet: reports MARK to the test's host helper and returns it
 * (order of PRE/POST by seq, REPLACE result). Built with -DMARK=n. */
#include <pluglet/pluglet.h>

extern uint64_t test_mark(uint64_t v);

uint64_t mark(const struct pluglet_args *args)
{
	test_mark(MARK);
	return MARK;
}

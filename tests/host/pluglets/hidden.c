/* Test pluglet: argument 1 is hidden. get_arg(1) must give 0 and the
 * descriptor no pointer; the host helper test_hidden() reaches it through
 * the context. Returns the helper's value, +1000 per leak. */
#include <pluglet/pluglet.h>

extern uint64_t test_hidden(void);

uint64_t hidden(const struct pluglet_args *args)
{
	uint64_t r = test_hidden();

	if (get_arg(1))
		r += 1000;
	if (args->arg[1].ptr)
		r += 1000;
	if (get_arg_type(1) != 2 || get_arg_kind(1) != 3 || get_nargs() != 3)
		r += 10000;
	return r;
}

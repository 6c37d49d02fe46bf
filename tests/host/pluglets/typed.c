/*
 * Test pluglet: calls the helpers test_api_forms.c registers with
 * PLUGLET_HELPER(), one case per value of its first argument: integer
 * conversions, pointers to its stack (written), to a read-only argument
 * (read, then written: a fault), to memory it does not own (a fault),
 * NULL, no argument, and a pointer returned.
 */
#include <pluglet/pluglet.h>

struct pair {
	int64_t a, b;
};

extern int64_t t_sum5(int64_t a, int64_t b, int64_t c, int64_t d, int64_t e);
extern int64_t t_double(struct pair *p);
extern int64_t t_read(const struct pair *p);
extern uint64_t t_point(void);
extern void *t_same(void *p);

uint64_t typed(const struct pluglet_args *args)
{
	const int *mode = get_arg(0);
	const struct pair *ro = get_arg(1);
	struct pair p = { 20, 0 };

	if (!mode)
		return 0;
	switch (*mode) {
	case 0:
		return t_sum5(1, -2, 300, 4, 5);
	case 1:
		t_double(&p);
		return p.b;
	case 2:
		return t_read(ro);
	case 3:
		return t_double((struct pair *)ro);
	case 4:
		return t_double((struct pair *)0x1000);
	case 5:
		return t_double(0);
	case 6:
		return t_point();
	case 7:
		return t_same(&p) == (void *)&p;
	}
	return 0;
}

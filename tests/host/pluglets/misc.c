/* Test pluglet: string, memory, byte-order and print helpers. Returns a
 * bit mask of failed checks (0 = all good). */
#include <pluglet/pluglet.h>

uint64_t misc(const struct pluglet_args *args)
{
	char a[16] = "hello", b[16];
	uint64_t bad = 0;

	ebpf_memset(b, 0, sizeof(b));
	ebpf_memcpy(b, a, 6);
	if (ebpf_memcmp(a, b, 6))
		bad |= 1;
	if (ebpf_strncmp(a, "help", 3) || !ebpf_strncmp(a, "help", 4))
		bad |= 2;
	if (ebpf_strnlen(a, 16) != 5)
		bad |= 4;
	if (ebpf_ntohl(0x01020304) != 0x04030201 || ebpf_htons(0x0102) != 0x0201 ||
	    ebpf_ntohll(0x0102030405060708ull) != 0x0807060504030201ull ||
	    ebpf_htonl(ebpf_ntohl(7)) != 7 || ebpf_ntohs(ebpf_htons(9)) != 9 ||
	    ebpf_htonll(1) != 0x0100000000000000ull)
		bad |= 8;
	if (!ebpf_time_ns() || !ebpf_realtime_ns())
		bad |= 16;
	if (ebpf_print("misc %s %d %u %lx\n", a, -3, 5u, 0xabcull) != 19)
		bad |= 32;
	/* "[  -3|0005|  he|%]" */
	if (ebpf_print("[%4d|%04u|%4.2s|%%]", -3, 5, a) != 18)
		bad |= 64;
	return bad;
}

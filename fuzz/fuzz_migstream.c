/* A QEMU migration stream or libvirt save image: sections, RAM records, the vmstate description, nested state. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ns_error err;
	static struct ns_migstream m;
	struct ns_out o = fuzz_out();

	/* RAM kept only for small inputs: a block may claim a terabyte, and the real seeds hold 64 MiB */
	if (ns_migstream_parse(data, size, size < (256u << 10), &m, &err) == NS_OK)
		for (size_t i = 0; i < m.nnested; i++) {
			struct ns_nested_state ns;
			struct ns_report rep;
			struct ns_render_opts opt = { NS_SECT_ALL, false };

			if (ns_decode_buffer(m.nested[i].blob, m.nested[i].len, NS_INPUT_NESTED_STATE, true, "fuzz", &ns,
					     &rep, &err) == NS_OK)
				fuzz_render_json(&o, &rep, &opt);
		}
	ns_migstream_free(&m);
	return 0;
}

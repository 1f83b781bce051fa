/*
 * fuzz_utf8_chars.c — libFuzzer target for dv_utf8_chars() (src/fold.h).
 *
 * "Number of characters (code points) in a UTF-8 string of len bytes."
 * The input is read from a heap block of exactly len bytes (ASan watches
 * the end).  Properties:
 *   - any bytes: no crash, result <= len, and the count is additive over
 *     any split point (it is a per-byte count of non-continuation bytes, so
 *     this holds for invalid input too);
 *   - valid UTF-8 (the input repaired as in fuzz_util.h; PostgreSQL text in
 *     a UTF8 database is always valid): result == number of code points
 *     decoded by an independent strict decoder;
 *   - the folded form (how src/paths.c uses it, after dv_fold) never counts
 *     more characters than its input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fold.h"
#include "fuzz_util.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *in = fz_exact_copy(data, size);
	size_t		n = dv_utf8_chars(in, size);

	if (n > size)
		abort();
	if (size > 0)
	{
		size_t		cut = data[0] % (size + 1);
		char	   *a = fz_exact_copy(data, cut);
		char	   *b = fz_exact_copy(data + cut, size - cut);

		if (dv_utf8_chars(a, cut) + dv_utf8_chars(b, size - cut) != n)
			abort();
		free(a);
		free(b);
	}
	free(in);

	{
		unsigned char *fixed = malloc(size ? size : 1);
		size_t		len = fz_utf8_repair(data, size, fixed);
		char	   *v = fz_exact_copy(fixed, len);
		uint32_t   *cps = malloc((len ? len : 1) * sizeof(uint32_t));
		size_t		ncp = fz_utf8_decode(fixed, len, cps);
		char	   *folded = malloc(len ? len : 1);
		size_t		flen;
		char	   *f;

		if (dv_utf8_chars(v, len) != ncp)
			abort();
		flen = dv_fold(v, len, folded);
		f = fz_exact_copy((unsigned char *) folded, flen);
		if (dv_utf8_chars(f, flen) > ncp)
			abort();
		free(f);
		free(folded);
		free(cps);
		free(v);
		free(fixed);
	}
	return 0;
}

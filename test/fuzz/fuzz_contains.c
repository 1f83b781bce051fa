/*
 * fuzz_contains.c — libFuzzer target for dv_contains() (src/fold.h).
 *
 * "Does hay[0..hlen) contain needle[0..nlen) as plain bytes?  No
 * wildcards."  Input layout: the first two bytes (little endian) choose
 * the needle length, modulo what is left plus one; the needle comes next,
 * the haystack is the rest.  Both are copied into heap blocks of exactly
 * their length so ASan sees any read past either end.  dv_contains takes
 * any bytes (it is a byte search), so no UTF-8 repair is needed for it.
 *
 * Properties:
 *   - the answer is 0 or 1 and equals a naive byte search;
 *   - an empty needle is found in anything, even an empty haystack (the
 *     implementation returns 1 for nlen == 0; the empty string is a
 *     substring of every string);
 *   - contains(x, x) for every x; contains(hay, any slice of hay);
 *   - a needle longer than the haystack is never found;
 *   - the server's use (src/paths.c): both sides folded; the folded
 *     haystack contains itself and every slice of itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fold.h"
#include "fuzz_util.h"

static int
naive(const unsigned char *h, size_t hl, const unsigned char *n, size_t nl)
{
	if (nl > hl)
		return 0;
	for (size_t i = 0; i + nl <= hl; i++)
	{
		size_t		k = 0;

		while (k < nl && h[i + k] == n[k])
			k++;
		if (k == nl)
			return 1;
	}
	return 0;
}

static void
check_slices(const char *h, size_t hl, const uint8_t *data, size_t size)
{
	/* a slice of the haystack chosen by the input, in its own exact block */
	size_t		a,
				b;
	char	   *s;

	if (hl == 0)
		return;
	a = (size > 2 ? data[2] : 0) % hl;
	b = a + (size > 3 ? data[3] : 0) % (hl - a + 1);
	s = fz_exact_copy((const unsigned char *) h + a, b - a);
	if (dv_contains(h, hl, s, b - a) != 1)
		abort();
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t		nl,
				hl;
	char	   *needle,
			   *hay,
			   *empty;
	int			r;

	if (size < 2)
		return 0;
	nl = ((size_t) data[0] | ((size_t) data[1] << 8)) % (size - 2 + 1);
	hl = size - 2 - nl;
	needle = fz_exact_copy(data + 2, nl);
	hay = fz_exact_copy(data + 2 + nl, hl);
	empty = fz_exact_copy(data, 0);

	r = dv_contains(hay, hl, needle, nl);
	if (r != 0 && r != 1)
		abort();
	if (r != naive((unsigned char *) hay, hl, (unsigned char *) needle, nl))
		abort();
	if (nl > hl && r)
		abort();

	if (dv_contains(hay, hl, empty, 0) != 1 ||
		dv_contains(empty, 0, empty, 0) != 1 ||
		dv_contains(needle, nl, empty, 0) != 1)
		abort();
	if (dv_contains(hay, hl, hay, hl) != 1 ||
		dv_contains(needle, nl, needle, nl) != 1)
		abort();
	if (hl > 0 && dv_contains(empty, 0, hay, hl) != 0)
		abort();
	check_slices(hay, hl, data, size);

	/* both sides folded, as src/paths.c does (valid UTF-8 there) */
	{
		unsigned char *fixed = malloc(hl ? hl : 1);
		size_t		vl = fz_utf8_repair((unsigned char *) hay, hl, fixed);
		char	   *v = fz_exact_copy(fixed, vl);
		char	   *fo = malloc(vl ? vl : 1);
		size_t		fl = dv_fold(v, vl, fo);
		char	   *f = fz_exact_copy((unsigned char *) fo, fl);
		unsigned char *nfixed = malloc(nl ? nl : 1);
		size_t		nvl = fz_utf8_repair((unsigned char *) needle, nl, nfixed);
		char	   *nv = fz_exact_copy(nfixed, nvl);
		char	   *nfo = malloc(nvl ? nvl : 1);
		size_t		nfl = dv_fold(nv, nvl, nfo);
		char	   *nf = fz_exact_copy((unsigned char *) nfo, nfl);

		r = dv_contains(f, fl, nf, nfl);
		if (r != naive((unsigned char *) f, fl, (unsigned char *) nf, nfl))
			abort();
		if (fl > 0 && dv_contains(f, fl, f, fl) != 1)
			abort();
		if (dv_contains(f, fl, empty, 0) != 1)
			abort();
		check_slices(f, fl, data, size);

		free(fixed);
		free(v);
		free(fo);
		free(f);
		free(nfixed);
		free(nv);
		free(nfo);
		free(nf);
	}

	free(needle);
	free(hay);
	free(empty);
	return 0;
}

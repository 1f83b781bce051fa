/*
 * fuzz_fold.c — libFuzzer target for dv_fold() (src/fold.h).
 *
 * Contract (fold.h): any bytes are accepted, invalid UTF-8 is copied
 * through and never read past len; the output is never longer than the
 * input, so len bytes of output room suffice.  Both buffers are heap blocks
 * of exactly len bytes so ASan catches any access beyond them.
 *
 * 1. Raw bytes: no crash, no out-of-bounds access, result <= len.
 *
 * 2. The input repaired into valid UTF-8 (invalid bytes and NUL dropped;
 *    PostgreSQL only hands valid UTF-8 without NUL to dv_fold, see
 *    fuzz_util.h), then:
 *      - result <= len, and no more code points than the input;
 *      - the output is valid UTF-8;
 *      - the output equals a reference fold written here from the rules in
 *        the comment of src/fold.c, with tables generated from Unicode
 *        (NFKC of U+FF61..U+FF9F, NFC of kana + U+3099/U+309A);
 *      - the output holds none of what folding removes: blanks, A-Z,
 *        full-width ASCII, half-width katakana, hiragana, combining marks;
 *      - folding is idempotent: fold(fold(x)) == fold(x).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fold.h"
#include "fuzz_util.h"

/* NFKC of U+FF61..U+FF9F (generated with Python's unicodedata). */
static const uint32_t ref_halfwidth[] = {
	0x3002, 0x300C, 0x300D, 0x3001, 0x30FB, 0x30F2, 0x30A1, 0x30A3, 0x30A5,
	0x30A7, 0x30A9, 0x30E3, 0x30E5, 0x30E7, 0x30C3, 0x30FC, 0x30A2, 0x30A4,
	0x30A6, 0x30A8, 0x30AA, 0x30AB, 0x30AD, 0x30AF, 0x30B1, 0x30B3, 0x30B5,
	0x30B7, 0x30B9, 0x30BB, 0x30BD, 0x30BF, 0x30C1, 0x30C4, 0x30C6, 0x30C8,
	0x30CA, 0x30CB, 0x30CC, 0x30CD, 0x30CE, 0x30CF, 0x30D2, 0x30D5, 0x30D8,
	0x30DB, 0x30DE, 0x30DF, 0x30E0, 0x30E1, 0x30E2, 0x30E4, 0x30E6, 0x30E8,
	0x30E9, 0x30EA, 0x30EB, 0x30EC, 0x30ED, 0x30EF, 0x30F3,
	0x3099, 0x309A,				/* FF9E, FF9F: the marks, spacing below */
};

#define V 0x309B				/* spacing voiced mark, the folded form */
#define S 0x309C				/* spacing semi-voiced mark */

/* NFC(base + U+3099 / U+309A) for katakana bases (unicodedata). */
static const struct
{
	uint32_t	base,
				mark,
				composed;
}			ref_compose[] = {
	{0x30A6, V, 0x30F4}, {0x30AB, V, 0x30AC}, {0x30AD, V, 0x30AE},
	{0x30AF, V, 0x30B0}, {0x30B1, V, 0x30B2}, {0x30B3, V, 0x30B4},
	{0x30B5, V, 0x30B6}, {0x30B7, V, 0x30B8}, {0x30B9, V, 0x30BA},
	{0x30BB, V, 0x30BC}, {0x30BD, V, 0x30BE}, {0x30BF, V, 0x30C0},
	{0x30C1, V, 0x30C2}, {0x30C4, V, 0x30C5}, {0x30C6, V, 0x30C7},
	{0x30C8, V, 0x30C9}, {0x30CF, V, 0x30D0}, {0x30CF, S, 0x30D1},
	{0x30D2, V, 0x30D3}, {0x30D2, S, 0x30D4}, {0x30D5, V, 0x30D6},
	{0x30D5, S, 0x30D7}, {0x30D8, V, 0x30D9}, {0x30D8, S, 0x30DA},
	{0x30DB, V, 0x30DC}, {0x30DB, S, 0x30DD}, {0x30EF, V, 0x30F7},
	{0x30F0, V, 0x30F8}, {0x30F1, V, 0x30F9}, {0x30F2, V, 0x30FA},
	{0x30FD, V, 0x30FE},
};

/*
 * Dropped as blank: Unicode White_Space (PropList.txt: U+0009..U+000D,
 * U+0020, U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029, U+202F,
 * U+205F, U+3000), plus U+200B and U+FEFF, as fold.c's comment says.
 */
static const uint32_t ref_white_space[] = {
	0x0009, 0x000A, 0x000B, 0x000C, 0x000D, 0x0020, 0x0085, 0x00A0, 0x1680,
	0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008,
	0x2009, 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000,
	0x200B, 0xFEFF,
};

static int
ref_blank(uint32_t c)
{
	for (size_t k = 0; k < sizeof(ref_white_space) / sizeof(ref_white_space[0]); k++)
		if (ref_white_space[k] == c)
			return 1;
	return 0;
}

/* One code point folded by the rules of fold.c's comment; 0 = dropped. */
static uint32_t
ref_map(uint32_t c)
{
	if (ref_blank(c))
		return 0;
	if (c >= 0xFF01 && c <= 0xFF5E)
		c = c - 0xFF01 + 0x21;
	if (c >= 'A' && c <= 'Z')
		return c + 32;
	if (c >= 0xFF61 && c <= 0xFF9F)
		c = ref_halfwidth[c - 0xFF61];
	if (c == 0x3099)
		return V;
	if (c == 0x309A)
		return S;
	if ((c >= 0x3041 && c <= 0x3096) || c == 0x309D || c == 0x309E)
		return c + 0x60;
	return c;
}

static uint32_t
ref_composed(uint32_t base, uint32_t mark)
{
	for (size_t k = 0; k < sizeof(ref_compose) / sizeof(ref_compose[0]); k++)
		if (ref_compose[k].base == base && ref_compose[k].mark == mark)
			return ref_compose[k].composed;
	return 0;
}

/*
 * Reference fold of cps[0..n) into out (n slots); returns count.  A mark is
 * composed with the code point before it in the output when NFC has such a
 * kana.  (No composed kana takes a second mark, so composing with a kana
 * that is itself a composition never happens.)
 */
static size_t
ref_fold(const uint32_t *cps, size_t n, uint32_t *out)
{
	size_t		w = 0;

	for (size_t i = 0; i < n; i++)
	{
		uint32_t	c = ref_map(cps[i]);
		uint32_t	k;

		if (c == 0)
			continue;
		if ((c == V || c == S) && w > 0 &&
			(k = ref_composed(out[w - 1], c)) != 0)
		{
			out[w - 1] = k;
			continue;
		}
		out[w++] = c;
	}
	return w;
}

/* Must not appear in folded output. */
static int
removed_by_folding(uint32_t c)
{
	return ref_blank(c) || (c >= 'A' && c <= 'Z') ||
		(c >= 0xFF01 && c <= 0xFF5E) || (c >= 0xFF61 && c <= 0xFF9F) ||
		(c >= 0x3041 && c <= 0x3096) || c == 0x309D || c == 0x309E ||
		c == 0x3099 || c == 0x309A;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* 1. raw bytes, any of them */
	{
		char	   *in = fz_exact_copy(data, size);
		char	   *out = malloc(size ? size : 1);
		size_t		n = dv_fold(in, size, out);

		if (n > size)
			abort();
		free(in);
		free(out);
	}

	/* 2. valid UTF-8, as PostgreSQL guarantees */
	{
		unsigned char *fixed = malloc(size ? size : 1);
		size_t		len = fz_utf8_repair(data, size, fixed);
		char	   *in = fz_exact_copy(fixed, len);
		char	   *out = malloc(len ? len : 1);
		char	   *again;
		uint32_t   *cps_in = malloc((len ? len : 1) * sizeof(uint32_t));
		uint32_t   *cps_out = malloc((len ? len : 1) * sizeof(uint32_t));
		uint32_t   *cps_ref = malloc((len ? len : 1) * sizeof(uint32_t));
		size_t		n,
					n2,
					nin,
					nout,
					nref;

		if (!fz_utf8_valid(fixed, len))
			abort();			/* the repair itself is wrong */

		n = dv_fold(in, len, out);
		if (n > len)
			abort();
		if (!fz_utf8_valid((unsigned char *) out, n))
			abort();

		nin = fz_utf8_decode(fixed, len, cps_in);
		nout = fz_utf8_decode((unsigned char *) out, n, cps_out);
		if (nout > nin)
			abort();
		nref = ref_fold(cps_in, nin, cps_ref);
		if (nref != nout ||
			memcmp(cps_ref, cps_out, nout * sizeof(uint32_t)) != 0)
			abort();
		for (size_t k = 0; k < nout; k++)
			if (removed_by_folding(cps_out[k]))
				abort();

		/* idempotence, with the output in an exact-size block */
		{
			char	   *f = fz_exact_copy((unsigned char *) out, n);

			again = malloc(n ? n : 1);

			n2 = dv_fold(f, n, again);
			if (n2 != n || memcmp(again, out, n) != 0)
				abort();
			free(f);
			free(again);
		}

		free(fixed);
		free(in);
		free(out);
		free(cps_in);
		free(cps_out);
		free(cps_ref);
	}
	return 0;
}

/*
 * fuzz_util.h — helpers shared by the libFuzzer targets in test/fuzz/.
 *
 * A strict UTF-8 decoder with PostgreSQL's rules for text in a UTF8
 * database (pg_utf8_islegal, plus no NUL: text cannot hold one): no
 * overlong forms, no surrogates U+D800..U+DFFF, nothing above U+10FFFF.
 * It is written independently of src/fold.c so that it can judge it.
 */
#ifndef DVFLAG_FUZZ_UTIL_H
#define DVFLAG_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Length of the valid sequence at s (n > 0 bytes left), 0 if none; *cp. */
static inline size_t
fz_utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char c = s[0];
	size_t		len;
	unsigned char lo = 0x80,
				hi = 0xBF;		/* bounds of the second byte */

	if (c == 0x00)
		return 0;
	if (c < 0x80)
	{
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF)
		len = 2;
	else if (c >= 0xE0 && c <= 0xEF)
	{
		len = 3;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	}
	else if (c >= 0xF0 && c <= 0xF4)
	{
		len = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	}
	else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t k = 2; k < len; k++)
		if ((s[k] & 0xC0) != 0x80)
			return 0;
	if (len == 2)
		*cp = ((uint32_t) (c & 0x1F) << 6) | (s[1] & 0x3F);
	else if (len == 3)
		*cp = ((uint32_t) (c & 0x0F) << 12) | ((uint32_t) (s[1] & 0x3F) << 6) |
			(s[2] & 0x3F);
	else
		*cp = ((uint32_t) (c & 0x07) << 18) | ((uint32_t) (s[1] & 0x3F) << 12) |
			((uint32_t) (s[2] & 0x3F) << 6) | (s[3] & 0x3F);
	return len;
}

/* Is s[0..n) valid UTF-8 (strict, no NUL)? */
static inline int
fz_utf8_valid(const unsigned char *s, size_t n)
{
	size_t		i = 0;
	uint32_t	cp;

	while (i < n)
	{
		size_t		k = fz_utf8_seq(s + i, n - i, &cp);

		if (k == 0)
			return 0;
		i += k;
	}
	return 1;
}

/*
 * Repair arbitrary bytes into valid UTF-8 by dropping every byte that does
 * not start a valid sequence (and NUL).  out needs n bytes; returns length.
 */
static inline size_t
fz_utf8_repair(const unsigned char *s, size_t n, unsigned char *out)
{
	size_t		i = 0,
				w = 0;
	uint32_t	cp;

	while (i < n)
	{
		size_t		k = fz_utf8_seq(s + i, n - i, &cp);

		if (k == 0)
		{
			i++;
			continue;
		}
		memcpy(out + w, s + i, k);
		w += k;
		i += k;
	}
	return w;
}

/* Decode valid UTF-8 into code points; out needs n slots; returns count. */
static inline size_t
fz_utf8_decode(const unsigned char *s, size_t n, uint32_t *out)
{
	size_t		i = 0,
				c = 0;

	while (i < n)
	{
		size_t		k = fz_utf8_seq(s + i, n - i, &out[c]);

		if (k == 0)
			abort();			/* caller promised valid input */
		i += k;
		c++;
	}
	return c;
}

/*
 * A copy of data[0..n) in a heap block of exactly n bytes (1 if n == 0,
 * never read then), so that ASan sees any read past the end.
 */
static inline char *
fz_exact_copy(const unsigned char *data, size_t n)
{
	char	   *p = malloc(n ? n : 1);

	if (p == NULL)
		abort();
	if (n)
		memcpy(p, data, n);
	return p;
}

#endif

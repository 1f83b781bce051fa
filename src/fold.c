/*
 * fold.c — the one definition of "the same name" (RULES.md §3):
 *
 *   - white space is dropped: every Unicode White_Space character (ASCII
 *     blanks, U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029,
 *     U+202F, U+205F and the ideographic space U+3000, 全角スペース), and the
 *     invisible U+200B (zero width space) and U+FEFF (byte order mark);
 *   - full-width ASCII U+FF01..U+FF5E becomes ASCII, and ASCII letters are
 *     lower-cased;
 *   - half-width katakana U+FF61..U+FF9F becomes full-width, a following
 *     half-width (semi-)voiced mark being composed with it;
 *   - hiragana becomes katakana (ひらがな = カタカナ);
 *   - a voiced or semi-voiced mark, combining (U+3099/U+309A) or spacing
 *     (U+309B/U+309C), is composed with the kana before it when such a
 *     composed kana exists.
 *
 * Pure C with no server dependency, so the fuzz target and the unit test
 * link it as it is.  Each code point yields at most one code point of no
 * greater encoded length, hence the output never outgrows the input.
 */
#include "fold.h"

#include <stdint.h>
#include <string.h>

/* Half-width katakana U+FF61..U+FF9D to their full-width code points. */
static const uint16_t halfwidth_kana[] = {
	0x3002, 0x300C, 0x300D, 0x3001, 0x30FB, 0x30F2,	/* FF61..FF66 */
	0x30A1, 0x30A3, 0x30A5, 0x30A7, 0x30A9,	/* FF67..FF6B ｧｨｩｪｫ */
	0x30E3, 0x30E5, 0x30E7, 0x30C3, 0x30FC,	/* FF6C..FF70 ｬｭｮｯｰ */
	0x30A2, 0x30A4, 0x30A6, 0x30A8, 0x30AA,	/* ｱｲｳｴｵ */
	0x30AB, 0x30AD, 0x30AF, 0x30B1, 0x30B3,	/* ｶｷｸｹｺ */
	0x30B5, 0x30B7, 0x30B9, 0x30BB, 0x30BD,	/* ｻｼｽｾｿ */
	0x30BF, 0x30C1, 0x30C4, 0x30C6, 0x30C8,	/* ﾀﾁﾂﾃﾄ */
	0x30CA, 0x30CB, 0x30CC, 0x30CD, 0x30CE,	/* ﾅﾆﾇﾈﾉ */
	0x30CF, 0x30D2, 0x30D5, 0x30D8, 0x30DB,	/* ﾊﾋﾌﾍﾎ */
	0x30DE, 0x30DF, 0x30E0, 0x30E1, 0x30E2,	/* ﾏﾐﾑﾒﾓ */
	0x30E4, 0x30E6, 0x30E8,	/* ﾔﾕﾖ */
	0x30E9, 0x30EA, 0x30EB, 0x30EC, 0x30ED,	/* ﾗﾘﾙﾚﾛ */
	0x30EF, 0x30F3,	/* ﾜﾝ */
};

_Static_assert(sizeof(halfwidth_kana) / sizeof(halfwidth_kana[0]) == 0xFF9D - 0xFF61 + 1,
			   "one entry per half-width katakana");

#define VOICED_MARK 0x309B		/* ゛ */
#define SEMI_VOICED_MARK 0x309C /* ゜ */

/* Decode one UTF-8 sequence at s (n > 0 bytes left); 0 if malformed. */
static size_t
decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	if (s[0] < 0x80)
	{
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xE0) == 0xC0 && n >= 2 && (s[1] & 0xC0) == 0x80)
	{
		*cp = ((uint32_t) (s[0] & 0x1F) << 6) | (s[1] & 0x3F);
		return *cp >= 0x80 ? 2 : 0;
	}
	if ((s[0] & 0xF0) == 0xE0 && n >= 3 && (s[1] & 0xC0) == 0x80 &&
		(s[2] & 0xC0) == 0x80)
	{
		*cp = ((uint32_t) (s[0] & 0x0F) << 12) |
			((uint32_t) (s[1] & 0x3F) << 6) | (s[2] & 0x3F);
		return *cp >= 0x800 ? 3 : 0;
	}
	if ((s[0] & 0xF8) == 0xF0 && n >= 4 && (s[1] & 0xC0) == 0x80 &&
		(s[2] & 0xC0) == 0x80 && (s[3] & 0xC0) == 0x80)
	{
		*cp = ((uint32_t) (s[0] & 0x07) << 18) |
			((uint32_t) (s[1] & 0x3F) << 12) |
			((uint32_t) (s[2] & 0x3F) << 6) | (s[3] & 0x3F);
		return (*cp >= 0x10000 && *cp <= 0x10FFFF) ? 4 : 0;
	}
	return 0;
}

/* Encode cp (known to fit in 'room' bytes, see fold_one) at out. */
static size_t
encode(uint32_t cp, unsigned char *out)
{
	if (cp < 0x80)
	{
		out[0] = (unsigned char) cp;
		return 1;
	}
	if (cp < 0x800)
	{
		out[0] = (unsigned char) (0xC0 | (cp >> 6));
		out[1] = (unsigned char) (0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000)
	{
		out[0] = (unsigned char) (0xE0 | (cp >> 12));
		out[1] = (unsigned char) (0x80 | ((cp >> 6) & 0x3F));
		out[2] = (unsigned char) (0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (unsigned char) (0xF0 | (cp >> 18));
	out[1] = (unsigned char) (0x80 | ((cp >> 12) & 0x3F));
	out[2] = (unsigned char) (0x80 | ((cp >> 6) & 0x3F));
	out[3] = (unsigned char) (0x80 | (cp & 0x3F));
	return 4;
}

/* The blanks since 1.1: every Unicode White_Space, U+200B and the BOM. */
static int
is_blank(uint32_t cp)
{
	return cp == ' ' || (cp >= '\t' && cp <= '\r') || cp == 0x0085 || cp == 0x00A0 ||
		cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200B) || cp == 0x2028 || cp == 0x2029 ||
		cp == 0x202F || cp == 0x205F || cp == 0x3000 || cp == 0xFEFF;
}

/* The blanks of 1.0: ASCII blanks, U+00A0 and U+3000 (dv_fold_1_0). */
static int
is_blank_1_0(uint32_t cp)
{
	return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' ||
		cp == '\v' || cp == '\f' || cp == 0x00A0 || cp == 0x3000;
}

/* Map one code point to its folded form; 0 means "drop it". */
static uint32_t
fold_one(uint32_t cp, int (*blank) (uint32_t))
{
	if (blank(cp))
		return 0;
	if (cp >= 0xFF01 && cp <= 0xFF5E)
		cp -= 0xFF01 - 0x21;
	if (cp >= 'A' && cp <= 'Z')
		return cp + ('a' - 'A');
	if (cp >= 0xFF61 && cp <= 0xFF9D)
		return halfwidth_kana[cp - 0xFF61];
	if (cp == 0xFF9E || cp == 0x3099)
		return VOICED_MARK;
	if (cp == 0xFF9F || cp == 0x309A)
		return SEMI_VOICED_MARK;
	if ((cp >= 0x3041 && cp <= 0x3096) || cp == 0x309D || cp == 0x309E)
		return cp + 0x60;		/* hiragana to katakana */
	return cp;
}

/* The kana that 'base' followed by 'mark' composes to, or 0 if none. */
static uint32_t
compose(uint32_t base, uint32_t mark)
{
	if (mark == VOICED_MARK)
	{
		/* カ..ヂ: the unvoiced kana sit on odd code points, voiced on +1 */
		if (base >= 0x30AB && base <= 0x30C1 && (base & 1))
			return base + 1;
		if (base == 0x30C4 || base == 0x30C6 || base == 0x30C8)
			return base + 1;
		if (base >= 0x30CF && base <= 0x30DB && (base - 0x30CF) % 3 == 0)
			return base + 1;
		if (base == 0x30A6)
			return 0x30F4;		/* ヴ */
		if (base >= 0x30EF && base <= 0x30F2)
			return base + 8;	/* ヷヸヹヺ */
		if (base == 0x30FD)
			return 0x30FE;		/* ヾ */
		return 0;
	}
	if (mark == SEMI_VOICED_MARK &&
		base >= 0x30CF && base <= 0x30DB && (base - 0x30CF) % 3 == 0)
		return base + 2;
	return 0;
}

/* dv_fold with the given set of blanks. */
static size_t
fold_with(const char *in, size_t len, char *out, int (*blank) (uint32_t))
{
	const unsigned char *s = (const unsigned char *) in;
	unsigned char *o = (unsigned char *) out;
	size_t		i = 0,
				w = 0;
	uint32_t	prev = 0;		/* last code point written, 0 if none */
	size_t		prev_at = 0;	/* where it was written */

	while (i < len)
	{
		uint32_t	cp;
		size_t		n = decode(s + i, len - i, &cp);

		if (n == 0)
		{
			/* not UTF-8: copy the byte through, it composes with nothing */
			o[w++] = s[i++];
			prev = 0;
			continue;
		}
		i += n;
		cp = fold_one(cp, blank);
		if (cp == 0)
			continue;
		if (prev != 0 && (cp == VOICED_MARK || cp == SEMI_VOICED_MARK))
		{
			uint32_t	composed = compose(prev, cp);

			if (composed != 0)
			{
				/* both are 3-byte katakana: rewrite in place */
				w = prev_at + encode(composed, o + prev_at);
				prev = 0;
				continue;
			}
		}
		prev_at = w;
		w += encode(cp, o + w);
		prev = cp;
	}
	return w;
}

size_t
dv_fold(const char *in, size_t len, char *out)
{
	return fold_with(in, len, out, is_blank);
}

size_t
dv_fold_1_0(const char *in, size_t len, char *out)
{
	return fold_with(in, len, out, is_blank_1_0);
}

size_t
dv_utf8_chars(const char *s, size_t len)
{
	size_t		n = 0;

	for (size_t i = 0; i < len; i++)
		if (((unsigned char) s[i] & 0xC0) != 0x80)
			n++;
	return n;
}

int
dv_contains(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
	if (nlen == 0)
		return 1;
	for (size_t i = 0; i + nlen <= hlen; i++)
		if (hay[i] == needle[0] && memcmp(hay + i, needle, nlen) == 0)
			return 1;
	return 0;
}

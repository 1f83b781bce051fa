/*
 * fuzz_checkdigit.c — libFuzzer target for the insurer number (保険者番号)
 * functions of src/checkdigit.h.
 *
 * dv_insurer_no_problem(s, len) takes any bytes (the server passes the raw
 * text of the argument, VARDATA_ANY, not NUL-terminated); the input is
 * copied into a heap block of exactly len bytes so ASan sees a read past
 * the end.  dv_insurer_check_digit(seven_digits) requires seven ASCII
 * digits by its contract, so the target only calls it with seven digits
 * it builds from the input (each byte mod 10).
 *
 * Properties, from checkdigit.h and the comment of checkdigit.c:
 *   - the answer equals a reference classification: NOT_DIGITS if any byte
 *     is not 0-9 (checked first), else LENGTH unless 6 or 8 digits, else
 *     CHECK_DIGIT if 8 digits whose last is not the check digit, else OK;
 *   - in particular OK is never given to a string with a non-digit or a
 *     length other than 6 or 8;
 *   - the check digit equals an independent computation: weights 2,1,2,...
 *     from the rightmost of the seven digits, add the digits of each
 *     product, 10 minus the last digit of the sum, 10 becoming 0;
 *   - it is in 0..9, and of the ten 8-digit numbers with the same seven
 *     leading digits exactly one is OK;
 *   - any 6 digits are OK; a non-digit anywhere in 8 otherwise valid
 *     digits gives NOT_DIGITS, whatever its byte value (also >= 0x80).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "checkdigit.h"
#include "fuzz_util.h"

static int
ref_check_digit(const char *d)
{
	int			sum = 0;

	for (int i = 0; i < 7; i++)
	{
		/* position from the right: d[6] is first and weighs 2 */
		int			weight = ((6 - i) % 2 == 0) ? 2 : 1;
		int			p = (d[i] - '0') * weight;

		sum += p / 10 + p % 10;
	}
	return (10 - sum % 10) % 10;
}

static DvInsurerNoProblem
ref_problem(const unsigned char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!(s[i] >= '0' && s[i] <= '9'))
			return DV_INSURER_NO_NOT_DIGITS;
	if (len != 6 && len != 8)
		return DV_INSURER_NO_LENGTH;
	if (len == 8 && s[7] - '0' != ref_check_digit((const char *) s))
		return DV_INSURER_NO_CHECK_DIGIT;
	return DV_INSURER_NO_OK;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *in = fz_exact_copy(data, size);
	DvInsurerNoProblem p = dv_insurer_no_problem(in, size);
	int			all_digits = 1;

	for (size_t i = 0; i < size; i++)
		if (data[i] < '0' || data[i] > '9')
			all_digits = 0;
	if (p != ref_problem(data, size))
		abort();
	if (p == DV_INSURER_NO_OK && (!all_digits || (size != 6 && size != 8)))
		abort();
	free(in);

	/* seven digits built from the input: the check digit and its uniqueness */
	{
		char		d[8];
		int			c,
					ok = 0;
		char	   *seven;

		for (int i = 0; i < 7; i++)
			d[i] = (char) ('0' + (i < (int) size ? data[i] % 10 : 0));
		seven = fz_exact_copy((unsigned char *) d, 7);
		c = dv_insurer_check_digit(seven);
		free(seven);
		if (c < 0 || c > 9 || c != ref_check_digit(d))
			abort();
		for (int last = 0; last < 10; last++)
		{
			char	   *eight;
			DvInsurerNoProblem q;

			d[7] = (char) ('0' + last);
			eight = fz_exact_copy((unsigned char *) d, 8);
			q = dv_insurer_no_problem(eight, 8);
			free(eight);
			if (q == DV_INSURER_NO_OK)
			{
				ok++;
				if (last != c)
					abort();
			}
			else if (q != DV_INSURER_NO_CHECK_DIGIT)
				abort();
		}
		if (ok != 1)
			abort();

		/* any six digits are accepted */
		{
			char	   *six = fz_exact_copy((unsigned char *) d, 6);

			if (dv_insurer_no_problem(six, 6) != DV_INSURER_NO_OK)
				abort();
			free(six);
		}

		/* a non-digit byte in a valid 8-digit number: NOT_DIGITS */
		if (size > 8)
		{
			unsigned char bad = data[8];

			if (!(bad >= '0' && bad <= '9'))
			{
				char	   *eight;

				d[7] = (char) ('0' + c);
				d[data[7] % 8] = (char) bad;
				eight = fz_exact_copy((unsigned char *) d, 8);
				if (dv_insurer_no_problem(eight, 8) != DV_INSURER_NO_NOT_DIGITS)
					abort();
				free(eight);
			}
		}
	}
	return 0;
}

/*
 * checkdigit.c — insurer numbers (保険者番号).
 *
 * An 8-digit number is 法別番号 (2) + 都道府県番号 (2) + 保険者別番号 (3) +
 * 検証番号 (1).  The check digit: weight the seven leading digits 2,1,2,1,...
 * from the rightmost, add the digits of each product (14 counts 1 + 4), and
 * take 10 minus the last digit of the sum (10 becomes 0).  A 6-digit number
 * is a municipal National Health Insurance (市町村国保) insurer, accepted as
 * six digits (see the README for why its check digit is not enforced).
 */
#include "checkdigit.h"

int
dv_insurer_check_digit(const char *seven_digits)
{
	int			sum = 0;

	for (int i = 6, weight = 2; i >= 0; i--, weight = 3 - weight)
	{
		int			product = (seven_digits[i] - '0') * weight;

		sum += product / 10 + product % 10;
	}
	return (10 - sum % 10) % 10;
}

DvInsurerNoProblem
dv_insurer_no_problem(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return DV_INSURER_NO_NOT_DIGITS;
	if (len != 6 && len != 8)
		return DV_INSURER_NO_LENGTH;
	if (len == 8 && s[7] - '0' != dv_insurer_check_digit(s))
		return DV_INSURER_NO_CHECK_DIGIT;
	return DV_INSURER_NO_OK;
}

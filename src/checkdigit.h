/*
 * checkdigit.h — insurer number (保険者番号) validation, pure C.
 */
#ifndef DVFLAG_CHECKDIGIT_H
#define DVFLAG_CHECKDIGIT_H

#include <stddef.h>

/* Why an insurer number is not valid, or DV_INSURER_NO_OK. */
typedef enum DvInsurerNoProblem
{
	DV_INSURER_NO_OK = 0,
	DV_INSURER_NO_NOT_DIGITS,	/* a character other than 0-9 (checked first) */
	DV_INSURER_NO_LENGTH,		/* digits only, but not 6 or 8 of them */
	DV_INSURER_NO_CHECK_DIGIT	/* 8 digits whose last is not the check digit */
} DvInsurerNoProblem;

/* The check digit (0-9) that seven leading digits call for. */
int			dv_insurer_check_digit(const char *seven_digits);

/* Validate an insurer number of len bytes. */
DvInsurerNoProblem dv_insurer_no_problem(const char *s, size_t len);

#endif

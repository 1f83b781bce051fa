/*
 * fold.h — text folding for name and kana matching (pure C, no server deps).
 *
 * Invariant: the output is never longer than the input, so a caller may
 * allocate len + 1 bytes.  Input is expected to be UTF-8; bytes that do not
 * form a valid sequence are copied through unchanged (never read past len).
 */
#ifndef DVFLAG_FOLD_H
#define DVFLAG_FOLD_H

#include <stddef.h>

/* Fold in[0..len) into out; returns the number of bytes written (no NUL). */
size_t dv_fold(const char *in, size_t len, char *out);

/*
 * The folding of 1.0, whose blanks were only the ASCII ones, U+00A0 and
 * U+3000: what the C symbols of 1.0's fold() and is_blank() keep serving,
 * so that the indexes and CHECKs a 1.0 install built stay valid.
 */
size_t dv_fold_1_0(const char *in, size_t len, char *out);

/* Number of characters (code points) in a UTF-8 string of len bytes. */
size_t dv_utf8_chars(const char *s, size_t len);

/* Does hay[0..hlen) contain needle[0..nlen) as plain bytes?  No wildcards. */
int dv_contains(const char *hay, size_t hlen, const char *needle, size_t nlen);

#endif

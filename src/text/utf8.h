/* utf8: decoding and validating UTF-8 one character at a time, the way Unicode §3.9 defines
 * "maximal subparts" (what gets one U+FFFD each). Pure functions; no allocation, no tables. */
#ifndef AXVK_TEXT_UTF8_H
#define AXVK_TEXT_UTF8_H

#include <stddef.h>
#include <stdint.h>

#define UTF8_REPLACEMENT "\xEF\xBF\xBD" /* U+FFFD */

/* Looks at the character starting at s[0] (n >= 1 bytes available):
 *   > 0  a valid character of that many bytes; *cp gets the code point (cp may be NULL);
 *   0    s[0..n) is a valid but unfinished start of a character: more bytes may complete it;
 *   < 0  invalid: -k bytes form the maximal ill-formed subpart, to be replaced by one U+FFFD. */
int utf8_scan(const uint8_t *s, size_t n, uint32_t *cp);

/* Length of the longest prefix of s[0..n) that is entirely valid UTF-8. */
size_t utf8_valid_prefix(const uint8_t *s, size_t n);

/* Writes cp (<= 0x10FFFF, not a surrogate) as 1-4 bytes into out; returns the length. */
int utf8_encode(uint32_t cp, uint8_t out[4]);

#endif

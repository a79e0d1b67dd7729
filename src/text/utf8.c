/* utf8: character-level UTF-8 decoding with Unicode's well-formedness table (3-7).
 * Knows nothing of tokens; callers decide what to do with invalid bytes. */
#include "text/utf8.h"

/* Second-byte range allowed after each lead byte (Table 3-7); later bytes are always 80..BF.
 * Leads C0, C1 and F5..FF never start a well-formed sequence. */
static int lead_info(uint8_t b, int *len, uint8_t *lo, uint8_t *hi)
{
    *lo = 0x80;
    *hi = 0xBF;
    if (b >= 0xC2 && b <= 0xDF)
        *len = 2;
    else if (b >= 0xE0 && b <= 0xEF) {
        *len = 3;
        if (b == 0xE0)
            *lo = 0xA0; /* no overlong forms */
        else if (b == 0xED)
            *hi = 0x9F; /* no surrogates D800..DFFF */
    } else if (b >= 0xF0 && b <= 0xF4) {
        *len = 4;
        if (b == 0xF0)
            *lo = 0x90;
        else if (b == 0xF4)
            *hi = 0x8F; /* nothing above U+10FFFF */
    } else
        return 0;
    return 1;
}

int utf8_scan(const uint8_t *s, size_t n, uint32_t *cp)
{
    uint8_t b = s[0];
    if (b < 0x80) {
        if (cp)
            *cp = b;
        return 1;
    }
    int len;
    uint8_t lo, hi;
    if (!lead_info(b, &len, &lo, &hi))
        return -1;
    uint32_t v = b & (0x7F >> len);
    for (int i = 1; i < len; i++) {
        if ((size_t)i >= n)
            return 0; /* so far so good, but cut short */
        uint8_t c = s[i];
        if (i == 1 ? (c < lo || c > hi) : (c < 0x80 || c > 0xBF))
            return -i;
        v = (v << 6) | (c & 0x3F);
    }
    if (cp)
        *cp = v;
    return len;
}

size_t utf8_valid_prefix(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        int k = utf8_scan(s + i, n - i, NULL);
        if (k <= 0)
            break;
        i += (size_t)k;
    }
    return i;
}

int utf8_encode(uint32_t cp, uint8_t out[4])
{
    if (cp < 0x80) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (uint8_t)(0xC0 | (cp >> 6));
        out[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (uint8_t)(0xE0 | (cp >> 12));
        out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (uint8_t)(0xF0 | (cp >> 18));
    out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

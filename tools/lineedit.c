/* lineedit: reads one line from a terminal in raw mode with cursor keys and history. Owns the
 * terminal only while a line is read (restored before returning); draws one row and scrolls
 * sideways when the line is wider than the terminal, so it never has to track wrapped rows. */
#include "lineedit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#define HISTORY_MAX 200

struct lineedit {
    int in, out;
    struct termios saved; /* the terminal as found, put back after each line */
    int raw;
    char **history;       /* oldest first */
    size_t n_history;
    size_t hist_idx;      /* entry shown; n_history: the line being typed */
    char *scratch;        /* the line being typed while older entries are shown */
    const char *prompt;
    char *buf;            /* the line, NUL-terminated, `len` bytes, cursor at byte `pos` */
    size_t len, cap, pos;
};

int lineedit_char_width(unsigned cp)
{
    /* combining marks, zero-width spaces, Hangul medial/final jamo, variation selectors */
    static const unsigned zero[][2] = {{0x0300, 0x036f}, {0x0483, 0x0489}, {0x0591, 0x05bd},
                                       {0x1160, 0x11ff}, {0x1ab0, 0x1aff}, {0x1dc0, 0x1dff},
                                       {0x200b, 0x200f}, {0x20d0, 0x20ff}, {0xfe00, 0xfe0f},
                                       {0xfe20, 0xfe2f}, {0xe0100, 0xe01ef}};
    /* East Asian wide and fullwidth blocks, and the emoji most terminals draw two cells wide */
    static const unsigned wide[][2] = {{0x1100, 0x115f}, {0x2e80, 0x303e}, {0x3041, 0x33ff},
                                       {0x3400, 0x4dbf}, {0x4e00, 0x9fff}, {0xa000, 0xa4cf},
                                       {0xac00, 0xd7a3}, {0xf900, 0xfaff}, {0xfe30, 0xfe4f},
                                       {0xff00, 0xff60}, {0xffe0, 0xffe6}, {0x1f1e6, 0x1f1ff},
                                       {0x1f300, 0x1f64f}, {0x1f680, 0x1f6ff}, {0x1f900, 0x1f9ff},
                                       {0x20000, 0x3fffd}};
    for (size_t i = 0; i < sizeof zero / sizeof zero[0]; i++)
        if (cp >= zero[i][0] && cp <= zero[i][1])
            return 0;
    for (size_t i = 0; i < sizeof wide / sizeof wide[0]; i++)
        if (cp >= wide[i][0] && cp <= wide[i][1])
            return 2;
    return 1;
}

struct lineedit *lineedit_create(int in_fd, int out_fd)
{
    struct lineedit *le = calloc(1, sizeof *le);
    if (!le)
        return NULL;
    le->in = in_fd;
    le->out = out_fd;
    le->cap = 256;
    if (!(le->buf = malloc(le->cap))) {
        free(le);
        return NULL;
    }
    le->buf[0] = '\0';
    return le;
}

static void raw_off(struct lineedit *le)
{
    /* TCSANOW, not TCSAFLUSH: lines typed or pasted ahead stay queued for the next read */
    if (le->raw)
        tcsetattr(le->in, TCSANOW, &le->saved);
    le->raw = 0;
}

static int raw_on(struct lineedit *le)
{
    struct termios t;
    if (tcgetattr(le->in, &le->saved))
        return -1;
    t = le->saved;
    t.c_iflag &= ~(tcflag_t)(BRKINT | ICRNL | INPCK | ISTRIP | IXON);
    t.c_cflag |= CS8;
    /* no echo, byte at a time, Ctrl-C and Ctrl-Z arrive as bytes rather than signals */
    t.c_lflag &= ~(tcflag_t)(ECHO | ICANON | IEXTEN | ISIG);
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    if (tcsetattr(le->in, TCSANOW, &t))
        return -1;
    le->raw = 1;
    return 0;
}

void lineedit_destroy(struct lineedit *le)
{
    if (!le)
        return;
    raw_off(le);
    for (size_t i = 0; i < le->n_history; i++)
        free(le->history[i]);
    free(le->history);
    free(le->scratch);
    free(le->buf);
    free(le);
}

static void put(struct lineedit *le, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(le->out, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return; /* a terminal that cannot be drawn on still gets its line read */
        s += w;
        n -= (size_t)w;
    }
}

/* 0 and the byte, or -1 at end of input or on error. */
static int get(struct lineedit *le, unsigned char *c)
{
    for (;;) {
        ssize_t r = read(le->in, c, 1);
        if (r == 1)
            return 0;
        if (r < 0 && errno == EINTR)
            continue;
        return -1;
    }
}

/* Bytes of the character starting at buf[i] (1 for a stray byte). */
static size_t char_len(const struct lineedit *le, size_t i, unsigned *cp)
{
    unsigned char c = (unsigned char)le->buf[i];
    size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    unsigned v = n == 1 ? c : c & (0x7fu >> n);
    for (size_t k = 1; k < n; k++) {
        unsigned char t = i + k < le->len ? (unsigned char)le->buf[i + k] : 0;
        if ((t & 0xc0) != 0x80) {
            *cp = 0xfffd;
            return 1;
        }
        v = v << 6 | (t & 0x3f);
    }
    *cp = v;
    return n;
}

static size_t prev_char(const struct lineedit *le, size_t i)
{
    if (i == 0)
        return 0;
    i--;
    while (i > 0 && ((unsigned char)le->buf[i] & 0xc0) == 0x80)
        i--;
    return i;
}

static int columns(const struct lineedit *le)
{
    struct winsize ws;
    if (ioctl(le->out, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 80;
}

static int width_of(const struct lineedit *le, size_t from, size_t to)
{
    int w = 0;
    unsigned cp = 0;
    for (size_t i = from; i < to; i += char_len(le, i, &cp))
        w += lineedit_char_width(cp);
    return w;
}

/* Redraws the prompt and the part of the line around the cursor that fits on one row. */
static void refresh(struct lineedit *le)
{
    int pw = (int)strlen(le->prompt), avail = columns(le) - pw - 1;
    if (avail < 1)
        avail = 1;
    size_t start = 0;
    unsigned cp = 0;
    int before = width_of(le, 0, le->pos);
    while (before > avail && start < le->pos) {
        size_t n = char_len(le, start, &cp);
        before -= lineedit_char_width(cp);
        start += n;
    }
    char *out = malloc(le->len + (size_t)pw + 32);
    if (!out)
        return;
    size_t o = 0;
    out[o++] = '\r';
    memcpy(out + o, le->prompt, (size_t)pw);
    o += (size_t)pw;
    int w = 0;
    for (size_t i = start; i < le->len;) {
        size_t n = char_len(le, i, &cp);
        int cw = lineedit_char_width(cp);
        if (w + cw > avail)
            break;
        if (le->buf[i] == '\t')
            out[o++] = ' '; /* a tab is kept in the text but drawn as one cell */
        else
            memcpy(out + o, le->buf + i, n), o += n;
        w += cw;
        i += n;
    }
    o += (size_t)sprintf(out + o, "\x1b[K\r");
    if (pw + before > 0)
        o += (size_t)sprintf(out + o, "\x1b[%dC", pw + before);
    put(le, out, o);
    free(out);
}

static int reserve(struct lineedit *le, size_t extra)
{
    if (le->len + extra + 1 <= le->cap)
        return 0;
    size_t cap = 2 * (le->len + extra + 1);
    char *grown = realloc(le->buf, cap);
    if (!grown)
        return -1;
    le->buf = grown;
    le->cap = cap;
    return 0;
}

static void insert(struct lineedit *le, const char *s, size_t n)
{
    if (reserve(le, n))
        return;
    memmove(le->buf + le->pos + n, le->buf + le->pos, le->len - le->pos + 1);
    memcpy(le->buf + le->pos, s, n);
    le->pos += n;
    le->len += n;
}

/* Removes bytes [from, to) and leaves the cursor at from. */
static void erase(struct lineedit *le, size_t from, size_t to)
{
    memmove(le->buf + from, le->buf + to, le->len - to + 1);
    le->len -= to - from;
    le->pos = from;
}

static void set_line(struct lineedit *le, const char *s)
{
    le->len = le->pos = 0;
    le->buf[0] = '\0';
    insert(le, s, strlen(s));
}

static size_t word_left(const struct lineedit *le, size_t i)
{
    while (i > 0 && le->buf[i - 1] == ' ')
        i--;
    while (i > 0 && le->buf[i - 1] != ' ')
        i--;
    return i;
}

static size_t word_right(const struct lineedit *le, size_t i)
{
    while (i < le->len && le->buf[i] == ' ')
        i++;
    while (i < le->len && le->buf[i] != ' ')
        i++;
    return i;
}

static void history_move(struct lineedit *le, int up)
{
    if (up ? le->hist_idx == 0 : le->hist_idx >= le->n_history)
        return;
    if (up && le->hist_idx == le->n_history) {
        free(le->scratch);
        if (!(le->scratch = strdup(le->buf)))
            return;
    }
    le->hist_idx += up ? (size_t)-1 : 1;
    set_line(le, le->hist_idx == le->n_history ? le->scratch : le->history[le->hist_idx]);
}

/* After ESC: CSI (ESC [ params final) and SS3 (ESC O final) keys, and Alt-b / Alt-f. */
static void escape(struct lineedit *le)
{
    unsigned char c, params[16];
    size_t np = 0;
    if (get(le, &c))
        return;
    if (c == 'b' || c == 'f') {
        le->pos = c == 'b' ? word_left(le, le->pos) : word_right(le, le->pos);
        return;
    }
    if (c != '[' && c != 'O')
        return;
    unsigned char final;
    for (;;) {
        if (get(le, &final))
            return;
        if (final >= 0x40 && final <= 0x7e)
            break;
        if (np < sizeof params)
            params[np++] = final;
    }
    int ctrl = np >= 3 && params[np - 2] == ';' && params[np - 1] == '5'; /* ESC [ 1 ; 5 D */
    int num = np ? params[0] - '0' : 0;
    unsigned cp = 0;
    switch (final) {
    case 'A': history_move(le, 1); break;
    case 'B': history_move(le, 0); break;
    case 'C':
        if (le->pos < le->len)
            le->pos = ctrl ? word_right(le, le->pos) : le->pos + char_len(le, le->pos, &cp);
        break;
    case 'D': le->pos = ctrl ? word_left(le, le->pos) : prev_char(le, le->pos); break;
    case 'H': le->pos = 0; break;
    case 'F': le->pos = le->len; break;
    case '~':
        if (num == 1 || num == 7)
            le->pos = 0;
        else if (num == 4 || num == 8)
            le->pos = le->len;
        else if (num == 3 && le->pos < le->len)
            erase(le, le->pos, le->pos + char_len(le, le->pos, &cp));
        break;
    default: break;
    }
}

/* A typed character: the lead byte c and its continuation bytes. */
static void typed(struct lineedit *le, unsigned char c)
{
    char s[4] = {(char)c};
    size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    for (size_t k = 1; k < n; k++) {
        unsigned char t;
        if (get(le, &t))
            return;
        s[k] = (char)t;
    }
    insert(le, s, n);
}

enum lineedit_result lineedit_read(struct lineedit *le, const char *prompt, char **line)
{
    *line = NULL;
    if (raw_on(le))
        return LINEEDIT_ERROR;
    le->prompt = prompt;
    le->len = le->pos = 0;
    le->buf[0] = '\0';
    le->hist_idx = le->n_history;
    refresh(le);
    enum lineedit_result result;
    for (;;) {
        unsigned char c;
        unsigned cp = 0;
        if (get(le, &c)) {
            result = LINEEDIT_EOF;
            break;
        }
        if (c == '\r' || c == '\n') {
            *line = strdup(le->buf);
            result = *line ? LINEEDIT_LINE : LINEEDIT_ERROR;
            break;
        }
        switch (c) {
        case 3: /* Ctrl-C: drop the line; on an empty one, tell the caller */
            if (le->len == 0) {
                put(le, "^C\r\n", 4);
                raw_off(le);
                return LINEEDIT_INTERRUPT;
            }
            put(le, "^C\r\n", 4);
            le->len = le->pos = 0;
            le->buf[0] = '\0';
            break;
        case 4: /* Ctrl-D: end of input on an empty line, else delete forward */
            if (le->len == 0) {
                put(le, "\r\n", 2);
                raw_off(le);
                return LINEEDIT_EOF;
            }
            if (le->pos < le->len)
                erase(le, le->pos, le->pos + char_len(le, le->pos, &cp));
            break;
        case 127:
        case 8:
            if (le->pos > 0)
                erase(le, prev_char(le, le->pos), le->pos);
            break;
        case 1: le->pos = 0; break;
        case 5: le->pos = le->len; break;
        case 2: le->pos = prev_char(le, le->pos); break;
        case 6:
            if (le->pos < le->len)
                le->pos += char_len(le, le->pos, &cp);
            break;
        case 11: erase(le, le->pos, le->len); break;
        case 21: erase(le, 0, le->pos); break;
        case 23: erase(le, word_left(le, le->pos), le->pos); break;
        case 12: put(le, "\x1b[H\x1b[2J", 7); break;
        case 16: history_move(le, 1); break;
        case 14: history_move(le, 0); break;
        case 27: escape(le); break;
        case '\t': insert(le, "\t", 1); break;
        default:
            if (c >= 32)
                typed(le, c);
            break;
        }
        refresh(le);
    }
    le->pos = le->len;
    refresh(le);
    put(le, "\r\n", 2);
    raw_off(le);
    return result;
}

void lineedit_history_add(struct lineedit *le, const char *line)
{
    if (!*line || (le->n_history && !strcmp(le->history[le->n_history - 1], line)))
        return;
    char *copy = strdup(line);
    if (!copy)
        return;
    if (le->n_history == HISTORY_MAX) {
        free(le->history[0]);
        memmove(le->history, le->history + 1, (HISTORY_MAX - 1) * sizeof *le->history);
        le->n_history--;
    } else {
        char **grown = realloc(le->history, (le->n_history + 1) * sizeof *grown);
        if (!grown) {
            free(copy);
            return;
        }
        le->history = grown;
    }
    le->history[le->n_history++] = copy;
}

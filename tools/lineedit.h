/* lineedit: a small line editor for interactive commands on a terminal (raw mode while a line is
 * read, UTF-8 aware cursor, horizontal scrolling, in-memory history). It reads only from a TTY;
 * callers read plain lines themselves when input is a pipe or a file. */
#ifndef AXVK_TOOLS_LINEEDIT_H
#define AXVK_TOOLS_LINEEDIT_H

struct lineedit;

enum lineedit_result {
    LINEEDIT_LINE = 0,      /* *line holds the text (without the newline) */
    LINEEDIT_EOF = 1,       /* Ctrl-D on an empty line */
    LINEEDIT_INTERRUPT = 2, /* Ctrl-C on an empty line */
    LINEEDIT_ERROR = 3,     /* the terminal could not be read or set (errno) */
};

/* Edits on in_fd (a TTY) and draws on out_fd. NULL when out of memory. */
struct lineedit *lineedit_create(int in_fd, int out_fd);
/* Restores the terminal if a read was interrupted; NULL is harmless. */
void lineedit_destroy(struct lineedit *le);

/* Reads one line after printing prompt (ASCII). *line is malloc'd (free()) on LINEEDIT_LINE.
 * Keys: arrows, Home/End, Delete, Backspace, Ctrl-A/E/B/F/K/U/W/L, Up/Down for history,
 * Ctrl-C clears the line (or returns LINEEDIT_INTERRUPT when it is empty). */
enum lineedit_result lineedit_read(struct lineedit *le, const char *prompt, char **line);

/* Appends a line to the history (Up recalls it); empty lines and repeats are not kept. */
void lineedit_history_add(struct lineedit *le, const char *line);

/* Display columns of one Unicode code point in a terminal: 0 (combining), 1 or 2 (wide). */
int lineedit_char_width(unsigned cp);

#endif

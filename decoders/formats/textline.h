/* Line-at-a-time reading of the core's small text formats (layout files,
 * capability files), shared so both treat long lines and a missing final
 * newline the same way.  Internal to the core. */
#ifndef NESTSCOPE_TEXTLINE_H
#define NESTSCOPE_TEXTLINE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Copies the line starting at *pos into line (at most size - 1 bytes; the
 * rest of a longer line is skipped), NUL-terminates it and moves *pos past
 * its newline.  Returns false when text is used up.
 */
bool ns_text_next_line(const char *text, size_t len, size_t *pos, char *line, size_t size);

#endif

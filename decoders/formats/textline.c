#include "formats/textline.h"

bool ns_text_next_line(const char *text, size_t len, size_t *pos, char *line, size_t size)
{
	size_t k = 0;

	if (*pos >= len)
		return false;
	while (*pos < len && text[*pos] != '\n') {
		if (k < size - 1)
			line[k++] = text[*pos];
		(*pos)++;
	}
	(*pos)++;
	line[k] = '\0';
	return true;
}

/*
 * Input files, opened once.  A regular file is used as it is.  Standard
 * input ("-"), a pipe, a FIFO or a socket can be read only once, so it is
 * read once, into an unlinked temporary file that every later reader seeks
 * in; a gzip'ed input is inflated the same way, a window at a time.  Those
 * temporary files are sparse (a run of zero pages is a hole, so a stream of
 * zeros costs no disk) and bounded (NESTSCOPE_SPOOL_MAX bytes, 64 GiB by
 * default).  Devices and directories are refused: nestscope reads files.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "sources.h"

#define SPOOL_MAX_DEFAULT (64ull << 30)
#define CHUNK (1u << 20)
#define PAGE 4096u

uint64_t ns_spool_max(void)
{
	const char *s = getenv("NESTSCOPE_SPOOL_MAX");
	char *end;
	unsigned long long v;

	if (!s || !*s)
		return SPOOL_MAX_DEFAULT;
	v = strtoull(s, &end, 0);
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	}
	return *end || !v ? SPOOL_MAX_DEFAULT : v;
}

bool ns_pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = pread(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return true;
}

/* read(2) until len bytes or the end; the count, or -1 */
static ssize_t read_some(int fd, uint8_t *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static const char *tmp_dir(void)
{
	const char *t = getenv("TMPDIR");

	return t && *t ? t : "/tmp";
}

/* An unlinked temporary file, read-write. */
static int tmp_file(const char *why, const char *name, struct ns_error *err)
{
	const char *dir = tmp_dir();
	char path[4096];
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd >= 0)
		return fd;
	/* file systems without O_TMPFILE */
	snprintf(path, sizeof(path), "%s/nestscope-XXXXXX", dir);
	if ((fd = mkstemp(path)) >= 0) {
		unlink(path);
		return fd;
	}
	return ns_fail(err, NS_ERR_IO, "%s: cannot make a temporary file in %s to %s it (%s): set TMPDIR", name, dir,
		       why, strerror(errno));
}

/* A sparse writer: zero pages become holes; the size is set at the end. */
struct sparse_out {
	int fd;
	uint64_t off, max;
	const char *name, *why;
};

static bool all_zero(const uint8_t *p, size_t n)
{
	return n == 0 || (p[0] == 0 && !memcmp(p, p + 1, n - 1));
}

static int sparse_write(struct sparse_out *o, const uint8_t *buf, size_t len, struct ns_error *err)
{
	if (o->off + len > o->max || o->off + len < o->off)
		return ns_fail(err, NS_ERR_FORMAT, !strcmp(o->why, "inflate") ?
			       "%s: inflates to more than %llu bytes (a gzip bomb?): NESTSCOPE_SPOOL_MAX raises the bound" :
			       "%s: more than %llu bytes from a stream: give it as a file, or raise NESTSCOPE_SPOOL_MAX",
			       o->name, (unsigned long long)o->max);
	while (len) {
		/* up to the next page boundary of the output, so holes are page-aligned */
		size_t n = PAGE - (size_t)(o->off % PAGE);

		if (n > len)
			n = len;
		if (!all_zero(buf, n)) {
			size_t done = 0;

			while (done < n) {
				ssize_t w = pwrite(o->fd, buf + done, n - done, (off_t)(o->off + done));

				if (w < 0 && errno == EINTR)
					continue;
				if (w <= 0)
					return ns_fail(err, NS_ERR_IO, "%s: cannot write the temporary file in %s to %s it "
						       "(%s, %llu bytes so far): set TMPDIR to a larger file system", o->name,
						       tmp_dir(), o->why, w < 0 ? strerror(errno) : "no progress",
						       (unsigned long long)o->off);
				done += (size_t)w;
			}
		}
		o->off += n;
		buf += n;
		len -= n;
	}
	return NS_OK;
}

static int sparse_finish(struct sparse_out *o, struct ns_error *err)
{
	if (ftruncate(o->fd, (off_t)o->off))
		return ns_fail(err, NS_ERR_IO, "%s: cannot size the temporary file to %s it: %s", o->name, o->why,
			       strerror(errno));
	return NS_OK;
}

/* Reads a stream once into a temporary file. */
static int spool(int in, const char *name, int *out, uint64_t *size, struct ns_error *err)
{
	struct sparse_out o = { -1, 0, ns_spool_max(), name, "hold" };
	uint8_t *buf = malloc(CHUNK);
	ssize_t n;
	int rc = NS_OK;

	if (!buf)
		return ns_fail(err, NS_ERR_NOMEM, "out of memory");
	if ((o.fd = tmp_file("hold", name, err)) < 0) {
		free(buf);
		return err->code;
	}
	while ((n = read_some(in, buf, CHUNK)) > 0)
		if ((rc = sparse_write(&o, buf, (size_t)n, err)))
			break;
	if (!rc && n < 0)
		rc = ns_fail(err, NS_ERR_IO, "%s: read failed after %llu bytes: %s", name, (unsigned long long)o.off,
			     strerror(errno));
	if (!rc)
		rc = sparse_finish(&o, err);
	free(buf);
	if (rc) {
		close(o.fd);
		return rc;
	}
	*out = o.fd;
	*size = o.off;
	return NS_OK;
}

static const char *file_kind(mode_t m)
{
	return S_ISDIR(m) ? "a directory" : S_ISCHR(m) ? "a character device" : S_ISBLK(m) ? "a block device" :
	       "not a regular file";
}

int ns_input_open(const char *path, struct ns_input *in, struct ns_error *err)
{
	struct stat st;
	int fd;

	memset(in, 0, sizeof(*in));
	in->fd = -1;
	in->name = strcmp(path, "-") ? path : "standard input";
	if (!strcmp(path, "-")) {
		if ((fd = dup(0)) < 0)
			return ns_fail(err, NS_ERR_IO, "cannot read standard input: %s", strerror(errno));
	} else if ((fd = open(path, O_RDONLY | O_CLOEXEC | (stat(path, &st) == 0 && S_ISFIFO(st.st_mode) ? 0 : O_NONBLOCK))) <
		   0) {
		/* a FIFO waits for its writer, as cat(1) does; a device never blocks the open */
		return ns_fail(err, NS_ERR_IO, "cannot open %s: %s", path, strerror(errno));
	}
	if (fstat(fd, &st)) {
		int e = errno;

		close(fd);
		return ns_fail(err, NS_ERR_IO, "cannot stat %s: %s", in->name, strerror(e));
	}
	if (S_ISREG(st.st_mode)) {
		in->fd = fd;
		in->size = (uint64_t)st.st_size;
	} else if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) {
		int rc;

		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
		rc = spool(fd, in->name, &in->fd, &in->size, err);
		close(fd);
		if (rc)
			return rc;
		in->spooled = true;
	} else {
		close(fd);
		return ns_fail(err, NS_ERR_IO, "%s is %s: nestscope reads files, pipes and standard input, not %s",
			       in->name, file_kind(st.st_mode), S_ISDIR(st.st_mode) ? "directories" : "devices");
	}
	return NS_OK;
}

void ns_input_close(struct ns_input *in)
{
	if (in->fd >= 0)
		close(in->fd);
	in->fd = -1;
}

bool ns_is_gzip(const uint8_t *head, size_t n)
{
	return n >= 3 && head[0] == 0x1f && head[1] == 0x8b && head[2] == 8;
}

int ns_input_gunzip(struct ns_input *in, struct ns_error *err)
{
	struct sparse_out o = { -1, 0, ns_spool_max(), in->name, "inflate" };
	uint8_t *ibuf = malloc(CHUNK), *obuf = malloc(CHUNK);
	uint64_t pos = 0;          /* bytes of the gzip file given to zlib */
	z_stream z;
	int zr = Z_OK, rc = NS_OK;
	bool in_member = false, more_out = false;

	memset(&z, 0, sizeof(z));
	if (!ibuf || !obuf || inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
		free(ibuf);
		free(obuf);
		return ns_fail(err, NS_ERR_NOMEM, "out of memory");
	}
	if ((o.fd = tmp_file("inflate", in->name, err)) < 0) {
		rc = err->code;
		goto out;
	}
	for (;;) {
		/* inflate may hold output back when it filled the buffer: ask again before reading more */
		if (z.avail_in == 0 && !more_out) {
			size_t want = in->size - pos < CHUNK ? (size_t)(in->size - pos) : CHUNK;

			if (!want)
				break;
			if (!ns_pread_full(in->fd, ibuf, want, pos)) {
				rc = ns_fail(err, NS_ERR_IO, "%s: read failed at byte %llu", in->name, (unsigned long long)pos);
				goto out;
			}
			z.next_in = ibuf;
			z.avail_in = (uInt)want;
			pos += want;
		}
		if (!in_member) {
			/* a member starts here: more gzip data, or trailing bytes gzip(1) too ignores */
			while (z.avail_in < 2 && pos < in->size) {
				memmove(ibuf, z.next_in, z.avail_in);
				if (!ns_pread_full(in->fd, ibuf + z.avail_in, 1, pos)) {
					rc = ns_fail(err, NS_ERR_IO, "%s: read failed at byte %llu", in->name,
						     (unsigned long long)pos);
					goto out;
				}
				z.next_in = ibuf;
				z.avail_in++;
				pos++;
			}
			if (z.avail_in < 2 || z.next_in[0] != 0x1f || z.next_in[1] != 0x8b) {
				if (o.off)
					break;
				rc = ns_fail(err, NS_ERR_FORMAT, "%s: not gzip data", in->name);
				goto out;
			}
			inflateReset(&z);
			in_member = true;
		}
		z.next_out = obuf;
		z.avail_out = CHUNK;
		zr = inflate(&z, Z_NO_FLUSH);
		if (zr == Z_NEED_DICT || zr == Z_DATA_ERROR || zr == Z_MEM_ERROR || zr == Z_STREAM_ERROR) {
			rc = ns_fail(err, zr == Z_MEM_ERROR ? NS_ERR_NOMEM : NS_ERR_FORMAT,
				     "%s: corrupt gzip data near byte %llu of %llu: %s", in->name,
				     (unsigned long long)(pos - z.avail_in), (unsigned long long)in->size,
				     z.msg ? z.msg : "zlib error");
			goto out;
		}
		if ((rc = sparse_write(&o, obuf, CHUNK - z.avail_out, err)))
			goto out;
		more_out = zr != Z_STREAM_END && z.avail_out == 0;
		if (zr == Z_STREAM_END)
			in_member = false;
		else if (zr == Z_BUF_ERROR && z.avail_in == 0 && pos == in->size)
			break;
	}
	if (in_member) {
		rc = ns_fail(err, NS_ERR_TRUNCATED,
			     "%s: gzip data cut at byte %llu, before the end of its stream (%llu bytes inflated): truncated",
			     in->name, (unsigned long long)in->size, (unsigned long long)o.off);
		goto out;
	}
	if ((rc = sparse_finish(&o, err)))
		goto out;
	if (!o.off) {
		rc = ns_fail(err, NS_ERR_FORMAT, "%s: the gzip data inflates to nothing", in->name);
		goto out;
	}
	close(in->fd);
	in->fd = o.fd;
	in->size = o.off;
	in->inflated = true;
	o.fd = -1;
out:
	if (o.fd >= 0)
		close(o.fd);
	inflateEnd(&z);
	free(ibuf);
	free(obuf);
	return rc;
}

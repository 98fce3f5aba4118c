/* fuzz_audio.c — libFuzzer harness: any bytes as an audio file through
 * dtmf_detect_file (libsndfile's reader, our resampler for any sample rate
 * and channel count, the detector), and the first bytes as raw 8 kHz samples
 * through dtmf_detect_buf.
 *
 * The property is the project's rule for bad input: never crash, hang or
 * leak, whatever the bytes.  The file lives in a memfd, so no disk is
 * touched.  Built and run by tests/fuzz/run.sh SECONDS audio.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "tierline/dtmf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	dtmf_hit *hits = NULL;
	int n = 0;
	int fd = memfd_create("fuzz.wav", 0);
	if (fd < 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	if (dtmf_detect_file(path, &hits, &n, err, sizeof err) == 0)
		free(hits);
	close(fd);

	/* The same bytes as samples (whole ones only). */
	size_t ns = size / sizeof(int16_t);
	int16_t *s = ns ? malloc(ns * sizeof *s) : NULL;
	if (s)
		memcpy(s, data, ns * sizeof *s);
	hits = NULL;
	n = 0;
	if (dtmf_detect_buf(s, ns, &hits, &n, err, sizeof err) == 0)
		free(hits);
	free(s);
	return 0;
}

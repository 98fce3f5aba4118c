/*
 * bench_dtmf.c — DTMF detection speed in multiples of real time (seconds of
 * audio per CPU second): 8 kHz buffers straight into the detector, and a
 * 44.1 kHz stereo WAV through libsndfile and the resampler.
 *   build/bench/bench_dtmf [seconds of audio, default 600]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sndfile.h>
#include "tierline/dtmf.h"

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	int secs = argc > 1 ? atoi(argv[1]) : 600;
	if (secs < 1)
		secs = 1;
	/* A realistic call: keys every 2 s over low noise. */
	size_t n = (size_t)secs * DTMF_RATE;
	int16_t *b = calloc(n, sizeof *b);
	if (!b)
		return 1;
	uint32_t seed = 1;
	dtmf_add_noise(b, n, -50, &seed);
	const char *keys = "0123456789*#ABCD";
	int placed = 0;
	for (size_t at = DTMF_RATE; at + 800 < n; at += 2 * DTMF_RATE, placed++) {
		double lo, hi;
		dtmf_key_freqs(keys[placed % 16], &lo, &hi);
		dtmf_add_sine(b + at, 800, DTMF_RATE, lo, -15);
		dtmf_add_sine(b + at, 800, DTMF_RATE, hi, -15);
	}
	dtmf_hit *h = NULL;
	int nh = 0;
	char err[256] = "";
	double t0 = cpu_now();
	if (dtmf_detect_buf(b, n, &h, &nh, err, sizeof err) < 0) {
		fprintf(stderr, "bench_dtmf: %s\n", err);
		return 1;
	}
	double t = cpu_now() - t0;
	printf("dtmf detect 8 kHz buffer: %d s audio, %d/%d keys, %.3f s CPU, %.0fx real time\n",
	       secs, nh, placed, t, secs / t);
	free(h);

	/* The same through a 44.1 kHz stereo 16-bit WAV file. */
	char path[] = "/tmp/bench_dtmf.XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return 1;
	close(fd);
	int fsecs = secs < 120 ? secs : 120;
	size_t fn = (size_t)fsecs * 44100;
	short *st = calloc(fn * 2, sizeof *st);
	int16_t *m = calloc(fn, sizeof *m);
	if (!st || !m)
		return 1;
	for (size_t at = 44100; at + 4410 < fn; at += 2 * 44100) {
		dtmf_add_sine(m + at, 4410, 44100, 770, -15);
		dtmf_add_sine(m + at, 4410, 44100, 1477, -15);
	}
	for (size_t i = 0; i < fn; i++)
		st[2 * i] = st[2 * i + 1] = m[i];
	SF_INFO info = { .samplerate = 44100, .channels = 2, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16 };
	SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
	if (!sf)
		return 1;
	sf_writef_short(sf, st, (sf_count_t)fn);
	sf_close(sf);
	t0 = cpu_now();
	if (dtmf_detect_file(path, &h, &nh, err, sizeof err) < 0) {
		fprintf(stderr, "bench_dtmf: %s\n", err);
		return 1;
	}
	t = cpu_now() - t0;
	printf("dtmf detect 44.1 kHz stereo WAV: %d s audio, %d keys, %.3f s CPU, %.0fx real time\n",
	       fsecs, nh, t, fsecs / t);
	free(h);
	unlink(path);
	free(st);
	free(m);
	free(b);
	return 0;
}

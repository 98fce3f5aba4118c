/*
 * dtmf.c — DTMF detection on spandsp's dtmf_rx, and DTMF generation.
 *
 * Detection.  spandsp 0.0.6 runs eight Goertzel filters over 102-sample
 * blocks (12.75 ms at 8 kHz) and declares a key on after two agreeing blocks
 * and off after two that disagree.  We hand it exactly one block per call, so
 * its real-time callback fires at a known sample position: the end of that
 * block.  (The real-time callback disables spandsp's digit buffer, which is
 * fine: the callback carries both edges and the digit buffer has no times.)
 * The reported edges lag the true ones by a roughly constant amount, measured
 * with generated tones over all block phases (tests/unit/test_dtmf.c) and
 * subtracted here: DTMF_ON_LAG / DTMF_OFF_LAG.
 *
 * Twist limits are widened with dtmf_rx_parms(s, -1, 9, 5, -99): spandsp's
 * "twist" is how far the low group may exceed the high one (default 8 dB) and
 * "reverse twist" the other way (default 4 dB); those sit exactly on Q.24's
 * +4/-8 dB edges, so a tone on the edge was a coin toss.  9/5 leaves 1 dB
 * margin and shows no talk-off in the tests.
 *
 * spandsp splits a key on a 10 ms drop-out (two bad blocks are enough), so
 * segments of the same key separated by at most DTMF_MERGE_GAP_MS (as
 * reported, i.e. before lag correction) are joined; a real pause of 40 ms or
 * more shows as a reported gap of about 38 ms or more.
 * A 23 ms tone can still straddle two blocks well enough to be reported, so
 * keys shorter than DTMF_MIN_TONE_MS after correction are dropped.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "tierline/audiolib.h"
#include "tierline/dtmf.h"

#define DTMF_BLOCK     102           /* spandsp's Goertzel block, samples */
/* Measured lag of spandsp's reported edges behind the true ones, samples:
 * the fallback when an edge cannot be refined. */
#define DTMF_ON_LAG    240
#define DTMF_OFF_LAG   176
#define RING           2048          /* recent audio kept for edge refinement */
#define ENV_N          DTMF_BLOCK    /* refinement window, samples */
#ifndef DTMF_TWIST_NORMAL
#define DTMF_TWIST_NORMAL   10  /* low group may exceed high by this, dB */
#endif
#ifndef DTMF_TWIST_REVERSE
#define DTMF_TWIST_REVERSE  5   /* high group may exceed low by this, dB */
#endif
#define MS_TO_SAMPLES(ms) ((int64_t)(ms) * DTMF_RATE / 1000)

struct dtmf_det {
	alib_dsp dsp;
	dtmf_rx_state_t *rx;
	int16_t ring[RING];   /* sample k at ring[k % RING], k < pos */
	int16_t blk[DTMF_BLOCK];
	int nblk;
	int64_t pos;        /* samples handed to spandsp */
	int64_t fed;        /* samples fed by the caller (pos + nblk, less padding) */
	char cur;           /* key spandsp says is on, 0 for none */
	bool cur_bad;       /* ... but its frequencies are too far off */
	int64_t cur_on;     /* its refined onset, samples */
	bool pend;          /* a finished segment waiting to see whether it merges */
	char pkey;
	int64_t pon, poff;  /* its refined edges, samples */
	float env[2][1024]; /* scratch for edge refinement */
	dtmf_hit *hits;
	int n, cap;
	bool oom;
	bool finished;
};

static int64_t samples_to_ms(int64_t s)
{
	/* round to nearest; s may be negative before clamping */
	return s >= 0 ? (s * 1000 + DTMF_RATE / 2) / DTMF_RATE
	              : -((-s * 1000 + DTMF_RATE / 2) / DTMF_RATE);
}

/* ---- edge refinement ------------------------------------------------------
 * spandsp only knows edges to a 12.75 ms block.  Around a reported edge we
 * track the magnitude of a sliding 102-sample DFT bin at each of the key's two
 * frequencies, normalise each by its peak in the region, and find where their
 * mean crosses one half: a window of N samples is half full of tone N/2
 * samples after the edge.  That puts edges within about a millisecond of the
 * truth, which the Q.24 timing rules (reject <= 23 ms, accept >= 40 ms, merge
 * drop-outs, split on 40 ms pauses) need and block resolution cannot give. */

static double ring_at(const dtmf_det *d, int64_t k)
{
	if (k < 0 || k < d->pos - RING || k >= d->pos)
		return 0.0;
	return d->ring[k % RING];
}

/* Mean normalised envelope of the key's tones at t in [a, b), into c[]. */
static int edge_env(dtmf_det *d, char key, int64_t a, int64_t b, float *c)
{
	double f[2];
	if (dtmf_key_freqs(key, &f[0], &f[1]) < 0 || b - a > 1024 || b <= a)
		return -1;
	int len = (int)(b - a);
	for (int g = 0; g < 2; g++) {
		double w = 2.0 * M_PI * f[g] / DTMF_RATE, re = 0.0, im = 0.0, peak = 0.0;
		float *e = d->env[g];
		for (int64_t k = a - ENV_N + 1; k <= a; k++) {
			double x = ring_at(d, k), ph = w * (double)(k - a);
			re += x * cos(ph);
			im -= x * sin(ph);
		}
		for (int i = 0; i < len; i++) {
			if (i > 0) {
				int64_t t = a + i, o = t - ENV_N;
				double x = ring_at(d, t), xo = ring_at(d, o);
				double pt = w * (double)(t - a), po = w * (double)(o - a);
				re += x * cos(pt) - xo * cos(po);
				im -= x * sin(pt) - xo * sin(po);
			}
			e[i] = (float)sqrt(re * re + im * im);
			if (e[i] > peak)
				peak = e[i];
		}
		if (peak <= 0.0)
			return -1;
		for (int i = 0; i < len; i++)
			e[i] = (float)(e[i] / peak);
	}
	for (int i = 0; i < len; i++)
		c[i] = 0.5f * (d->env[0][i] + d->env[1][i]);
	return 0;
}

/* Onset of key reported at block end t_rep: scan back from the end (inside the
 * tone) to where the envelope last rose through one half. */
static int64_t refine_on(dtmf_det *d, char key, int64_t t_rep)
{
	int64_t coarse = t_rep - DTMF_ON_LAG;
	int64_t a = t_rep - MS_TO_SAMPLES(60), b = t_rep;
	float c[1024];
	if (edge_env(d, key, a, b, c) < 0)
		return coarse;
	int i = (int)(b - a) - 1;
	if (c[i] < 0.5f)
		return coarse;
	while (i > 0 && c[i - 1] >= 0.5f)
		i--;
	if (i == 0)
		return coarse;
	double x = (i - 1) + (0.5 - c[i - 1]) / (c[i] - c[i - 1]);
	int64_t on = a + (int64_t)lrint(x - ENV_N / 2.0 + 1.0);
	return llabs(on - coarse) <= MS_TO_SAMPLES(20) ? on : coarse;
}

/* End of key whose end spandsp reported at t_rep: scan back from t_rep
 * (after the tone) to where the envelope last fell through one half. */
static int64_t refine_off(dtmf_det *d, char key, int64_t t_rep)
{
	int64_t coarse = t_rep - DTMF_OFF_LAG;
	int64_t a = t_rep - MS_TO_SAMPLES(80), b = t_rep;
	float c[1024];
	if (edge_env(d, key, a, b, c) < 0)
		return coarse;
	int i = (int)(b - a) - 1;
	if (c[i] >= 0.5f)
		return coarse;
	while (i > 0 && c[i - 1] < 0.5f)
		i--;
	if (i == 0)
		return coarse;
	double x = (i - 1) + (c[i - 1] - 0.5) / (c[i - 1] - c[i]);
	int64_t off = a + (int64_t)lrint(x - ENV_N / 2.0 + 1.0);
	return llabs(off - coarse) <= MS_TO_SAMPLES(20) ? off : coarse;
}

/* ---- frequency check -------------------------------------------------------
 * spandsp's 102-sample Goertzel bins are ~78 Hz wide, so a low-group tone
 * 3.5 % off (24 Hz at 697 Hz) still passes when the other tone is exact, and
 * Q.24 says it must not.  So each key is checked once, from the samples
 * between its refined onset and spandsp's report: the phase advance of
 * Hann-windowed 64-sample DFTs at each nominal frequency, 32 samples apart,
 * gives each tone's actual frequency (unambiguous to +-125 Hz), and a tone
 * more than DTMF_FREQ_TOL off is not DTMF. */

#define FQ_M 64
#define FQ_H 32
#define DTMF_FREQ_TOL 0.025   /* halfway between Q.24's 1.5 % and 3.5 % */

static bool freq_ok(const dtmf_det *d, char key, int64_t a, int64_t b)
{
	double f[2];
	if (dtmf_key_freqs(key, &f[0], &f[1]) < 0)
		return false;
	int nwin = (int)((b - a - FQ_M) / FQ_H) + 1;
	if (nwin < 3)
		return true;          /* too little to judge: trust spandsp */
	for (int g = 0; g < 2; g++) {
		double w = 2.0 * M_PI * f[g] / DTMF_RATE;
		double pr = 0.0, pi = 0.0, lr = 0.0, li = 0.0;
		for (int k = 0; k < nwin; k++) {
			double sr = 0.0, si = 0.0;
			for (int i = 0; i < FQ_M; i++) {
				int64_t n = a + (int64_t)k * FQ_H + i;
				double hann = 0.5 - 0.5 * cos(2.0 * M_PI * (i + 0.5) / FQ_M);
				double x = hann * ring_at(d, n), ph = w * (double)(n - a);
				sr += x * cos(ph);
				si -= x * sin(ph);
			}
			if (k > 0) {   /* accumulate S_k * conj(S_k-1) */
				pr += sr * lr + si * li;
				pi += si * lr - sr * li;
			}
			lr = sr;
			li = si;
		}
		double df = atan2(pi, pr) * DTMF_RATE / (2.0 * M_PI * FQ_H);
		if (fabs(df) > DTMF_FREQ_TOL * f[g])
			return false;
	}
	return true;
}

/* ---- segments and keys ----------------------------------------------------- */

static void det_emit(dtmf_det *d)
{
	if (!d->pend)
		return;
	d->pend = false;
	int64_t on = d->pon, off = d->poff;
	if (on < 0)
		on = 0;
	if (off > d->fed)
		off = d->fed;
	if (off - on < MS_TO_SAMPLES(DTMF_MIN_TONE_MS))
		return;
	if (d->n == d->cap) {
		int cap = d->cap ? d->cap * 2 : 16;
		dtmf_hit *h = realloc(d->hits, (size_t)cap * sizeof *h);
		if (!h) {
			d->oom = true;
			return;
		}
		d->hits = h;
		d->cap = cap;
	}
	d->hits[d->n++] = (dtmf_hit){ .key = d->pkey,
	                              .on_ms = samples_to_ms(on),
	                              .off_ms = samples_to_ms(off) };
}

/* A segment as spandsp reported it ended: merge it or start a new key. */
static void det_segment(dtmf_det *d, char key, int64_t on, int64_t off)
{
	if (d->pend && d->pkey == key && on - d->poff <= MS_TO_SAMPLES(DTMF_MERGE_GAP_MS)) {
		d->poff = off;
		return;
	}
	det_emit(d);
	d->pend = true;
	d->pkey = key;
	d->pon = on;
	d->poff = off;
}

static void det_report(void *user, int code, int level, int delay)
{
	(void)level;
	(void)delay;
	dtmf_det *d = user;
	int64_t at = d->pos;   /* the callback fires at the end of the block just fed */
	if (d->cur && code != d->cur && !d->cur_bad)
		det_segment(d, d->cur, d->cur_on, refine_off(d, d->cur, at));
	if (code > 0 && code != d->cur) {
		d->cur = (char)code;
		d->cur_on = refine_on(d, d->cur, at);
		d->cur_bad = !freq_ok(d, d->cur, d->cur_on + MS_TO_SAMPLES(2), at);
	} else if (code <= 0) {
		d->cur = 0;
	}
}

dtmf_det *dtmf_det_new(char *err, size_t errlen)
{
	dtmf_det *d = calloc(1, sizeof *d);
	if (!d) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (alib_dsp_open(&d->dsp, err, errlen) < 0) {
		free(d);
		return NULL;
	}
	d->rx = d->dsp.rx_init(NULL, NULL, NULL);
	if (!d->rx) {
		snprintf(err, errlen, "out of memory");
		alib_dsp_close(&d->dsp);
		free(d);
		return NULL;
	}
	d->dsp.rx_set_realtime_callback(d->rx, det_report, d);
	d->dsp.rx_parms(d->rx, -1, DTMF_TWIST_NORMAL, DTMF_TWIST_REVERSE, -99);
	return d;
}

void dtmf_det_free(dtmf_det *d)
{
	if (!d)
		return;
	if (d->rx)
		d->dsp.rx_free(d->rx);
	alib_dsp_close(&d->dsp);
	free(d->hits);
	free(d);
}

static void det_block(dtmf_det *d)
{
	for (int i = 0; i < DTMF_BLOCK; i++)
		d->ring[(d->pos + i) % RING] = d->blk[i];
	d->pos += DTMF_BLOCK;      /* before dtmf_rx: the callback reads it */
	d->dsp.rx(d->rx, d->blk, DTMF_BLOCK);
	d->nblk = 0;
	/* A pending key is final once the same key can no longer come back
	 * within the merge gap: spandsp reports an onset at most about 40 ms
	 * after it, so a merge gap plus 50 ms of quiet settles it. */
	if (d->pend) {
		int64_t g = MS_TO_SAMPLES(DTMF_MERGE_GAP_MS);
		bool may_merge = d->cur ? (d->cur == d->pkey && d->cur_on - d->poff <= g)
		                        : d->pos - d->poff <= g + MS_TO_SAMPLES(50);
		if (!may_merge)
			det_emit(d);
	}
}

int dtmf_det_feed(dtmf_det *d, const int16_t *x, size_t n, char *err, size_t errlen)
{
	if (d->finished) {
		snprintf(err, errlen, "DTMF detector already finished");
		return -1;
	}
	while (n) {
		size_t k = (size_t)(DTMF_BLOCK - d->nblk);
		if (k > n)
			k = n;
		memcpy(d->blk + d->nblk, x, k * sizeof *x);
		d->nblk += (int)k;
		d->fed += (int64_t)k;
		x += k;
		n -= k;
		if (d->nblk == DTMF_BLOCK)
			det_block(d);
	}
	if (d->oom) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

int dtmf_det_finish(dtmf_det *d, char *err, size_t errlen)
{
	if (d->finished)
		return 0;
	/* Pad the last block and run enough silence for spandsp to end a key
	 * that lasts to the end of the audio; positions past the end are
	 * clamped to it in det_emit. */
	if (d->nblk) {
		memset(d->blk + d->nblk, 0, (size_t)(DTMF_BLOCK - d->nblk) * sizeof d->blk[0]);
		det_block(d);
	}
	for (int i = 0; i < 4; i++) {
		memset(d->blk, 0, sizeof d->blk);
		det_block(d);
	}
	if (d->cur && !d->cur_bad)
		det_segment(d, d->cur, d->cur_on, refine_off(d, d->cur, d->pos));
	d->cur = 0;
	det_emit(d);
	d->finished = true;
	if (d->oom) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

void dtmf_det_take(dtmf_det *d, dtmf_hit **hits, int *nhits)
{
	*hits = d->n ? d->hits : NULL;
	*nhits = d->n;
	if (!d->n)
		free(d->hits);
	d->hits = NULL;
	d->n = d->cap = 0;
}

int dtmf_detect_buf(const int16_t *samples, size_t n, dtmf_hit **hits,
                    int *nhits, char *err, size_t errlen)
{
	*hits = NULL;
	*nhits = 0;
	dtmf_det *d = dtmf_det_new(err, errlen);
	if (!d)
		return -1;
	int rc = dtmf_det_feed(d, samples, n, err, errlen);
	if (rc == 0)
		rc = dtmf_det_finish(d, err, errlen);
	if (rc == 0)
		dtmf_det_take(d, hits, nhits);
	dtmf_det_free(d);
	return rc;
}

/* ---- files ---------------------------------------------------------------- */

#define READ_FRAMES 2048

typedef struct file_ctx {
	dtmf_det *det;
	int16_t pcm[READ_FRAMES > 512 ? READ_FRAMES : 512];
	char *err;
	size_t errlen;
} file_ctx;

static int16_t to_pcm16(float v)
{
	if (!(v == v))          /* NaN in a float file */
		return 0;
	double s = (double)v * 32768.0;
	if (s >= 32767.0)
		return 32767;
	if (s <= -32768.0)
		return -32768;
	return (int16_t)lrint(s);
}

static int feed_float(void *user, const float *x, size_t n)
{
	file_ctx *c = user;
	for (size_t i = 0; i < n; i++)
		c->pcm[i] = to_pcm16(x[i]);
	return dtmf_det_feed(c->det, c->pcm, n, c->err, c->errlen);
}

int dtmf_detect_file(const char *path, dtmf_hit **hits, int *nhits,
                     char *err, size_t errlen)
{
	*hits = NULL;
	*nhits = 0;
	if (errlen)
		err[0] = '\0';
	struct stat st;
	if (stat(path, &st) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: is a directory", path);
		return -1;
	}
	alib_sf lib;
	if (alib_sf_open(&lib, err, errlen) < 0)
		return -1;
	SF_INFO info;
	memset(&info, 0, sizeof info);
	SNDFILE *sf = lib.open(path, SFM_READ, &info);
	if (!sf) {
		snprintf(err, errlen, "%s: %s", path, lib.strerror(NULL));
		alib_sf_close(&lib);
		return -1;
	}
	int rc = -1;
	float *frames = NULL, *mono = NULL;
	dtmf_rs *rs = NULL;
	file_ctx *c = calloc(1, sizeof *c);
	if (info.samplerate <= 0 || info.samplerate > 1000000) {
		snprintf(err, errlen, "%s: bad sample rate %d Hz", path, info.samplerate);
		goto out;
	}
	if (info.channels <= 0 || info.channels > 256) {
		snprintf(err, errlen, "%s: bad channel count %d", path, info.channels);
		goto out;
	}
	frames = malloc((size_t)READ_FRAMES * (size_t)info.channels * sizeof *frames);
	mono = malloc(READ_FRAMES * sizeof *mono);
	if (!c || !frames || !mono) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (!(c->det = dtmf_det_new(err, errlen)))
		goto out;
	c->err = err;
	c->errlen = errlen;
	if (info.samplerate != DTMF_RATE && !(rs = dtmf_rs_new(info.samplerate, err, errlen)))
		goto out;
	for (;;) {
		sf_count_t got = lib.readf_float(sf, frames, READ_FRAMES);
		if (got <= 0)
			break;
		/* Mix down: the mean of the channels.  A key on one channel of a
		 * two-channel call recording ends up 6 dB lower, well inside the
		 * detector's range. */
		for (sf_count_t i = 0; i < got; i++) {
			float s = 0.0f;
			for (int ch = 0; ch < info.channels; ch++)
				s += frames[i * info.channels + ch];
			mono[i] = s / (float)info.channels;
		}
		int r = rs ? dtmf_rs_push(rs, mono, (size_t)got, false, feed_float, c)
		           : feed_float(c, mono, (size_t)got);
		if (r < 0) {
			if (!err[0])
				snprintf(err, errlen, "out of memory");
			goto out;
		}
	}
	if (lib.error(sf) != SF_ERR_NO_ERROR) {
		snprintf(err, errlen, "%s: %s", path, lib.strerror(sf));
		goto out;
	}
	if (rs && dtmf_rs_push(rs, NULL, 0, true, feed_float, c) < 0) {
		if (!err[0])
			snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (dtmf_det_finish(c->det, err, errlen) < 0)
		goto out;
	dtmf_det_take(c->det, hits, nhits);
	rc = 0;
out:
	if (c)
		dtmf_det_free(c->det);
	free(c);
	dtmf_rs_free(rs);
	free(frames);
	free(mono);
	lib.close(sf);
	alib_sf_close(&lib);
	return rc;
}

/* ---- generation ------------------------------------------------------------ */

#define PAUSE_MS      500
#define MAX_GEN_MS    (3600LL * 1000)   /* an hour of audio is plenty */

int dtmf_key_freqs(char c, double *low_hz, double *high_hz)
{
	static const char keys[] = "123A456B789C*0#D";
	static const double lo[4] = { 697.0, 770.0, 852.0, 941.0 };
	static const double hi[4] = { 1209.0, 1336.0, 1477.0, 1633.0 };
	if (c >= 'a' && c <= 'd')
		c = (char)(c - 'a' + 'A');
	const char *p = c ? strchr(keys, c) : NULL;
	if (!p)
		return -1;
	int i = (int)(p - keys);
	*low_hz = lo[i / 4];
	*high_hz = hi[i % 4];
	return 0;
}

double dtmf_dbm0_amp(double dbm0)
{
	/* spandsp (and G.711): a full-scale sine is +3.14 dBm0. */
	return 32767.0 * pow(10.0, (dbm0 - 3.14) / 20.0);
}

static int16_t sat16(double v)
{
	if (v >= 32767.0)
		return 32767;
	if (v <= -32768.0)
		return -32768;
	return (int16_t)lrint(v);
}

void dtmf_add_sine(int16_t *buf, size_t n, int rate, double freq_hz, double dbm0)
{
	double a = dtmf_dbm0_amp(dbm0), w = 2.0 * M_PI * freq_hz / rate;
	for (size_t i = 0; i < n; i++)
		buf[i] = sat16(buf[i] + a * sin(w * (double)i));
}

static uint32_t xorshift32(uint32_t *s)
{
	uint32_t x = *s ? *s : 0x9e3779b9u;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

void dtmf_add_noise(int16_t *buf, size_t n, double dbm0, uint32_t *seed)
{
	double sigma = dtmf_dbm0_amp(dbm0) / M_SQRT2;   /* rms of a sine at dbm0 */
	for (size_t i = 0; i < n; i += 2) {
		/* Box-Muller: two Gaussian values per pair of uniforms. */
		double u1 = (xorshift32(seed) + 1.0) / 4294967297.0;
		double u2 = (xorshift32(seed) + 1.0) / 4294967297.0;
		double r = sigma * sqrt(-2.0 * log(u1));
		buf[i] = sat16(buf[i] + r * cos(2.0 * M_PI * u2));
		if (i + 1 < n)
			buf[i + 1] = sat16(buf[i + 1] + r * sin(2.0 * M_PI * u2));
	}
}

void dtmf_gen_defaults(dtmf_gen_opts *o)
{
	memset(o, 0, sizeof *o);
	o->tone_ms = 100;
	o->gap_ms = 100;
	o->lead_ms = 0;
	o->level_dbm0 = -10.0;
	o->noise = false;
	o->noise_dbm0 = -60.0;
	o->seed = 1;
}

static int gen_check(const char *keys, const dtmf_gen_opts *o, int64_t *total_ms,
                     char *err, size_t errlen)
{
	if (!keys) {
		snprintf(err, errlen, "no keys");
		return -1;
	}
	if (o->tone_ms <= 0 || o->tone_ms > 60000) {
		snprintf(err, errlen, "tone duration %d ms out of range (1..60000)", o->tone_ms);
		return -1;
	}
	if (o->gap_ms < 0 || o->gap_ms > 60000) {
		snprintf(err, errlen, "gap %d ms out of range (0..60000)", o->gap_ms);
		return -1;
	}
	if (o->lead_ms < 0 || o->lead_ms > 600000) {
		snprintf(err, errlen, "lead %d ms out of range (0..600000)", o->lead_ms);
		return -1;
	}
	if (!(o->level_dbm0 >= -100.0 && o->level_dbm0 <= 3.0)) {
		snprintf(err, errlen, "level %g dBm0 out of range (-100..3)", o->level_dbm0);
		return -1;
	}
	if (o->noise && !(o->noise_dbm0 >= -100.0 && o->noise_dbm0 <= 3.0)) {
		snprintf(err, errlen, "noise level %g dBm0 out of range (-100..3)", o->noise_dbm0);
		return -1;
	}
	int64_t ms = o->lead_ms;
	double lo, hi;
	for (const char *p = keys; *p; p++) {
		if (*p == ',' || *p == 'w' || *p == 'W')
			ms += PAUSE_MS;
		else if (dtmf_key_freqs(*p, &lo, &hi) == 0)
			ms += o->tone_ms + o->gap_ms;
		else {
			snprintf(err, errlen, "'%c' is not a DTMF key (0-9 * # A-D, ',' or 'w' to pause)", *p);
			return -1;
		}
		if (ms > MAX_GEN_MS) {
			snprintf(err, errlen, "key string too long (over an hour of audio)");
			return -1;
		}
	}
	*total_ms = ms;
	return 0;
}

int dtmf_generate_buf(const char *keys, const dtmf_gen_opts *o, int16_t **samples,
                      size_t *n, char *err, size_t errlen)
{
	dtmf_gen_opts def;
	if (!o) {
		dtmf_gen_defaults(&def);
		o = &def;
	}
	*samples = NULL;
	*n = 0;
	int64_t total_ms;
	if (gen_check(keys, o, &total_ms, err, errlen) < 0)
		return -1;
	size_t len = (size_t)MS_TO_SAMPLES(total_ms);
	int16_t *buf = calloc(len ? len : 1, sizeof *buf);
	if (!buf) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	size_t at = (size_t)MS_TO_SAMPLES(o->lead_ms);
	size_t tone = (size_t)MS_TO_SAMPLES(o->tone_ms), gap = (size_t)MS_TO_SAMPLES(o->gap_ms);
	for (const char *p = keys; *p; p++) {
		double lo, hi;
		if (dtmf_key_freqs(*p, &lo, &hi) < 0) {
			at += (size_t)MS_TO_SAMPLES(PAUSE_MS);
			continue;
		}
		dtmf_add_sine(buf + at, tone, DTMF_RATE, lo, o->level_dbm0);
		dtmf_add_sine(buf + at, tone, DTMF_RATE, hi, o->level_dbm0);
		at += tone + gap;
	}
	if (o->noise) {
		uint32_t seed = o->seed;
		dtmf_add_noise(buf, len, o->noise_dbm0, &seed);
	}
	*samples = buf;
	*n = len;
	return 0;
}

int dtmf_generate_file(const char *keys, const char *path, const dtmf_gen_opts *o,
                       char *err, size_t errlen)
{
	int16_t *buf;
	size_t n;
	if (dtmf_generate_buf(keys, o, &buf, &n, err, errlen) < 0)
		return -1;
	alib_sf lib;
	if (alib_sf_open(&lib, err, errlen) < 0) {
		free(buf);
		return -1;
	}
	SF_INFO info = { .samplerate = DTMF_RATE, .channels = 1,
	                 .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16 };
	SNDFILE *sf = lib.open(path, SFM_WRITE, &info);
	if (!sf) {
		snprintf(err, errlen, "%s: %s", path, lib.strerror(NULL));
		alib_sf_close(&lib);
		free(buf);
		return -1;
	}
	int rc = 0;
	if (lib.write_short(sf, buf, (sf_count_t)n) != (sf_count_t)n) {
		snprintf(err, errlen, "%s: %s", path, lib.strerror(sf));
		rc = -1;
	}
	if (lib.close(sf) != 0 && rc == 0) {
		snprintf(err, errlen, "%s: could not finish writing", path);
		rc = -1;
	}
	alib_sf_close(&lib);
	free(buf);
	return rc;
}

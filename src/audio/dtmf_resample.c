/*
 * dtmf_resample.c — any sample rate to 8 kHz for the DTMF detector.
 *
 * A streaming windowed-sinc resampler: each output sample is the input
 * convolved with a Kaiser-windowed (beta 8, ~80 dB stop band) sinc low-pass
 * centred on the output instant.  The kernel is tabulated once at 256 points
 * per sinc half-period and read with linear interpolation (error < -90 dB), so
 * one code path serves every ratio, rational or not (44.1k, 48k, 11.025k,
 * 16k, ...), up- or down-sampling.
 *
 * Output instant n sits at input position n * rate_in / 8000, kept as exact
 * integers (whole part and remainder) so long files never drift.
 *
 * The cut-off is 3300 Hz (or 0.41 of the input rate when that is lower):
 * DTMF lives below 1700 Hz, and everything from about 4000 Hz up, which would
 * fold back into the band, is at least 80 dB down.  With 16 sinc zero
 * crossings each side the transition band is ~650 Hz wide.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tierline/dtmf.h"

#define RS_ZC        16      /* sinc zero crossings each side */
#define RS_TAB_PER   256     /* table points per zero crossing */
#define RS_BETA      8.0     /* Kaiser window shape */
#define RS_OUTBUF    512

struct dtmf_rs {
	int64_t rate;        /* input rate */
	int w;               /* kernel half-width in input samples */
	double tab_scale;    /* table index per input sample of |x| */
	int ntab;
	float *tab;          /* kernel at |x| = i / tab_scale */
	float *hist;         /* buffered input; hist[0] is input sample `base` */
	size_t len, cap;
	int64_t base;
	int64_t n_in;        /* input samples pushed */
	int64_t n_out;       /* next output index */
	float out[RS_OUTBUF];
};

/* Modified Bessel function of the first kind, order 0 (series). */
static double bessel_i0(double x)
{
	double sum = 1.0, term = 1.0, q = x * x / 4.0;
	for (int k = 1; k < 64; k++) {
		term *= q / ((double)k * k);
		sum += term;
		if (term < sum * 1e-12)
			break;
	}
	return sum;
}

dtmf_rs *dtmf_rs_new(int rate_in, char *err, size_t errlen)
{
	if (rate_in < 1000 || rate_in > 1000000) {
		snprintf(err, errlen, "unsupported sample rate %d Hz", rate_in);
		return NULL;
	}
	dtmf_rs *r = calloc(1, sizeof *r);
	if (!r)
		goto oom;
	double fc = 3300.0;
	if (fc > 0.41 * rate_in)
		fc = 0.41 * rate_in;
	double fcn = fc / rate_in;           /* cycles per input sample */
	double zc = 1.0 / (2.0 * fcn);       /* input samples per zero crossing */
	r->rate = rate_in;
	r->w = (int)ceil(RS_ZC * zc);
	r->tab_scale = RS_TAB_PER / zc;
	r->ntab = (int)(r->w * r->tab_scale) + 2;
	r->tab = malloc((size_t)r->ntab * sizeof *r->tab);
	if (!r->tab)
		goto oom;
	double i0b = bessel_i0(RS_BETA);
	for (int i = 0; i < r->ntab; i++) {
		double x = i / r->tab_scale;            /* input samples */
		double u = x / r->w;
		double h = 0.0;
		if (u < 1.0) {
			double a = 2.0 * fcn * x;
			double sinc = a == 0.0 ? 1.0 : sin(M_PI * a) / (M_PI * a);
			h = 2.0 * fcn * sinc * bessel_i0(RS_BETA * sqrt(1.0 - u * u)) / i0b;
		}
		r->tab[i] = (float)h;
	}
	/* Start with w zeros before sample 0 so the first outputs see silence. */
	r->cap = 4096 + 2 * (size_t)r->w;
	r->hist = calloc(r->cap, sizeof *r->hist);
	if (!r->hist)
		goto oom;
	r->len = (size_t)r->w;
	r->base = -r->w;
	return r;
oom:
	dtmf_rs_free(r);
	snprintf(err, errlen, "out of memory");
	return NULL;
}

void dtmf_rs_free(dtmf_rs *r)
{
	if (!r)
		return;
	free(r->tab);
	free(r->hist);
	free(r);
}

static int rs_append(dtmf_rs *r, const float *x, size_t n, size_t zeros)
{
	size_t need = r->len + n + zeros;
	if (need > r->cap) {
		size_t cap = r->cap * 2 > need ? r->cap * 2 : need;
		float *p = realloc(r->hist, cap * sizeof *p);
		if (!p)
			return -1;
		r->hist = p;
		r->cap = cap;
	}
	if (n)
		memcpy(r->hist + r->len, x, n * sizeof *x);
	if (zeros)
		memset(r->hist + r->len + n, 0, zeros * sizeof *x);
	r->len = need;
	return 0;
}

/* One output sample centred at input position ci + frac. */
static float rs_one(const dtmf_rs *r, int64_t ci, double frac)
{
	const float *h = r->hist + (ci - r->base);
	double acc = 0.0;
	/* taps k = ci - w + 1 .. ci + w; x = k - (ci + frac) */
	for (int j = -r->w + 1; j <= r->w; j++) {
		double x = fabs(j - frac) * r->tab_scale;
		int i = (int)x;
		if (i >= r->ntab - 1)
			continue;
		double f = x - i;
		double k = r->tab[i] + (r->tab[i + 1] - r->tab[i]) * f;
		acc += k * h[j];
	}
	return (float)acc;
}

int dtmf_rs_push(dtmf_rs *r, const float *x, size_t n, bool last,
                 dtmf_rs_sink out, void *user)
{
	if (rs_append(r, x, n, last ? (size_t)r->w + 1 : 0) < 0)
		return -1;
	r->n_in += (int64_t)n;
	/* Outputs owed when the input ends: ceil(n_in * 8000 / rate). */
	int64_t stop = last ? (r->n_in * DTMF_RATE + r->rate - 1) / r->rate : INT64_MAX;
	int64_t avail_end = r->base + (int64_t)r->len;   /* one past the last sample held */
	size_t nb = 0;
	for (;;) {
		if (r->n_out >= stop)
			break;
		int64_t num = r->n_out * r->rate;
		int64_t ci = num / DTMF_RATE;
		if (ci + r->w >= avail_end)
			break;
		double frac = (double)(num % DTMF_RATE) / DTMF_RATE;
		r->out[nb++] = rs_one(r, ci, frac);
		r->n_out++;
		if (nb == RS_OUTBUF) {
			if (out(user, r->out, nb) < 0)
				return -1;
			nb = 0;
		}
	}
	if (nb && out(user, r->out, nb) < 0)
		return -1;
	/* Drop input that no future output can reach. */
	int64_t keep_from = r->n_out * r->rate / DTMF_RATE - r->w;
	if (keep_from > r->base) {
		size_t drop = (size_t)(keep_from - r->base);
		if (drop > r->len)
			drop = r->len;
		memmove(r->hist, r->hist + drop, (r->len - drop) * sizeof *r->hist);
		r->len -= drop;
		r->base += (int64_t)drop;
	}
	return 0;
}

/*
 * dtmf.h — DTMF keys in audio: detection (spandsp's dtmf_rx) and generation.
 *
 * Detection feeds 8 kHz 16-bit samples to spandsp 0.0.6 in its own 102-sample
 * Goertzel blocks and takes the key's on/off edges from the sample position
 * of the block that reported them, less the detector's measured lag, so a
 * reported onset lands within a few ms of the true edge.  On top of spandsp:
 * the same key is merged across drop-outs of up to DTMF_MERGE_GAP_MS (spandsp
 * alone splits a key on a 10 ms drop-out), and a key shorter than
 * DTMF_MIN_TONE_MS after correction is dropped (Q.24 rejects <= 23 ms).
 *
 * Files: anything libsndfile reads; channels are mixed down (their mean), any
 * sample rate is resampled to 8 kHz with a Kaiser-windowed-sinc low-pass
 * (dtmf_resample.c).  Levels are in dBm0 as spandsp counts them: a full-scale
 * 16-bit sine (peak 32767) is +3.14 dBm0.
 *
 * Generation writes the tones itself (exact frequencies, sample-exact
 * durations, any level) rather than with spandsp's dtmf_tx, whose levels are
 * integers and whose frequencies cannot be detuned; the same synthesis is
 * exposed below so tests can build off-nominal signals.
 *
 * Errors are values: every function returns 0, or -1 with a message in err.
 */
#ifndef TIERLINE_DTMF_H
#define TIERLINE_DTMF_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define DTMF_RATE          8000  /* the detector's (and generator's) sample rate */
#define DTMF_MERGE_GAP_MS  35    /* same key across a shorter gap is one key */
#define DTMF_MIN_TONE_MS   32    /* shorter keys are dropped */

typedef struct dtmf_hit {
	char key;          /* '0'-'9', '*', '#', 'A'-'D' */
	int64_t on_ms;     /* onset, ms from the start of the audio */
	int64_t off_ms;    /* end of the tone, ms */
} dtmf_hit;

/* ---- detection --------------------------------------------------------- */

/* Detect keys in an audio file.  On success *hits is a malloc'd array of
 * *nhits keys in time order (NULL when none); free it with free(). */
int dtmf_detect_file(const char *path, dtmf_hit **hits, int *nhits,
                     char *err, size_t errlen);

/* The same on n mono 16-bit samples at 8 kHz. */
int dtmf_detect_buf(const int16_t *samples, size_t n, dtmf_hit **hits,
                    int *nhits, char *err, size_t errlen);

/* Streaming form, for audio that arrives in pieces (both above use it).
 * Feed any number of samples at a time; keys are final once dtmf_det_finish
 * has been called (or, while feeding, DTMF_MERGE_GAP_MS after they end). */
typedef struct dtmf_det dtmf_det;
/* NULL with the reason in err: out of memory, or spandsp not loadable. */
dtmf_det *dtmf_det_new(char *err, size_t errlen);
int  dtmf_det_feed(dtmf_det *d, const int16_t *samples, size_t n,
                   char *err, size_t errlen);
int  dtmf_det_finish(dtmf_det *d, char *err, size_t errlen);
/* Hand over the keys found so far (malloc'd; the detector forgets them). */
void dtmf_det_take(dtmf_det *d, dtmf_hit **hits, int *nhits);
void dtmf_det_free(dtmf_det *d);

/* ---- generation -------------------------------------------------------- */

typedef struct dtmf_gen_opts {
	int tone_ms;        /* tone duration, default 100 */
	int gap_ms;         /* silence after each key, default 100 */
	int lead_ms;        /* silence before the first key, default 0 */
	double level_dbm0;  /* level of each of the two tones, default -10 */
	bool noise;         /* add white Gaussian noise ... */
	double noise_dbm0;  /* ... of this power (dBm0) over the whole file */
	uint32_t seed;      /* noise seed */
} dtmf_gen_opts;

/* The defaults above. */
void dtmf_gen_defaults(dtmf_gen_opts *o);

/* Write an 8 kHz 16-bit mono WAV for keys ('0'-'9', '*', '#', 'A'-'D' or
 * 'a'-'d'; ',' 'w' 'W' = a 500 ms pause).  o may be NULL for the defaults. */
int dtmf_generate_file(const char *keys, const char *path,
                       const dtmf_gen_opts *o, char *err, size_t errlen);

/* Render the same signal into a malloc'd buffer of *n samples at 8 kHz. */
int dtmf_generate_buf(const char *keys, const dtmf_gen_opts *o,
                      int16_t **samples, size_t *n, char *err, size_t errlen);

/* ---- synthesis helpers (also for tests) ---------------------------------- */

/* The key's low- and high-group frequencies; -1 when c is not a DTMF key. */
int  dtmf_key_freqs(char c, double *low_hz, double *high_hz);
/* Peak amplitude (16-bit scale) of a sine at level dBm0. */
double dtmf_dbm0_amp(double dbm0);
/* Add a sine of freq_hz at level dbm0 to buf[0..n) (sample rate rate), with
 * phase counted from buf[0]; sums saturate at the 16-bit limits. */
void dtmf_add_sine(int16_t *buf, size_t n, int rate, double freq_hz,
                   double dbm0);
/* Add white Gaussian noise of power dbm0; *seed is the generator's state. */
void dtmf_add_noise(int16_t *buf, size_t n, double dbm0, uint32_t *seed);

/* ---- resampling (dtmf_resample.c) -------------------------------------- */

/* A streaming windowed-sinc resampler from any rate to 8 kHz. */
typedef struct dtmf_rs dtmf_rs;
dtmf_rs *dtmf_rs_new(int rate_in, char *err, size_t errlen);
/* Push n input samples (float, 1.0 = full scale); calls out() with each run
 * of 8 kHz samples produced.  last=true flushes the filter's tail. */
typedef int (*dtmf_rs_sink)(void *user, const float *x, size_t n);
int  dtmf_rs_push(dtmf_rs *r, const float *x, size_t n, bool last,
                  dtmf_rs_sink out, void *user);
void dtmf_rs_free(dtmf_rs *r);

#endif

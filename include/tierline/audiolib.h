/*
 * audiolib.h — libsndfile and spandsp, loaded when audio is first needed.
 *
 * Most runs never touch audio: simulate, staff, erlang, check, graph,
 * report.  Linked into the binary, the two libraries cost every process
 * start ~5 ms of CPU, because they bring 20 more with them (libsndfile its
 * codecs, spandsp libtiff with its image formats and libstdc++): more than
 * the 48,000 calls of a simulated USCIS day spend in their IVR menus, ~7%
 * of the whole run.  So the binary is not linked against them; the audio
 * code opens them by soname (dlopen) when it first reads, writes or
 * detects audio, and a missing library is an error of that command only.
 *
 * The libraries are opened RTLD_NODELETE: closing a handle keeps the
 * library mapped, so opening it again (every prompt file, every detector)
 * costs a look-up, not a load.  Each user holds its own table of entry
 * points; nothing is kept in a global.
 */
#ifndef TIERLINE_AUDIOLIB_H
#define TIERLINE_AUDIOLIB_H

#include <stddef.h>
#include <sndfile.h>
#include <spandsp.h>

/* The entry points of libsndfile tierline uses. */
typedef struct alib_sf {
	void *h;              /* first: audiolib.c finds it there */
	__typeof__(&sf_open) open;
	__typeof__(&sf_close) close;
	__typeof__(&sf_strerror) strerror;
	__typeof__(&sf_error) error;
	__typeof__(&sf_readf_float) readf_float;
	__typeof__(&sf_write_short) write_short;
} alib_sf;

/* The entry points of spandsp tierline uses (DTMF detection). */
typedef struct alib_dsp {
	void *h;              /* first: audiolib.c finds it there */
	__typeof__(&dtmf_rx_init) rx_init;
	__typeof__(&dtmf_rx_set_realtime_callback) rx_set_realtime_callback;
	__typeof__(&dtmf_rx_parms) rx_parms;
	__typeof__(&dtmf_rx) rx;
	__typeof__(&dtmf_rx_free) rx_free;
} alib_dsp;

/* Fill l; 0, or -1 with the loader's reason in err (the table is then
 * empty and alib_*_close is a no-op on it). */
int  alib_sf_open(alib_sf *l, char *err, size_t errlen);
void alib_sf_close(alib_sf *l);
int  alib_dsp_open(alib_dsp *l, char *err, size_t errlen);
void alib_dsp_close(alib_dsp *l);

#endif

/*
 * audiolib.c — opening libsndfile and spandsp on first use (audiolib.h
 * says why).
 */
#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "tierline/audiolib.h"

/* Debian 12's sonames first (another system can build with its own:
 * make CFLAGS=-DALIB_SF_SONAME=...); then the unversioned names, the -dev
 * packages' links. */
#ifndef ALIB_SF_SONAME
#define ALIB_SF_SONAME "libsndfile.so.1"
#endif
#ifndef ALIB_DSP_SONAME
#define ALIB_DSP_SONAME "libspandsp.so.2"
#endif
#ifndef ALIB_SF_DEVNAME
#define ALIB_SF_DEVNAME "libsndfile.so"
#endif
#ifndef ALIB_DSP_DEVNAME
#define ALIB_DSP_DEVNAME "libspandsp.so"
#endif
static const char *const sf_names[] = { ALIB_SF_SONAME, ALIB_SF_DEVNAME, NULL };
static const char *const dsp_names[] = { ALIB_DSP_SONAME, ALIB_DSP_DEVNAME, NULL };

static void *open_lib(const char *const *names, const char *what, char *err, size_t errlen)
{
	char why[256] = "";   /* the soname's reason: the one to report */
	for (int i = 0; names[i]; i++) {
		void *h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
		if (h)
			return h;
		const char *e = dlerror();   /* its buffer is reused by the next call */
		if (!why[0])
			snprintf(why, sizeof why, "%s", e ? e : "unknown reason");
	}
	snprintf(err, errlen, "%s is needed for audio and could not be loaded: %s", what, why);
	return NULL;
}

/* One library: its names, what to call it in a message, and where each
 * entry point goes in its table (the table's first member is the handle). */
typedef struct lib_sym {
	const char *name;
	size_t off, size;
} lib_sym;

typedef struct lib_desc {
	const char *const *names;
	const char *what;
	const lib_sym *syms;   /* ends with a NULL name */
	size_t table_size;
} lib_desc;

#define SYM(type, field, name) { name, offsetof(type, field), sizeof ((type *)0)->field }

static const lib_sym sf_syms[] = {
	SYM(alib_sf, open, "sf_open"), SYM(alib_sf, close, "sf_close"),
	SYM(alib_sf, strerror, "sf_strerror"), SYM(alib_sf, error, "sf_error"),
	SYM(alib_sf, readf_float, "sf_readf_float"), SYM(alib_sf, write_short, "sf_write_short"),
	{ NULL, 0, 0 }
};
static const lib_sym dsp_syms[] = {
	SYM(alib_dsp, rx_init, "dtmf_rx_init"),
	SYM(alib_dsp, rx_set_realtime_callback, "dtmf_rx_set_realtime_callback"),
	SYM(alib_dsp, rx_parms, "dtmf_rx_parms"), SYM(alib_dsp, rx, "dtmf_rx"),
	SYM(alib_dsp, rx_free, "dtmf_rx_free"),
	{ NULL, 0, 0 }
};
static const lib_desc sf_lib = {
	sf_names, "libsndfile (Debian package libsndfile1)", sf_syms, sizeof(alib_sf)
};
static const lib_desc dsp_lib = {
	dsp_names, "spandsp (Debian package libspandsp2)", dsp_syms, sizeof(alib_dsp)
};

static void unload(const lib_desc *d, void *table)
{
	void *h;
	memcpy(&h, table, sizeof h);
	if (h)
		dlclose(h);
	memset(table, 0, d->table_size);
}

/* Fill table.  Each entry point is stored through its bytes: ISO C has no
 * conversion from void * to a function pointer; POSIX guarantees dlsym's
 * result can be used so. */
static int load(const lib_desc *d, void *table, char *err, size_t errlen)
{
	memset(table, 0, d->table_size);
	void *h = open_lib(d->names, d->what, err, errlen);
	if (!h)
		return -1;
	memcpy(table, &h, sizeof h);
	for (const lib_sym *y = d->syms; y->name; y++) {
		(void)dlerror();
		void *p = dlsym(h, y->name);
		if (!p) {
			const char *why = dlerror();
			snprintf(err, errlen, "%s has no %s: %s", d->what, y->name,
			         why ? why : "not found");
			unload(d, table);
			return -1;
		}
		memcpy((char *)table + y->off, &p, y->size);
	}
	return 0;
}

int alib_sf_open(alib_sf *l, char *err, size_t errlen)
{
	return load(&sf_lib, l, err, errlen);
}

void alib_sf_close(alib_sf *l)
{
	unload(&sf_lib, l);
}

int alib_dsp_open(alib_dsp *l, char *err, size_t errlen)
{
	return load(&dsp_lib, l, err, errlen);
}

void alib_dsp_close(alib_dsp *l)
{
	unload(&dsp_lib, l);
}

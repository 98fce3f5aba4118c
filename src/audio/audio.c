/*
 * audio.c — audio file facts through libsndfile.
 */
#include <stdio.h>
#include <string.h>
#include "tierline/audio.h"
#include "tierline/audiolib.h"

int audio_file_ms(const char *path, uint32_t *ms, char *err, size_t errlen)
{
	alib_sf lib;
	if (alib_sf_open(&lib, err, errlen) < 0)
		return -1;
	SF_INFO info;
	memset(&info, 0, sizeof info);
	SNDFILE *sf = lib.open(path, SFM_READ, &info);
	if (!sf) {
		snprintf(err, errlen, "%s", lib.strerror(NULL));
		alib_sf_close(&lib);
		return -1;
	}
	lib.close(sf);
	alib_sf_close(&lib);
	if (info.samplerate <= 0) {
		snprintf(err, errlen, "bad sample rate %d", info.samplerate);
		return -1;
	}
	double v = (double)info.frames * 1000.0 / info.samplerate + 0.5;
	if (v > 4294967295.0) {
		snprintf(err, errlen, "audio too long");
		return -1;
	}
	*ms = (uint32_t)v;
	return 0;
}

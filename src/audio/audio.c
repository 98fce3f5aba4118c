/*
 * audio.c — audio file facts through libsndfile.
 */
#include <stdio.h>
#include <string.h>
#include <sndfile.h>
#include "tierline/audio.h"

int audio_file_ms(const char *path, uint32_t *ms, char *err, size_t errlen)
{
	SF_INFO info;
	memset(&info, 0, sizeof info);
	SNDFILE *sf = sf_open(path, SFM_READ, &info);
	if (!sf) {
		snprintf(err, errlen, "%s", sf_strerror(NULL));
		return -1;
	}
	sf_close(sf);
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

/*
 * audio.h — reading audio files: prompt durations (libsndfile).
 * DTMF detection and generation live in dtmf.h.
 */
#ifndef TIERLINE_AUDIO_H
#define TIERLINE_AUDIO_H

#include <stddef.h>
#include <stdint.h>

/* Length of an audio file in ms (rounded to nearest).  Returns 0, or -1 with
 * a message in err (e.g. "not a WAV file" from libsndfile). */
int audio_file_ms(const char *path, uint32_t *ms, char *err, size_t errlen);

#endif

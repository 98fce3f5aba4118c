/*
 * prompts.c — the prompt catalog: text from DIR/<lang>/prompts.txt, audio
 * from DIR/<lang>/<id>.wav, and each prompt's duration per language.
 *
 * Durations are fixed at load time so that timing is deterministic: audio
 * length where a WAV exists, else 400 ms per word of the text (150 words a
 * minute), else 1000 ms.  Only prompts the flow uses are looked up; a
 * folder is listed once rather than probed once per prompt.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "tierline/audio.h"
#include "flow_int.h"

#define MS_PER_WORD 400
#define MS_MISSING 1000

static int count_words(const char *s)
{
	int n = 0;
	bool in = false;
	for (; *s; s++) {
		bool sp = isspace((unsigned char)*s);
		if (!sp && !in)
			n++;
		in = !sp;
	}
	return n;
}

static void read_texts(flow *f, int lang, const char *dir, diag_list *dl)
{
	const char *path = flow_path_join(&f->mem, dir, "prompts.txt");
	char *text;
	size_t len;
	if (util_read_file(path, &text, &len) != 0)
		return;   /* every prompt then lacks text: check.c warns per prompt */
	int lineno = 0;
	char *p = text, *end = text + len;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *le = nl ? nl : end;
		lineno++;
		char *s = p, *e = le;
		p = nl ? nl + 1 : end;
		while (s < e && isspace((unsigned char)*s))
			s++;
		while (e > s && isspace((unsigned char)e[-1]))
			e--;
		if (s == e || *s == '#')
			continue;
		char *colon = memchr(s, ':', (size_t)(e - s));
		if (!colon || colon == s) {
			diag_add(dl, DIAG_WARNING, path, lineno, 1, "prompt-text",
			         "expected 'id: text' (line ignored)");
			continue;
		}
		char *ie = colon;
		while (ie > s && isspace((unsigned char)ie[-1]))
			ie--;
		char *ts = colon + 1;
		while (ts < e && isspace((unsigned char)*ts))
			ts++;
		char *id = arena_strndup(&f->mem, s, (size_t)(ie - s));
		int k = strmap_get(&f->index->prompts, id);
		if (k < 0 || ts == e)
			continue;
		f->prompts[k].text[lang] = arena_strndup(&f->mem, ts, (size_t)(e - ts));
	}
	free(text);
}

static void read_audio(flow *f, int lang, const char *dir, diag_list *dl)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		if (n <= 4 || strcmp(de->d_name + n - 4, ".wav") != 0)
			continue;
		char id[256];
		if (n - 4 >= sizeof id)
			continue;
		memcpy(id, de->d_name, n - 4);
		id[n - 4] = '\0';
		int k = strmap_get(&f->index->prompts, id);
		if (k < 0)
			continue;
		const char *path = flow_path_join(&f->mem, dir, de->d_name);
		uint32_t ms;
		char err[256];
		if (audio_file_ms(path, &ms, err, sizeof err) != 0) {
			diag_add(dl, DIAG_WARNING, path, 0, 0, "prompt-audio",
			         "cannot read audio for prompt '%s' (%s); using its text", id, err);
			continue;
		}
		f->prompts[k].wav[lang] = path;
		f->prompts[k].ms[lang] = ms;
	}
	closedir(d);
}

void flow_load_prompts(flow *f, diag_list *dl)
{
	for (int lang = 0; lang < f->nlangs; lang++) {
		if (f->prompt_dir) {
			const char *dir = flow_path_join(&f->mem, f->prompt_dir, f->langs[lang]);
			read_texts(f, lang, dir, dl);
			read_audio(f, lang, dir, dl);
		}
		for (int i = 0; i < f->nprompts; i++) {
			flow_prompt *p = &f->prompts[i];
			if (p->wav[lang])
				continue;
			p->ms[lang] = p->text[lang] ? (uint32_t)(MS_PER_WORD * count_words(p->text[lang]))
			                            : MS_MISSING;
			if (p->ms[lang] == 0)
				p->ms[lang] = MS_MISSING;
		}
	}
}

/*
 * dist.c — duration distributions: setup, sampling, moments, CDFs, text.
 *
 * Sampling methods (all exact, none tabulated):
 *   exp        inversion, -mean * log(U) with U in (0,1)
 *   lognormal  exp(mu + sigma Z), Z from the polar method (rng_normal)
 *   gamma      Marsaglia & Tsang (2000) squeeze/rejection for shape >= 1;
 *              for shape < 1, Gamma(a) = Gamma(a + 1) * U^(1/a) (their
 *              boosting trick), which keeps the rejection rate low
 *   erlang     K <= 16: -scale * log(U1 ... UK) (one log; the product of at
 *              most 16 uniforms >= 2^-54 cannot underflow); larger K: gamma
 *   uniform    A + (B - A) U
 */
#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tierline/dist.h"

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

const char *dist_kind_name(dist_kind k)
{
	switch (k) {
	case DIST_CONST: return "const";
	case DIST_EXP: return "exp";
	case DIST_LOGNORMAL: return "lognormal";
	case DIST_GAMMA: return "gamma";
	case DIST_ERLANG: return "erlang";
	case DIST_UNIFORM: return "uniform";
	}
	return "?";
}

static void set_gamma(dist *d, double shape, double scale)
{
	d->a = shape;
	d->b = scale;
	double s = shape < 1.0 ? shape + 1.0 : shape;
	d->mt_d = s - 1.0 / 3.0;
	d->mt_c = 1.0 / sqrt(9.0 * d->mt_d);
}

int dist_init(dist *d, dist_kind kind, double p1, double p2,
              char *err, size_t errlen)
{
	memset(d, 0, sizeof *d);
	d->kind = kind;
	d->p1 = p1;
	d->p2 = (kind == DIST_EXP || kind == DIST_CONST) ? 0.0 : p2;
	const char *name = dist_kind_name(kind);
	if (!isfinite(p1) || !isfinite(d->p2))
		return fail(err, errlen, "%s: parameters must be finite", name);
	switch (kind) {
	case DIST_CONST:
		if (p1 < 0)
			return fail(err, errlen, "const: value must not be negative");
		d->mean = p1;
		d->var = 0;
		return 0;
	case DIST_EXP:
		if (!(p1 > 0))
			return fail(err, errlen, "exp: mean must be positive");
		d->mean = p1;
		d->var = p1 * p1;
		return 0;
	case DIST_LOGNORMAL: {
		if (!(p1 > 0))
			return fail(err, errlen, "lognormal: mean must be positive");
		if (!(p2 > 0))
			return fail(err, errlen, "lognormal: sd must be positive");
		double cv2 = (p2 / p1) * (p2 / p1);
		double s2 = log1p(cv2);
		d->a = log(p1) - 0.5 * s2;   /* mu */
		d->b = sqrt(s2);             /* sigma */
		d->mean = p1;
		d->var = p2 * p2;
		return 0;
	}
	case DIST_GAMMA: {
		if (!(p1 > 0))
			return fail(err, errlen, "gamma: mean must be positive");
		if (!(p2 > 0))
			return fail(err, errlen, "gamma: sd must be positive");
		double shape = (p1 / p2) * (p1 / p2);
		if (!(shape >= 1e-3))
			return fail(err, errlen, "gamma: sd may be at most about 30 times the mean");
		set_gamma(d, shape, p2 * p2 / p1);
		d->mean = p1;
		d->var = p2 * p2;
		return 0;
	}
	case DIST_ERLANG: {
		if (!(p1 >= 1) || p1 != floor(p1) || p1 > 1e6)
			return fail(err, errlen, "erlang: K must be a whole number from 1 to 1000000");
		if (!(p2 > 0))
			return fail(err, errlen, "erlang: mean must be positive");
		set_gamma(d, p1, p2 / p1);
		d->mean = p2;
		d->var = p2 * p2 / p1;
		return 0;
	}
	case DIST_UNIFORM:
		if (p1 < 0)
			return fail(err, errlen, "uniform: A must not be negative");
		if (p2 < p1)
			return fail(err, errlen, "uniform: B must not be less than A");
		d->mean = 0.5 * (p1 + p2);
		d->var = (p2 - p1) * (p2 - p1) / 12.0;
		return 0;
	}
	return fail(err, errlen, "unknown distribution kind %d", (int)kind);
}

dist dist_const(double x_ms)
{
	dist d;
	if (dist_init(&d, DIST_CONST, x_ms, 0, NULL, 0) != 0)
		dist_init(&d, DIST_CONST, 0, 0, NULL, 0);
	return d;
}

dist dist_exp(double mean_ms)
{
	dist d;
	if (dist_init(&d, DIST_EXP, mean_ms, 0, NULL, 0) != 0)
		dist_init(&d, DIST_CONST, 0, 0, NULL, 0);
	return d;
}

/* Marsaglia-Tsang for the precomputed shape (a, or a + 1 when a < 1). */
static double gamma_mt(const dist *d, rng *r)
{
	const double dd = d->mt_d, c = d->mt_c;
	for (;;) {
		double x, v;
		do {
			x = rng_normal(r);
			v = 1.0 + c * x;
		} while (v <= 0.0);
		v = v * v * v;
		double u = rng_uniform(r);
		double x2 = x * x;
		if (u < 1.0 - 0.0331 * x2 * x2)
			return dd * v;
		if (log(u) < 0.5 * x2 + dd * (1.0 - v + log(v)))
			return dd * v;
	}
}

static double gamma_sample(const dist *d, rng *r)
{
	double g = gamma_mt(d, r);
	if (d->a < 1.0)
		g *= pow(rng_uniform(r), 1.0 / d->a);
	return g * d->b;
}

double dist_sample_ms(const dist *d, rng *r)
{
	switch (d->kind) {
	case DIST_CONST:
		return d->p1;
	case DIST_EXP:
		return -d->p1 * log(rng_uniform(r));
	case DIST_LOGNORMAL:
		return exp(d->a + d->b * rng_normal(r));
	case DIST_GAMMA:
		return gamma_sample(d, r);
	case DIST_ERLANG:
		if (d->a <= 16) {
			double prod = 1.0;
			for (int k = 0; k < (int)d->a; k++)
				prod *= rng_uniform(r);
			return -d->b * log(prod);
		}
		return gamma_sample(d, r);
	case DIST_UNIFORM:
		return d->p1 + (d->p2 - d->p1) * rng_uniform(r);
	}
	return 0.0;
}

double dist_mean(const dist *d) { return d->mean; }
double dist_var(const dist *d) { return d->var; }

/* ---- special functions ---------------------------------------------------- */

static double lgam(double x)
{
	int sign;
	return lgamma_r(x, &sign);   /* lgamma() writes the global signgam */
}

/* Lower regularized incomplete gamma: series for x < a + 1, Lentz's continued
 * fraction for Q otherwise (both converge fast in their region). */
double dist_gamma_p(double a, double x)
{
	if (!(a > 0) || isnan(x))
		return NAN;
	if (x <= 0)
		return 0.0;
	if (isinf(x))
		return 1.0;
	double lpre = a * log(x) - x - lgam(a);
	if (x < a + 1.0) {
		double ap = a, del = 1.0 / a, sum = del;
		for (int n = 0; n < 100000; n++) {
			ap += 1.0;
			del *= x / ap;
			sum += del;
			if (fabs(del) < fabs(sum) * 1e-16)
				break;
		}
		double p = sum * exp(lpre);
		return p > 1.0 ? 1.0 : p;
	}
	const double tiny = 1e-300;
	double b = x + 1.0 - a, c = 1.0 / tiny, dd = 1.0 / b, h = dd;
	for (int i = 1; i < 100000; i++) {
		double an = -i * (i - a);
		b += 2.0;
		dd = an * dd + b;
		if (fabs(dd) < tiny) dd = tiny;
		c = b + an / c;
		if (fabs(c) < tiny) c = tiny;
		dd = 1.0 / dd;
		double del = dd * c;
		h *= del;
		if (fabs(del - 1.0) < 1e-16)
			break;
	}
	double q = exp(lpre) * h;
	return q > 1.0 ? 0.0 : 1.0 - q;
}

static double betacf(double a, double b, double x)
{
	const double tiny = 1e-300;
	double qab = a + b, qap = a + 1.0, qam = a - 1.0;
	double c = 1.0, d = 1.0 - qab * x / qap;
	if (fabs(d) < tiny) d = tiny;
	d = 1.0 / d;
	double h = d;
	for (int m = 1; m < 100000; m++) {
		int m2 = 2 * m;
		double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
		d = 1.0 + aa * d;
		if (fabs(d) < tiny) d = tiny;
		c = 1.0 + aa / c;
		if (fabs(c) < tiny) c = tiny;
		d = 1.0 / d;
		h *= d * c;
		aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
		d = 1.0 + aa * d;
		if (fabs(d) < tiny) d = tiny;
		c = 1.0 + aa / c;
		if (fabs(c) < tiny) c = tiny;
		d = 1.0 / d;
		double del = d * c;
		h *= del;
		if (fabs(del - 1.0) < 1e-16)
			break;
	}
	return h;
}

double dist_beta_i(double a, double b, double x)
{
	if (!(a > 0) || !(b > 0) || isnan(x))
		return NAN;
	if (x <= 0)
		return 0.0;
	if (x >= 1)
		return 1.0;
	double lbt = lgam(a + b) - lgam(a) - lgam(b) + a * log(x) + b * log1p(-x);
	if (x < (a + 1.0) / (a + b + 2.0))
		return exp(lbt) * betacf(a, b, x) / a;
	return 1.0 - exp(lbt) * betacf(b, a, 1.0 - x) / b;
}

double dist_cdf(const dist *d, double x)
{
	if (isnan(x))
		return NAN;
	switch (d->kind) {
	case DIST_CONST:
		return x >= d->p1 ? 1.0 : 0.0;
	case DIST_EXP:
		return x <= 0 ? 0.0 : -expm1(-x / d->p1);
	case DIST_LOGNORMAL:
		if (x <= 0)
			return 0.0;
		return 0.5 * erfc(-(log(x) - d->a) / (d->b * M_SQRT2));
	case DIST_GAMMA:
	case DIST_ERLANG:
		return x <= 0 ? 0.0 : dist_gamma_p(d->a, x / d->b);
	case DIST_UNIFORM:
		if (x < d->p1)
			return 0.0;
		if (x >= d->p2)
			return 1.0;
		return (x - d->p1) / (d->p2 - d->p1);
	}
	return NAN;
}

/* ---- text ------------------------------------------------------------------ */

/* The shortest exact unit form of a duration: 6m, 90s, 1h30m, 250ms, 1.5s. */
static int fmt_duration(char *out, size_t n, double ms)
{
	if (ms >= 0 && ms < 9e15 && ms == floor(ms)) {
		long long v = (long long)ms;
		if (v == 0)
			return snprintf(out, n, "0s");
		if (v % 1000 != 0)
			return v >= 1000 ? snprintf(out, n, "%.15gs", ms / 1000.0)
			                 : snprintf(out, n, "%lldms", v);
		long long s = v / 1000;
		long long h = s / 3600, m = (s % 3600) / 60, sec = s % 60;
		if (s < 60 || (s < 3600 && sec != 0) || (h && sec))
			return snprintf(out, n, "%llds", s);
		if (h == 0)
			return snprintf(out, n, "%lldm", m);
		if (m == 0)
			return snprintf(out, n, "%lldh", h);
		return snprintf(out, n, "%lldh%lldm", h, m);
	}
	return snprintf(out, n, "%.6gms", ms);
}

int dist_format(const dist *d, char *out, size_t n)
{
	char a[48], b[48];
	fmt_duration(a, sizeof a, d->p1);
	switch (d->kind) {
	case DIST_CONST:
		return snprintf(out, n, "const(%s)", a);
	case DIST_EXP:
		return snprintf(out, n, "exp(%s)", a);
	case DIST_ERLANG:
		fmt_duration(b, sizeof b, d->p2);
		return snprintf(out, n, "erlang(%.0f, %s)", d->p1, b);
	case DIST_LOGNORMAL:
	case DIST_GAMMA:
	case DIST_UNIFORM:
		fmt_duration(b, sizeof b, d->p2);
		return snprintf(out, n, "%s(%s, %s)", dist_kind_name(d->kind), a, b);
	}
	return snprintf(out, n, "?");
}

/* A plain decimal number: digits with an optional fraction (no sign, no
 * exponent, no hex, no inf/nan: what a person writes in a scenario). */
static int scan_number(const char **sp, double *v)
{
	const char *s = *sp, *start = s;
	while (isdigit((unsigned char)*s))
		s++;
	if (*s == '.') {
		s++;
		while (isdigit((unsigned char)*s))
			s++;
	}
	if (s == start || (s == start + 1 && *start == '.'))
		return -1;
	if (s - start > 40)
		return -1;
	char tmp[48];
	memcpy(tmp, start, (size_t)(s - start));
	tmp[s - start] = '\0';
	*v = strtod(tmp, NULL);
	*sp = s;
	return 0;
}

/* ms per unit at *sp (ms, s, m, h, d); advances; 0 when no unit. */
static double scan_unit(const char **sp)
{
	const char *s = *sp;
	double f = 0;
	if (s[0] == 'm' && s[1] == 's') { f = 1; s += 2; }
	else if (s[0] == 's') { f = 1000; s++; }
	else if (s[0] == 'm') { f = 60000; s++; }
	else if (s[0] == 'h') { f = 3600000; s++; }
	else if (s[0] == 'd') { f = 86400000; s++; }
	if (f > 0 && isalpha((unsigned char)*s))
		return 0;          /* "3min", "5sec": not ours */
	*sp = s;
	return f;
}

int dist_parse_duration(const char *s, double *ms, char *err, size_t errlen)
{
	if (!s || !*s)
		return fail(err, errlen, "empty duration: expected e.g. 180s, 3m, 1.5s, 250ms");
	if (*s == '-')
		return fail(err, errlen, "negative duration '%.40s'", s);
	const char *p = s;
	double total = 0;
	int parts = 0;
	while (*p) {
		double v;
		if (scan_number(&p, &v) != 0)
			return fail(err, errlen, "bad duration '%.40s': expected e.g. 180s, 3m, 1.5s, 250ms", s);
		if (*p == '\0' && parts == 0)
			return fail(err, errlen, "bare number '%.40s': add a unit (s, m, h, ms)", s);
		double f = scan_unit(&p);
		if (f == 0)
			return fail(err, errlen, "bad duration '%.40s': units are ms, s, m, h, d", s);
		total += v * f;
		parts++;
	}
	if (!(total < 1e15))
		return fail(err, errlen, "duration '%.40s' is too long", s);
	*ms = total;
	return 0;
}

int dist_parse_rate(const char *s, double *per_s, char *err, size_t errlen)
{
	if (!s || !*s)
		return fail(err, errlen, "empty rate: expected e.g. 200/h, 3/m, 0.05/s");
	if (*s == '-')
		return fail(err, errlen, "negative rate '%.40s'", s);
	const char *p = s;
	double v;
	if (scan_number(&p, &v) != 0)
		return fail(err, errlen, "bad rate '%.40s': expected e.g. 200/h, 3/m, 0.05/s", s);
	if (*p == '\0')
		return fail(err, errlen, "bare number '%.40s': add a unit (/h, /m, /s)", s);
	if (*p != '/')
		return fail(err, errlen, "bad rate '%.40s': expected e.g. 200/h, 3/m, 0.05/s", s);
	p++;
	double f;
	if (isdigit((unsigned char)*p) || *p == '.') {
		/* "100/30m": a count per a duration. */
		char e2[120];
		if (dist_parse_duration(p, &f, e2, sizeof e2) != 0 || !(f > 0))
			return fail(err, errlen, "bad rate '%.40s': expected e.g. 200/h or 100/30m", s);
	} else {
		f = scan_unit(&p);
		if (f == 0 || *p != '\0')
			return fail(err, errlen, "bad rate '%.40s': units are /h, /m, /s", s);
	}
	*per_s = v / (f / 1000.0);
	if (!isfinite(*per_s))
		return fail(err, errlen, "rate '%.40s' is too large", s);
	return 0;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int dist_parse(const char *text, dist *d, char *err, size_t errlen)
{
	char buf[160];
	if (!text || strlen(text) >= sizeof buf)
		return fail(err, errlen, "distribution too long");
	strcpy(buf, text);
	char *s = trim(buf);
	char *open = strchr(s, '(');
	if (!open) {
		double ms;
		if (dist_parse_duration(s, &ms, err, errlen) != 0)
			return -1;
		return dist_init(d, DIST_CONST, ms, 0, err, errlen);
	}
	*open = '\0';
	char *name = trim(s);
	char *args = open + 1;
	char *close = strrchr(args, ')');
	if (!close || *trim(close + 1) != '\0')
		return fail(err, errlen, "%s(: missing ')'", name);
	*close = '\0';
	static const struct { const char *name; dist_kind kind; int nargs; } kinds[] = {
		{ "const", DIST_CONST, 1 }, { "exp", DIST_EXP, 1 },
		{ "lognormal", DIST_LOGNORMAL, 2 }, { "gamma", DIST_GAMMA, 2 },
		{ "erlang", DIST_ERLANG, 2 }, { "uniform", DIST_UNIFORM, 2 },
	};
	int k = -1;
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(name, kinds[i].name) == 0)
			k = (int)i;
	if (k < 0)
		return fail(err, errlen, "unknown distribution '%.40s': use exp, lognormal, gamma, erlang, uniform or const", name);
	char *arg[3] = { NULL, NULL, NULL };
	int n = 0;
	for (char *tok = args; n < 3; n++) {
		char *comma = strchr(tok, ',');
		if (comma)
			*comma = '\0';
		arg[n] = trim(tok);
		if (!comma) {
			n++;
			break;
		}
		tok = comma + 1;
	}
	if (n != kinds[k].nargs)
		return fail(err, errlen, "%s takes %d argument%s", name, kinds[k].nargs,
		            kinds[k].nargs == 1 ? "" : "s");
	double v[2] = { 0, 0 };
	for (int i = 0; i < n; i++) {
		if (kinds[k].kind == DIST_ERLANG && i == 0) {
			const char *p = arg[0];
			if (scan_number(&p, &v[0]) != 0 || *p != '\0')
				return fail(err, errlen, "erlang: K must be a whole number, got '%.40s'", arg[0]);
			continue;
		}
		char e2[160];
		if (dist_parse_duration(arg[i], &v[i], e2, sizeof e2) != 0)
			return fail(err, errlen, "%s: %s", name, e2);
	}
	return dist_init(d, kinds[k].kind, v[0], v[1], err, errlen);
}

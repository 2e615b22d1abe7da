/*
 * RFC 3339 times, as a release manifest's committed_at has them
 * (2026-11-30T10:12:00Z, 2026-12-01T08:00:00+01:00, optional fraction).
 */
#ifndef CUT_RFC3339_H
#define CUT_RFC3339_H

/* Unix milliseconds, or -1 when s is not such a time. */
long long rfc3339_ms(const char *s);

#endif

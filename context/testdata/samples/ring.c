/* A ring buffer of bytes, used as test input for codectx. */
#include <stdlib.h>
#include <string.h>
#include "ring.h"

#define RING_MIN 16

typedef struct ring {
	unsigned char *buf;
	size_t cap;
	size_t head;
	size_t len;
} ring_t;

static size_t round_up(size_t n) {
	size_t c = RING_MIN;
	while (c < n) {
		c <<= 1;
	}
	return c;
}

ring_t *ring_new(size_t cap) {
	ring_t *r = calloc(1, sizeof *r);
	if (r == NULL) {
		return NULL;
	}
	r->cap = round_up(cap);
	r->buf = malloc(r->cap);
	if (r->buf == NULL) {
		free(r);
		return NULL;
	}
	return r;
}

size_t ring_write(ring_t *r, const void *src, size_t n) {
	const unsigned char *p = src;
	size_t i;
	for (i = 0; i < n && r->len < r->cap; i++) {
		r->buf[(r->head + r->len) & (r->cap - 1)] = p[i];
		r->len++;
	}
	return i;
}

size_t ring_read(ring_t *r, void *dst, size_t n) {
	unsigned char *p = dst;
	size_t i;
	for (i = 0; i < n && r->len > 0; i++) {
		p[i] = r->buf[r->head];
		r->head = (r->head + 1) & (r->cap - 1);
		r->len--;
	}
	return i;
}

void ring_free(ring_t *r) {
	if (r != NULL) {
		free(r->buf);
		free(r);
	}
}

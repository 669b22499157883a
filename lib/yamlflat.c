/* SPDX-License-Identifier: ISC */
/* yamlflat.c: walk libyaml's document tree and emit each scalar with the
 * path that leads to it, so a shell can read Kubernetes YAML line by line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "yamlflat.h"

#define MAXPATH 4096

struct walk {
	yaml_document_t *doc;
	int docno;
	size_t scalars;
	yaml_emit_fn *emit;
	void *arg;
	char path[MAXPATH];
	char *err;
	size_t errlen;
};

/* Append "/" and a key, escaping what would break the path's syntax. */
static int
push_key(struct walk *w, size_t at, const char *key, size_t keylen)
{
	size_t n = at, i;

	if (n > 0) {
		if (n + 1 >= MAXPATH)
			return -1;
		w->path[n++] = '/';
	}
	for (i = 0; i < keylen; i++) {
		unsigned char c = (unsigned char)key[i];

		if (n + 4 >= MAXPATH)
			return -1;
		if (c == '%' || c == '/' || c < 0x20 || c == 0x7f) {
			snprintf(w->path + n, 4, "%%%02X", c);
			n += 3;
		} else
			w->path[n++] = (char)c;
	}
	w->path[n] = '\0';
	return (int)n;
}

static int
walk_node(struct walk *w, yaml_node_t *node, size_t at, int depth)
{
	yaml_node_pair_t *pair;
	yaml_node_item_t *item;
	char idx[24];
	int n, i;

	if (node == NULL)
		return 0;
	if (depth > YAMLFLAT_MAXDEPTH) {
		snprintf(w->err, w->errlen, "line %lu: nested deeper than %d levels",
		    (unsigned long)node->start_mark.line + 1, YAMLFLAT_MAXDEPTH);
		return -1;
	}
	switch (node->type) {
	case YAML_SCALAR_NODE:
		if (++w->scalars > YAMLFLAT_MAXSCALARS) {
			snprintf(w->err, w->errlen, "more than %d values (alias expansion?)",
			    YAMLFLAT_MAXSCALARS);
			return -1;
		}
		w->path[at] = '\0';
		return w->emit(w->arg, w->docno, w->path,
		    node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE,
		    (const char *)node->data.scalar.value);
	case YAML_SEQUENCE_NODE:
		i = 0;
		for (item = node->data.sequence.items.start;
		    item < node->data.sequence.items.top; item++, i++) {
			snprintf(idx, sizeof(idx), "%d", i);
			if ((n = push_key(w, at, idx, strlen(idx))) < 0)
				goto toolong;
			if (walk_node(w, yaml_document_get_node(w->doc, *item), (size_t)n, depth + 1) < 0)
				return -1;
		}
		return 0;
	case YAML_MAPPING_NODE:
		for (pair = node->data.mapping.pairs.start;
		    pair < node->data.mapping.pairs.top; pair++) {
			yaml_node_t *k = yaml_document_get_node(w->doc, pair->key);

			if (k == NULL || k->type != YAML_SCALAR_NODE) {
				snprintf(w->err, w->errlen, "line %lu: a key that is not a scalar",
				    k ? (unsigned long)k->start_mark.line + 1 : 0UL);
				return -1;
			}
			if ((n = push_key(w, at, (const char *)k->data.scalar.value,
			    k->data.scalar.length)) < 0)
				goto toolong;
			if (walk_node(w, yaml_document_get_node(w->doc, pair->value), (size_t)n, depth + 1) < 0)
				return -1;
		}
		return 0;
	default:
		return 0;
	}
toolong:
	snprintf(w->err, w->errlen, "line %lu: path longer than %d bytes",
	    (unsigned long)node->start_mark.line + 1, MAXPATH);
	return -1;
}

/*
 * libyaml's document loader recurses once per nesting level and has no
 * limit of its own; its event parser is a state machine that does not.
 * So a first pass over the events refuses deep nesting before loading.
 */
static int
check_depth(const unsigned char *buf, size_t len, char *err, size_t errlen)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	int depth = 0, r = 0, done = 0;

	if (!yaml_parser_initialize(&parser)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	yaml_parser_set_input_string(&parser, buf, len);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			snprintf(err, errlen, "line %lu: %s",
			    (unsigned long)parser.problem_mark.line + 1,
			    parser.problem ? parser.problem : "syntax error");
			r = -1;
			break;
		}
		switch (ev.type) {
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (++depth > YAMLFLAT_MAXDEPTH) {
				snprintf(err, errlen, "line %lu: nested deeper than %d levels",
				    (unsigned long)ev.start_mark.line + 1, YAMLFLAT_MAXDEPTH);
				r = -1;
				done = 1;
			}
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	return r;
}

int
yaml_flatten(const unsigned char *buf, size_t len, yaml_emit_fn *emit,
    void *arg, char *err, size_t errlen)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	struct walk w;
	int r = 0;

	if (check_depth(buf, len, err, errlen) < 0)
		return -1;
	memset(&w, 0, sizeof(w));
	w.emit = emit;
	w.arg = arg;
	w.err = err;
	w.errlen = errlen;
	if (!yaml_parser_initialize(&parser)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	yaml_parser_set_input_string(&parser, buf, len);
	for (;;) {
		yaml_node_t *root;

		if (!yaml_parser_load(&parser, &doc)) {
			snprintf(err, errlen, "line %lu: %s",
			    (unsigned long)parser.problem_mark.line + 1,
			    parser.problem ? parser.problem : "syntax error");
			r = -1;
			break;
		}
		root = yaml_document_get_root_node(&doc);
		if (root == NULL) {	/* the end of the stream */
			yaml_document_delete(&doc);
			break;
		}
		w.doc = &doc;
		w.path[0] = '\0';
		r = walk_node(&w, root, 0, 0);
		yaml_document_delete(&doc);
		if (r < 0)
			break;
		w.docno++;
	}
	yaml_parser_delete(&parser);
	return r;
}

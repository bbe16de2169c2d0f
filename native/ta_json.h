/* A JSON reader for schema text: the whole document becomes a flat array of nodes, with no
 * Python object made. turboavro._kernels._schema_text builds the schema model from it.
 *
 * It reads the JSON the schema parser reads in the common case only. It never guesses: any
 * text it does not take exactly as Python's json.loads would (escapes in strings, NaN and
 * Infinity, nesting deeper than asked, invalid JSON) makes it return TA_JSON_LEAVE, and the
 * caller hands the text to the general parser, which reports what is wrong. */
#ifndef TA_JSON_H
#define TA_JSON_H

#include <stddef.h>
#include <stdint.h>

enum {
    TA_J_NULL = 0,
    TA_J_FALSE,
    TA_J_TRUE,
    TA_J_INT,    /* a number literal without fraction or exponent */
    TA_J_FLOAT,  /* any other number literal */
    TA_J_STR,
    TA_J_ARR,
    TA_J_OBJ,
};

typedef struct {
    int32_t kind;
    int32_t count;    /* items of an array, members of an object */
    int32_t first;    /* first item or member (node index), -1 if none */
    int32_t next;     /* next item or member of the parent, -1 if last */
    int32_t key;      /* a member's key: byte offset of its text (between the quotes) */
    int32_t key_len;
    int32_t start;    /* a string's text (between the quotes), a number's literal */
    int32_t len;
    int32_t tag;      /* -1; free for the reader's use */
} ta_jnode;

typedef struct {
    ta_jnode *nodes;
    int32_t n, cap;
    int owned;  /* nodes was allocated here (else it is the caller's first buffer) */
} ta_jdoc;

/* The deepest nesting ta_json_read takes (a larger max_depth reads as this one). */
#define TA_JSON_MAX_DEPTH 256

enum { TA_JSON_OK = 0, TA_JSON_LEAVE = 1, TA_JSON_NOMEM = -1 };

/* Read s[0:n] (UTF-8) into doc; node 0 is the top value. max_depth bounds the nesting of
 * arrays and objects. doc is zeroed, or holds a buffer of the caller's (nodes and cap set,
 * owned 0) used until it is full; ta_json_free releases what was allocated. */
int ta_json_read(const char *s, size_t n, int max_depth, ta_jdoc *doc);
void ta_json_free(ta_jdoc *doc);

/* The deepest nesting of arrays and objects in JSON text s[0:n] (brackets inside strings
 * do not count), counted up to limit + 1. Any text is accepted: invalid JSON is not
 * reported, and UTF-16 or UTF-32 text counts the same as UTF-8. */
size_t ta_json_nesting(const char *s, size_t n, size_t limit);

#endif

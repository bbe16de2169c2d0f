/* JSON text into a flat array of nodes (see ta_json.h). One pass, no recursion: the open
 * arrays and objects are kept on a stack bounded by max_depth. */
#include "ta_json.h"

#include <stdlib.h>
#include <string.h>

/* offsets are int32: longer texts are left to the general parser */
#define TA_JSON_MAX_TEXT ((size_t)1 << 30)

typedef struct {
    int32_t node;  /* the open array or object */
    int32_t last;  /* its last item or member so far, -1 if none */
} ta_jframe;

static int32_t ta_jnew(ta_jdoc *d, int32_t kind)
{
    if (d->n == d->cap) {
        int32_t cap = d->cap ? d->cap * 2 : 256;
        ta_jnode *p;
        if (d->owned) {
            p = (ta_jnode *)realloc(d->nodes, (size_t)cap * sizeof *p);
        } else {
            p = (ta_jnode *)malloc((size_t)cap * sizeof *p);
            if (p != NULL && d->n > 0)
                memcpy(p, d->nodes, (size_t)d->n * sizeof *p);
        }
        if (p == NULL)
            return -1;
        d->nodes = p;
        d->cap = cap;
        d->owned = 1;
    }
    ta_jnode *x = &d->nodes[d->n];
    x->kind = kind;
    x->count = 0;
    x->first = -1;
    x->next = -1;
    x->key = -1;
    x->key_len = 0;
    x->start = 0;
    x->len = 0;
    x->tag = -1;
    return d->n++;
}

/* 1 for the bytes a string holds as they are: not a quote (0x22), a backslash (0x5c) or a
 * control character (below 0x20) */
static const unsigned char ta_jplain[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

static int ta_jspace(char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

/* The text of a string whose opening quote is at s[*i]: on return *i is past the closing
 * quote. 0 if the string is taken, else TA_JSON_LEAVE (an escape, a control character, the
 * end of the text). */
static int ta_jstring(const char *s, size_t n, size_t *i, int32_t *start, int32_t *len)
{
    size_t j = *i + 1;
    while (j < n) {
        unsigned char c = (unsigned char)s[j];
        if (ta_jplain[c]) {
            j++;
            continue;
        }
        if (c == '"') {
            *start = (int32_t)(*i + 1);
            *len = (int32_t)(j - *i - 1);
            *i = j + 1;
            return 0;
        }
        return TA_JSON_LEAVE;  /* an escape or a control character */
    }
    return TA_JSON_LEAVE;
}

static int ta_jdigit(const char *s, size_t n, size_t j)
{
    return j < n && s[j] >= '0' && s[j] <= '9';
}

/* A number literal at s[*i] by JSON's grammar; its kind is TA_J_INT or TA_J_FLOAT. */
static int ta_jnumber(const char *s, size_t n, size_t *i, int32_t *kind)
{
    size_t j = *i;
    *kind = TA_J_INT;
    if (j < n && s[j] == '-')
        j++;
    if (!ta_jdigit(s, n, j))
        return TA_JSON_LEAVE;  /* -Infinity among others */
    if (s[j] == '0')
        j++;
    else
        while (ta_jdigit(s, n, j))
            j++;
    if (j < n && s[j] == '.') {
        j++;
        if (!ta_jdigit(s, n, j))
            return TA_JSON_LEAVE;
        while (ta_jdigit(s, n, j))
            j++;
        *kind = TA_J_FLOAT;
    }
    if (j < n && (s[j] == 'e' || s[j] == 'E')) {
        j++;
        if (j < n && (s[j] == '+' || s[j] == '-'))
            j++;
        if (!ta_jdigit(s, n, j))
            return TA_JSON_LEAVE;
        while (ta_jdigit(s, n, j))
            j++;
        *kind = TA_J_FLOAT;
    }
    *i = j;
    return 0;
}

int ta_json_read(const char *s, size_t n, int max_depth, ta_jdoc *d)
{
    ta_jframe stack[TA_JSON_MAX_DEPTH];
    if (n > TA_JSON_MAX_TEXT || max_depth < 1)
        return TA_JSON_LEAVE;
    if (max_depth > TA_JSON_MAX_DEPTH)
        max_depth = TA_JSON_MAX_DEPTH;
    d->n = 0;
    int rc = TA_JSON_LEAVE;
    int depth = 0;
    size_t i = 0;
    int32_t key = -1, key_len = 0, idx, kind, start, len;

    while (i < n && ta_jspace(s[i]))
        i++;
    /* the top value is an object, an array or a string; anything else (a bare name, a
     * number) is the general parser's */
    if (i >= n || (s[i] != '{' && s[i] != '[' && s[i] != '"'))
        goto out;

value:
    while (i < n && ta_jspace(s[i]))
        i++;
    if (i >= n)
        goto out;
    start = (int32_t)i;
    len = 0;
    switch (s[i]) {
    case '{':
    case '[':
        kind = s[i] == '{' ? TA_J_OBJ : TA_J_ARR;
        i++;
        break;
    case '"':
        kind = TA_J_STR;
        if (ta_jstring(s, n, &i, &start, &len))
            goto out;
        break;
    case 't':
        kind = TA_J_TRUE;
        if (n - i < 4 || memcmp(s + i, "true", 4) != 0)
            goto out;
        i += 4;
        break;
    case 'f':
        kind = TA_J_FALSE;
        if (n - i < 5 || memcmp(s + i, "false", 5) != 0)
            goto out;
        i += 5;
        break;
    case 'n':
        kind = TA_J_NULL;
        if (n - i < 4 || memcmp(s + i, "null", 4) != 0)
            goto out;
        i += 4;
        break;
    default:
        if (ta_jnumber(s, n, &i, &kind))
            goto out;
        len = (int32_t)(i - (size_t)start);
        break;
    }
    idx = ta_jnew(d, kind);
    if (idx < 0) {
        rc = TA_JSON_NOMEM;
        goto out;
    }
    d->nodes[idx].start = start;
    d->nodes[idx].len = len;
    if (depth > 0) {
        ta_jframe *top = &stack[depth - 1];
        if (top->last < 0)
            d->nodes[top->node].first = idx;
        else
            d->nodes[top->last].next = idx;
        top->last = idx;
        d->nodes[top->node].count++;
        if (d->nodes[top->node].kind == TA_J_OBJ) {
            d->nodes[idx].key = key;
            d->nodes[idx].key_len = key_len;
        }
    }
    if (kind == TA_J_OBJ || kind == TA_J_ARR) {
        if (depth == max_depth)
            goto out;
        stack[depth].node = idx;
        stack[depth].last = -1;
        depth++;
        while (i < n && ta_jspace(s[i]))
            i++;
        if (i < n && s[i] == (kind == TA_J_OBJ ? '}' : ']')) {
            i++;
            depth--;
            goto after;
        }
        if (kind == TA_J_ARR)
            goto value;
        goto member;
    }
    goto after;

member: /* in an object, before a member's key */
    while (i < n && ta_jspace(s[i]))
        i++;
    if (i >= n || s[i] != '"' || ta_jstring(s, n, &i, &key, &key_len))
        goto out;
    while (i < n && ta_jspace(s[i]))
        i++;
    if (i >= n || s[i] != ':')
        goto out;
    i++;
    goto value;

after: /* a value is complete */
    while (i < n && ta_jspace(s[i]))
        i++;
    if (depth == 0) {
        if (i == n)
            rc = TA_JSON_OK;
        goto out;
    }
    if (i >= n)
        goto out;
    {
        int obj = d->nodes[stack[depth - 1].node].kind == TA_J_OBJ;
        if (s[i] == ',') {
            i++;
            if (obj)
                goto member;
            goto value;
        }
        if (s[i] == (obj ? '}' : ']')) {
            i++;
            depth--;
            goto after;
        }
    }

out:
    return rc;
}

void ta_json_free(ta_jdoc *doc)
{
    if (doc->owned)
        free(doc->nodes);
    doc->nodes = NULL;
    doc->n = doc->cap = 0;
    doc->owned = 0;
}

size_t ta_json_nesting(const char *s, size_t n, size_t limit)
{
    size_t depth = 0, deepest = 0, i = 0;
    while (i < n) {
        char c = s[i++];
        if (c == '"') {  /* skip the string: an escape takes the next byte along */
            while (i < n && s[i] != '"')
                i += s[i] == '\\' ? 2 : 1;
            i++;
        } else if (c == '[' || c == '{') {
            if (++depth > deepest) {
                deepest = depth;
                if (deepest > limit)
                    return deepest;
            }
        } else if ((c == ']' || c == '}') && depth > 0) {
            depth--;
        }
    }
    return deepest;
}

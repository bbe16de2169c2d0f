/* Drives native/ta_pool.c on its own, built with ThreadSanitizer by tests/test_pool_native.py:
 * many deflate blocks through 3 workers, results taken in order and compared with the
 * one-shot ta_compress, every fifth block failing (level 99), a job held while later ones
 * finish, a pool freed with blocks still queued, and no worker left afterwards. Prints "ok"
 * or what went wrong (exit status 1). */
#include "ta_pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { N = 300, SZ = 20000, CAP = 8 };
static uint8_t data[N][SZ];

static int run(int round) {
    ta_pool *p = ta_pool_new(3, CAP);
    if (p == NULL) {
        puts("ta_pool_new failed");
        return 1;
    }
    if (round == 1)
        ta_pool_hold(p, 2); /* block 2 waits until blocks behind it are queued */
    ta_codec_ctx ctx;
    ta_codec_ctx_init(&ctx);
    ta_outbuf ref;
    ta_outbuf_init(&ref);
    int next = 0, done = 0, rc = 0;
    while (done < N && rc == 0) {
        while (next < N && ta_pool_pending(p) < CAP) {
            ta_pool_submit(p, TA_CODEC_DEFLATE, next % 5 == 4 ? 99 : 6, data[next], SZ);
            next++;
        }
        if (round == 1 && done == 2)
            ta_pool_hold(p, -1);
        while (!ta_pool_wait_head(p, 50)) {
        }
        ta_pool_job *job = ta_pool_head(p);
        const char *detail = NULL;
        if (done % 5 == 4) {
            if (job->rc == TA_OK) {
                printf("block %d: expected a failure\n", done);
                rc = 1;
            }
        } else if (ta_compress(TA_CODEC_DEFLATE, 6, &ctx, data[done], SZ, &ref, &detail) != TA_OK ||
                   job->rc != TA_OK || job->out.len != ref.len ||
                   memcmp(job->out.data, ref.data, ref.len) != 0) {
            printf("block %d: differs from the one-shot compression\n", done);
            rc = 1;
        }
        ta_pool_pop(p);
        done++;
    }
    if (round == 2) /* freed with blocks queued and running */
        for (int i = 0; i < CAP; i++)
            ta_pool_submit(p, TA_CODEC_DEFLATE, 6, data[i], SZ);
    ta_pool_free(p);
    ta_outbuf_free(&ref);
    ta_codec_ctx_free(&ctx);
    if (rc == 0 && ta_pool_live_threads() != 0) {
        printf("%d worker(s) left running\n", ta_pool_live_threads());
        rc = 1;
    }
    return rc;
}

int main(void) {
    srand(1);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < SZ; j++)
            data[i][j] = (uint8_t)(j % 7 == 0 ? rand() : i);
    for (int round = 0; round < 3; round++)
        if (run(round) != 0)
            return 1;
    puts("ok");
    return 0;
}

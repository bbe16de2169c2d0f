/* A pool of native threads that compress or decompress Avro blocks (Avro specification,
 * Object Container Files: a block's data is compressed with the file's codec) while the owner
 * encodes or decodes other ones. Plain C99 over pthreads (Windows: SRW locks and condition variables); the workers never
 * touch Python objects and never need the GIL, so a block handed over starts compressing at
 * once and its result is ready without the owner giving up the interpreter.
 *
 * Jobs are numbered in submission order and taken back in that order (ta_pool_head /
 * ta_pool_pop): the owner writes blocks strictly in order however the workers finish them. At
 * most `cap` jobs are in the pool at once. One owner thread submits, waits and pops; the pool
 * is not safe for several owners.
 *
 * The input of a job is borrowed: it must stay valid and unchanged until the job is popped or
 * the pool stopped. The output belongs to the job's slot and is reused by later jobs. */
#ifndef TA_POOL_H
#define TA_POOL_H

#include "ta_codecs.h"

#define TA_JOB_FREE 0
#define TA_JOB_QUEUED 1
#define TA_JOB_RUNNING 2
#define TA_JOB_DONE 3

typedef struct ta_pool_job {
    int codec;
    int decompress;     /* 0: compress at level; 1: decompress, at most max_size bytes out */
    int level;
    size_t max_size;
    const uint8_t *src; /* borrowed */
    size_t n;
    ta_outbuf out;      /* the (de)compressed block once DONE and rc == TA_OK */
    int rc;             /* TA_OK or a ta_compress / ta_decompress status */
    const char *detail; /* static description of a failure, or NULL */
    int state;          /* TA_JOB_* */
} ta_pool_job;

typedef struct ta_pool ta_pool;

/* A pool of nthreads (>= 1) workers holding at most cap (>= 1) jobs. Returns NULL when memory
 * or threads cannot be had (no thread is left running then). */
ta_pool *ta_pool_new(int nthreads, size_t cap);

/* Stops the workers and frees the pool. Jobs not yet started are dropped; running ones finish
 * first (their workers are joined). NULL is a no-op. In a child process forked while the pool
 * existed, the workers do not exist: the pool's memory is abandoned rather than touched. */
void ta_pool_free(ta_pool *p);

/* Jobs in the pool (submitted, not yet popped). */
size_t ta_pool_pending(ta_pool *p);

/* Queues the compression of src[0:n] at level; TA_ERR_LIMIT when cap jobs are already
 * pending. */
int ta_pool_submit(ta_pool *p, int codec, int level, const uint8_t *src, size_t n);

/* Queues the decompression of the block src[0:n] (ta_decompress's contract, max_size
 * included); TA_ERR_LIMIT when cap jobs are already pending. */
int ta_pool_submit_decompress(ta_pool *p, int codec, size_t max_size, const uint8_t *src,
                              size_t n);

/* The oldest pending job (NULL when none). Its fields other than state may be read only once
 * it is DONE. */
ta_pool_job *ta_pool_head(ta_pool *p);

/* 1 if the oldest pending job is DONE, waiting up to timeout_ms for it (0: do not wait);
 * 0 otherwise (or when nothing is pending). */
int ta_pool_wait_head(ta_pool *p, long timeout_ms);

/* Frees the oldest pending job's slot (call once its results have been taken). */
void ta_pool_pop(ta_pool *p);

/* 1 in a child process forked after the pool was made: its workers are gone, and the owner
 * must run the pending jobs itself (ta_pool_run_inline). */
int ta_pool_orphaned(ta_pool *p);

/* Runs the oldest pending job on the calling thread unless it is DONE (for an orphaned pool;
 * the job's output is started afresh: a worker may have been writing it at the fork). */
void ta_pool_run_head_inline(ta_pool *p, ta_codec_ctx *ctx);

/* Tests only: while set, the worker that takes job number `seq` (0-based, in submission
 * order) waits before running it, so a test can hold a block in flight while later ones
 * finish. ta_pool_hold(p, -1) releases it. */
void ta_pool_hold(ta_pool *p, long long seq);

/* Workers started and not yet ended (for tests that check none is left). */
int ta_pool_live_threads(void);

#endif

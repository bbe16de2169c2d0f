/* Worker threads that compress and decompress blocks without the GIL (see ta_pool.h). */
#include "ta_pool.h"

#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
typedef SRWLOCK ta_mutex;
typedef CONDITION_VARIABLE ta_cond;
typedef HANDLE ta_thread;
#define TA_THREAD_RETURN DWORD WINAPI
#define ta_mutex_init(m) (InitializeSRWLock(m), 0)
#define ta_mutex_destroy(m) ((void)0)
#define ta_mutex_lock(m) AcquireSRWLockExclusive(m)
#define ta_mutex_unlock(m) ReleaseSRWLockExclusive(m)
#define ta_cond_init(c) (InitializeConditionVariable(c), 0)
#define ta_cond_destroy(c) ((void)0)
#define ta_cond_wait(c, m) SleepConditionVariableSRW((c), (m), INFINITE, 0)
#define ta_cond_signal(c) WakeConditionVariable(c)
#define ta_cond_broadcast(c) WakeAllConditionVariable(c)
static void ta_cond_timedwait(ta_cond *c, ta_mutex *m, long ms) {
    SleepConditionVariableSRW(c, m, (DWORD)ms, 0);
}
static int ta_thread_start(ta_thread *t, DWORD(WINAPI *fn)(void *), void *arg) {
    *t = CreateThread(NULL, 0, (LPTHREAD_START_ROUTINE)fn, arg, 0, NULL);
    return *t == NULL ? -1 : 0;
}
static void ta_thread_join(ta_thread t) {
    WaitForSingleObject(t, INFINITE);
    CloseHandle(t);
}
#define ta_getpid() 0L
#define ta_atomic_add(p, v) InterlockedExchangeAdd((volatile LONG *)(p), (LONG)(v))
#define ta_atomic_load(p) InterlockedExchangeAdd((volatile LONG *)(p), 0)
#else
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
typedef pthread_mutex_t ta_mutex;
typedef pthread_cond_t ta_cond;
typedef pthread_t ta_thread;
#define TA_THREAD_RETURN void *
#define ta_mutex_init(m) pthread_mutex_init((m), NULL)
#define ta_mutex_destroy(m) pthread_mutex_destroy(m)
#define ta_mutex_lock(m) pthread_mutex_lock(m)
#define ta_mutex_unlock(m) pthread_mutex_unlock(m)
#define ta_cond_init(c) pthread_cond_init((c), NULL)
#define ta_cond_destroy(c) pthread_cond_destroy(c)
#define ta_cond_wait(c, m) pthread_cond_wait((c), (m))
#define ta_cond_signal(c) pthread_cond_signal(c)
#define ta_cond_broadcast(c) pthread_cond_broadcast(c)
static void ta_cond_timedwait(ta_cond *c, ta_mutex *m, long ms) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec += 1;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(c, m, &ts);
}
static int ta_thread_start(ta_thread *t, void *(*fn)(void *), void *arg) {
    /* the workers block every signal (the mask is inherited): signals go to the threads of
     * the process that handle them, and a handler never interrupts a worker */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(t, NULL, fn, arg);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc == 0 ? 0 : -1;
}
static void ta_thread_join(ta_thread t) { pthread_join(t, NULL); }
#define ta_getpid() ((long)getpid())
#define ta_atomic_add(p, v) __atomic_fetch_add((p), (v), __ATOMIC_SEQ_CST)
#define ta_atomic_load(p) __atomic_load_n((p), __ATOMIC_SEQ_CST)
#endif

struct ta_pool {
    ta_mutex mu;
    ta_cond work;      /* workers wait here: a job queued, the hold released, or stopping */
    ta_cond done;      /* the owner waits here: a job finished */
    ta_thread *threads;
    int nthreads;      /* started */
    ta_pool_job *jobs; /* cap slots; job number k lives in slot k % cap */
    size_t cap;
    unsigned long long head; /* oldest job not yet popped */
    unsigned long long take; /* next job a worker starts */
    unsigned long long next; /* number the next submitted job gets */
    long long hold;          /* tests: a worker holds job number `hold` until it is -1 */
    int stopping;
    long pid; /* the process that made the pool (its workers exist only there) */
};

#ifdef _WIN32
static volatile LONG live_threads = 0;
#else
static int live_threads = 0;
#endif

int ta_pool_live_threads(void) { return (int)ta_atomic_load(&live_threads); }

static void run_job(ta_pool_job *job, ta_codec_ctx *ctx) {
    int lo, hi, def;
    job->detail = NULL;
    if (job->decompress) {
        job->rc = ta_decompress(job->codec, ctx, job->src, job->n, job->max_size, &job->out,
                                &job->detail);
        return;
    }
    if (ta_codec_levels(job->codec, &lo, &hi, &def) && (job->level < lo || job->level > hi)) {
        job->rc = TA_ERR_CODEC; /* the owner words the error (the level is out of range) */
        job->detail = "compression level out of range";
        return;
    }
    job->rc = ta_compress(job->codec, job->level, ctx, job->src, job->n, &job->out, &job->detail);
}

static TA_THREAD_RETURN worker(void *arg) {
    ta_pool *p = (ta_pool *)arg;
    ta_codec_ctx ctx;
    ta_codec_ctx_init(&ctx);
    ta_mutex_lock(&p->mu);
    for (;;) {
        while (!p->stopping && p->take == p->next)
            ta_cond_wait(&p->work, &p->mu);
        if (p->stopping)
            break;
        unsigned long long k = p->take++;
        ta_pool_job *job = &p->jobs[k % p->cap];
        job->state = TA_JOB_RUNNING;
        while (!p->stopping && p->hold == (long long)k)
            ta_cond_wait(&p->work, &p->mu);
        ta_mutex_unlock(&p->mu);
        run_job(job, &ctx);
        ta_mutex_lock(&p->mu);
        job->state = TA_JOB_DONE;
        ta_cond_broadcast(&p->done);
    }
    ta_mutex_unlock(&p->mu);
    ta_codec_ctx_free(&ctx);
    ta_atomic_add(&live_threads, -1);
    return 0;
}

static void stop_and_join(ta_pool *p) {
    ta_mutex_lock(&p->mu);
    p->stopping = 1;
    ta_cond_broadcast(&p->work);
    ta_mutex_unlock(&p->mu);
    for (int i = 0; i < p->nthreads; i++)
        ta_thread_join(p->threads[i]);
    p->nthreads = 0;
}

ta_pool *ta_pool_new(int nthreads, size_t cap) {
    if (nthreads < 1 || cap < 1)
        return NULL;
    ta_pool *p = (ta_pool *)calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    p->jobs = (ta_pool_job *)calloc(cap, sizeof *p->jobs);
    p->threads = (ta_thread *)calloc((size_t)nthreads, sizeof *p->threads);
    if (p->jobs == NULL || p->threads == NULL || ta_mutex_init(&p->mu) != 0) {
        free(p->jobs);
        free(p->threads);
        free(p);
        return NULL;
    }
    if (ta_cond_init(&p->work) != 0 || ta_cond_init(&p->done) != 0) {
        /* (a failed init leaves nothing to destroy on the platforms that can fail) */
        ta_mutex_destroy(&p->mu);
        free(p->jobs);
        free(p->threads);
        free(p);
        return NULL;
    }
    for (size_t i = 0; i < cap; i++)
        ta_outbuf_init(&p->jobs[i].out);
    p->cap = cap;
    p->hold = -1;
    p->pid = ta_getpid();
    for (int i = 0; i < nthreads; i++) {
        ta_atomic_add(&live_threads, 1);
        if (ta_thread_start(&p->threads[i], worker, p) != 0) {
            ta_atomic_add(&live_threads, -1);
            ta_pool_free(p);
            return NULL;
        }
        p->nthreads = i + 1;
    }
    return p;
}

int ta_pool_orphaned(ta_pool *p) { return p->pid != ta_getpid(); }

void ta_pool_free(ta_pool *p) {
    if (p == NULL)
        return;
    if (ta_pool_orphaned(p))
        return; /* forked child: the workers and the locks' state belong to the parent */
    stop_and_join(p);
    for (size_t i = 0; i < p->cap; i++)
        ta_outbuf_free(&p->jobs[i].out);
    ta_cond_destroy(&p->work);
    ta_cond_destroy(&p->done);
    ta_mutex_destroy(&p->mu);
    free(p->jobs);
    free(p->threads);
    free(p);
}

size_t ta_pool_pending(ta_pool *p) { return (size_t)(p->next - p->head); }

static int submit(ta_pool *p, int codec, int decompress, int level, size_t max_size,
                  const uint8_t *src, size_t n) {
    if (p->next - p->head >= p->cap)
        return TA_ERR_LIMIT;
    int orphaned = ta_pool_orphaned(p);
    if (!orphaned)
        ta_mutex_lock(&p->mu);
    ta_pool_job *job = &p->jobs[p->next % p->cap];
    job->codec = codec;
    job->decompress = decompress;
    job->level = level;
    job->max_size = max_size;
    job->src = src;
    job->n = n;
    job->rc = TA_OK;
    job->detail = NULL;
    job->state = TA_JOB_QUEUED;
    p->next++;
    if (!orphaned) {
        ta_cond_signal(&p->work);
        ta_mutex_unlock(&p->mu);
    }
    return TA_OK;
}

int ta_pool_submit(ta_pool *p, int codec, int level, const uint8_t *src, size_t n) {
    return submit(p, codec, 0, level, 0, src, n);
}

int ta_pool_submit_decompress(ta_pool *p, int codec, size_t max_size, const uint8_t *src,
                              size_t n) {
    return submit(p, codec, 1, 0, max_size, src, n);
}

ta_pool_job *ta_pool_head(ta_pool *p) {
    return p->head == p->next ? NULL : &p->jobs[p->head % p->cap];
}

int ta_pool_wait_head(ta_pool *p, long timeout_ms) {
    if (p->head == p->next)
        return 0;
    ta_pool_job *job = &p->jobs[p->head % p->cap];
    if (ta_pool_orphaned(p))
        return job->state == TA_JOB_DONE;
    ta_mutex_lock(&p->mu);
    if (job->state != TA_JOB_DONE && timeout_ms > 0)
        ta_cond_timedwait(&p->done, &p->mu, timeout_ms);
    int done = job->state == TA_JOB_DONE;
    ta_mutex_unlock(&p->mu);
    return done;
}

void ta_pool_pop(ta_pool *p) {
    if (p->head == p->next)
        return;
    ta_pool_job *job = &p->jobs[p->head % p->cap];
    /* DONE jobs are no longer touched by workers: no lock needed to free the slot */
    job->state = TA_JOB_FREE;
    job->src = NULL;
    p->head++;
}

void ta_pool_run_head_inline(ta_pool *p, ta_codec_ctx *ctx) {
    if (p->head == p->next)
        return;
    ta_pool_job *job = &p->jobs[p->head % p->cap];
    if (job->state == TA_JOB_DONE)
        return;
    ta_outbuf_init(&job->out); /* abandon what a worker of the parent may have been writing */
    run_job(job, ctx);
    job->state = TA_JOB_DONE;
}

void ta_pool_hold(ta_pool *p, long long seq) {
    if (ta_pool_orphaned(p))
        return;
    ta_mutex_lock(&p->mu);
    p->hold = seq;
    ta_cond_broadcast(&p->work);
    ta_mutex_unlock(&p->mu);
}

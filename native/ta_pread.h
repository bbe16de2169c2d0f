/* Positioned reads of a file descriptor for the columnar reader's block-by-block file path
 * (_blocks.scan_file, _Chunk.decode_table with fd). POSIX pread(2) does not move the file
 * position, so threads can read one descriptor at once. Windows has no pread on CRT file
 * descriptors: TA_HAVE_PREAD is 0 there, ta_pread fails with ENOSYS, and the Python side never
 * takes the file path (container.Reader._file_blocks checks _blocks.HAVE_PREAD). */
#ifndef TA_PREAD_H
#define TA_PREAD_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include "ta_common.h"

#ifdef _WIN32
#define TA_HAVE_PREAD 0
TA_INLINE long long ta_pread(int fd, void *buf, size_t n, int64_t offset)
{
    (void)fd;
    (void)buf;
    (void)n;
    (void)offset;
    errno = ENOSYS;
    return -1;
}
#else
#include <sys/types.h>
#include <unistd.h>
#define TA_HAVE_PREAD 1
TA_INLINE long long ta_pread(int fd, void *buf, size_t n, int64_t offset)
{
    return (long long)pread(fd, buf, n, (off_t)offset);
}
#endif

#endif

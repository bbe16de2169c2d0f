/* Civil-calendar arithmetic for the date/time logical types (Avro specification, Logical Types):
 * days since 1970-01-01 <-> proleptic Gregorian year/month/day, exact for every
 * year Python's datetime supports. Plain integer arithmetic (the "days from civil"
 * algorithm over 400-year eras), so no libc time zone state is involved. */
#ifndef TA_TIME_H
#define TA_TIME_H

#include <stdint.h>
#include "ta_common.h"

TA_INLINE int64_t ta_floordiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

TA_INLINE int64_t ta_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = ta_floordiv(y, 400);
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

TA_INLINE void ta_civil_from_days(int64_t z, int *year, int *month, int *day)
{
    z += 719468;
    int64_t era = ta_floordiv(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int d = (int)(doy - (153 * mp + 2) / 5 + 1);
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *year = (int)(y + (m <= 2));
    *month = m;
    *day = d;
}

/* Days of 0001-01-01 and 9999-12-31 relative to the epoch: Python datetime's range. */
#define TA_MIN_DAY (-719162LL)
#define TA_MAX_DAY (2932896LL)

#endif
